//! Standard output for the commands, written so that an output error never
//! panics (as `println!` does) after a command has acted.
//!
//! Two cases, decided once here and in [`super::main`]:
//! - a closed pipe (`grabbag list | head -1`): the reader has what it wanted.
//!   Later writes are skipped, the command finishes its work and exits with its
//!   own status (1 for findings stays 1), printing nothing more;
//! - any other error (a full disk under `>`, `>/dev/full`): [`StdoutError`]
//!   travels up with `?` and `main` reports it and exits 2. A command that has
//!   already recorded something says so in the error (see `note`).

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output is found to be a closed pipe.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output could not be written (other than a closed pipe).
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub struct StdoutError(io::Error);

/// Writes formatted text to standard output and flushes it, so an error
/// shows here and not at exit, where it would be lost. Use [`out!`] and
/// [`outln!`].
pub fn fmt(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    write_with(|out| out.write_fmt(args))
}

/// Writes bytes to standard output (see [`fmt`]).
pub fn bytes(bytes: &[u8]) -> Result<(), StdoutError> {
    write_with(|out| out.write_all(bytes))
}

fn write_with(
    write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>,
) -> Result<(), StdoutError> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        result => result.map_err(StdoutError),
    }
}

/// `print!` that returns a [`StdoutError`] instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::fmt(format_args!($($arg)*))
    };
}

/// `println!` that returns a [`StdoutError`] instead of panicking.
macro_rules! outln {
    () => {
        $crate::cli::out::fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
