//! A runbook library: a git working tree of (usually encrypted) runbooks.
//!
//! Discovery, decryption, version pinning (commit and blob id), trust (signed
//! commits) and offline sync all live here. Nothing in this module draws on a
//! terminal; the CLI and TUI ask it for loaded runbooks and reports.

pub mod sync;
pub mod trust;
