//! Fuzz target `config`: see `grabbag::fuzz::config` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::config(data));
