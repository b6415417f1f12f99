//! Fuzz target `allowed_signers`: see `grabbag::fuzz::allowed_signers` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::allowed_signers(data));
