//! All integration tests, in one binary (one link, one process start-up).

mod harness;
mod lint;
