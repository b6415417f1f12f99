//! Fuzz target `journal`: see `grabbag::fuzz::journal` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::journal(data));
