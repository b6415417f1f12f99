//! Fuzz target `signed_commit`: see `grabbag::fuzz::signed_commit` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::signed_commit(data));
