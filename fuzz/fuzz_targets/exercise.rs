//! Fuzz target `exercise`: see `grabbag::fuzz::exercise` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::exercise(data));
