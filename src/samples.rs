//! The sample runbooks and exercises, embedded at build time from `runbooks/`
//! and `exercises/` (see `build.rs`), so the demo needs nothing but the binary.

include!(concat!(env!("OUT_DIR"), "/samples.rs"));
