//! Fuzz target `recipients`: see `grabbag::fuzz::recipients` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::recipients(data));
