//! Lending the terminal to an age plugin while the interface runs.
//!
//! A plugin may ask for a PIN or show "touch your YubiKey" at any time a
//! runbook or journal is decrypted or sealed: on a key press, or from the
//! background load of the library. It cannot be drawn as a dialog, since the
//! thread that draws may be the one waiting for the plugin. So the interface
//! lends the terminal, as it would to an external editor: it leaves the
//! alternate screen and raw mode, the plugin's question is asked on the plain
//! terminal, and when the plugin's operation is over the screen is taken back
//! and drawn afresh. The event loop reads keys and draws only while it holds
//! its [`Lender::turn`], so it never competes with a prompt for the terminal.
//!
//! The prompter is installed for the whole process by the command line
//! ([`install_prompter`]), before any runbook is decrypted: the library's
//! background load may reach a plugin before the screen is up, and then the
//! prompt is a plain terminal prompt, finished before the screen starts.

use std::io::Write as _;
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError};

use age::secrecy::SecretString;
use ratatui::crossterm::{cursor, execute, terminal};

use crate::crypto::plugin::{self, Prompter, TerminalPrompter};

#[derive(Default)]
struct State {
    /// The interface has the alternate screen and raw mode.
    screen_up: bool,
    lent: bool,
    /// Taken back since the last draw: the screen must be drawn in full.
    taken_back: bool,
}

/// Who has the terminal: the interface, or a plugin's prompt.
#[derive(Default)]
pub struct Lender {
    state: Mutex<State>,
    returned: Condvar,
}

/// The event loop's hold on the terminal: no prompt starts while it lasts.
pub struct Turn<'a> {
    _held: MutexGuard<'a, State>,
    /// The screen was taken back and cleared: everything must be drawn.
    pub cleared: bool,
}

static LENDER: LazyLock<Arc<Lender>> = LazyLock::new(Default::default);

/// The process's lender.
pub fn lender() -> &'static Lender {
    &LENDER
}

/// Makes age plugins prompt through the lender for the rest of the process.
pub fn install_prompter() {
    plugin::set_prompter(Arc::new(LendingPrompter(Arc::clone(&LENDER))));
}

impl Lender {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_returned(&self) -> MutexGuard<'_, State> {
        self.returned
            .wait_while(self.lock(), |s| s.lent)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the interface's screen (raw mode, alternate screen), once no
    /// prompt has the terminal.
    pub fn start_screen(&self) -> std::io::Result<ratatui::DefaultTerminal> {
        let mut state = self.wait_returned();
        let terminal = ratatui::try_init()?;
        state.screen_up = true;
        Ok(terminal)
    }

    /// Gives the terminal back to the shell, once no prompt has it.
    pub fn end_screen(&self) {
        let mut state = self.wait_returned();
        ratatui::restore();
        state.screen_up = false;
    }

    /// Waits until the terminal is back, clears it if it was lent, and holds
    /// it while the caller reads a key or draws.
    pub fn turn(&self, screen: &mut ratatui::DefaultTerminal) -> std::io::Result<Turn<'_>> {
        let mut state = self.wait_returned();
        let cleared = std::mem::take(&mut state.taken_back);
        if cleared {
            screen.clear()?;
        }
        Ok(Turn {
            _held: state,
            cleared,
        })
    }

    /// Hands the terminal to a prompt of `binary` (once per operation).
    fn lend(&self, binary: &str) {
        let mut state = self.lock();
        if state.lent {
            return;
        }
        state.lent = true;
        if !state.screen_up {
            return;
        }
        // A terminal that cannot be switched still gets the question.
        let _ = terminal::disable_raw_mode();
        let mut out = std::io::stdout();
        let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
        let _ = writeln!(
            out,
            "grabbag is paused while {binary} asks for something; it comes back when the plugin is done."
        );
    }

    /// Takes the terminal back after a plugin's operation.
    fn take_back(&self) {
        let mut state = self.lock();
        if !state.lent {
            return;
        }
        if state.screen_up {
            let _ = terminal::enable_raw_mode();
            let _ = execute!(
                std::io::stdout(),
                terminal::EnterAlternateScreen,
                cursor::Hide
            );
            state.taken_back = true;
        }
        state.lent = false;
        self.returned.notify_all();
    }
}

/// The plugin prompter while the interface runs: each request lends the
/// terminal, then asks as on the command line.
struct LendingPrompter(Arc<Lender>);

impl Prompter for LendingPrompter {
    fn message(&self, binary: &str, message: &str) {
        self.0.lend(binary);
        TerminalPrompter.message(binary, message);
    }

    fn confirm(&self, binary: &str, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        self.0.lend(binary);
        TerminalPrompter.confirm(binary, message, yes, no)
    }

    fn request_public(&self, binary: &str, message: &str) -> Option<String> {
        self.0.lend(binary);
        TerminalPrompter.request_public(binary, message)
    }

    fn request_secret(&self, binary: &str, message: &str) -> Option<SecretString> {
        self.0.lend(binary);
        TerminalPrompter.request_secret(binary, message)
    }

    fn finished(&self) {
        self.0.take_back();
    }
}
