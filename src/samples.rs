//! The sample runbooks and exercises, embedded at build time from `runbooks/`
//! and `exercises/` (see `build.rs`), with the exercises' recorded runs from
//! `exercises/runs/` (`SAMPLE_RUNS`, paths relative to it), so the demo needs
//! nothing but the binary.

include!(concat!(env!("OUT_DIR"), "/samples.rs"));
