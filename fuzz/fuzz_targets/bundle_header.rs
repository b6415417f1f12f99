//! Fuzz target `bundle_header`: see `grabbag::fuzz::bundle_header` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::bundle_header(data));
