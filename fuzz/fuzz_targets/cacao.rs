//! Fuzz target `cacao`: see `grabbag::fuzz::cacao` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::cacao(data));
