//! All integration tests, in one binary (one link, one process start-up).

mod age_interop;
mod cacao;
mod demo;
mod harness;
mod journal;
mod journal_cli;
mod journal_reliability;
mod library;
mod lint;
mod response;
mod support;
mod sync;
mod trust;
mod tui;
