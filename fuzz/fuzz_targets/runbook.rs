//! Fuzz target `runbook`: see `grabbag::fuzz::runbook` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grabbag::fuzz::runbook(data));
