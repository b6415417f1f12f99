//! Fault injection for the tests that interrupt library commands mid-write.
//!
//! Every command that changes a library calls [`point`] just before each of
//! its writes (a runbook file, git's index, a commit, a ref, a journal
//! snapshot). With `GRABBAG_FAULT_AT=N` in the environment, the Nth point
//! stops the process there: by default it aborts at once, as `kill -9` or a
//! power cut would (no destructor, no cleanup); with `GRABBAG_FAULT=enospc`
//! the write fails instead with "no space left on device", as a full disk
//! would. `tests/it/faults.rs` runs each command once per point in turn.
//!
//! It is always compiled, because the tests drive the real release binary; it
//! costs one environment read per process and one atomic add per write, and
//! it can only make grabbag stop, never change what it writes. Unset, it does
//! nothing.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the Nth point does.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Abort,
    NoSpace,
}

fn config() -> Option<(u64, Mode)> {
    static CONFIG: OnceLock<Option<(u64, Mode)>> = OnceLock::new();
    *CONFIG.get_or_init(|| {
        let at = std::env::var("GRABBAG_FAULT_AT")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let mode = match std::env::var("GRABBAG_FAULT").as_deref() {
            Ok("enospc") => Mode::NoSpace,
            _ => Mode::Abort,
        };
        Some((at, mode))
    })
}

static COUNT: AtomicU64 = AtomicU64::new(0);

/// Marks the place just before a write named `what`; under fault injection
/// the chosen one aborts the process or fails with "no space left".
pub fn point(what: &str) -> std::io::Result<()> {
    let Some((at, mode)) = config() else {
        return Ok(());
    };
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if n != at {
        return Ok(());
    }
    eprintln!("grabbag: fault injection: stopping before write {n} ({what})");
    match mode {
        Mode::Abort => std::process::abort(),
        Mode::NoSpace => Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!("no space left on device (fault injected before {what})"),
        )),
    }
}
