//! grabbag: the offline grab bag for incident response and IT-outage continuity.
//!
//! The crate is a library with a thin binary on top. Dependencies run one way:
//! [`runbook`] (model and lint, no I/O) ← [`crypto`] (age, in memory) ← [`library`]
//! (a git working tree of runbooks). The command line lives in [`cli`]; nothing
//! below it knows about terminals or arguments.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod board;
pub mod cacao;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod diagnostic;
pub mod exercise;
pub mod fault;
pub mod fsutil;
pub mod fuzz;
pub mod journal;
pub mod lessons;
pub mod library;
pub mod parallel;
pub mod report;
pub mod response;
pub mod runbook;
pub mod samples;
pub mod scratch;
pub mod session;
pub mod signing;
#[cfg(test)]
mod testrng;
pub mod text;
pub mod tui;
