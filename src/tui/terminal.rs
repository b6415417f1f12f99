//! The terminal and the one event loop every interface runs in.
//!
//! Raw mode and the alternate screen on entry, restored on quit, on panic
//! (ratatui's hook) and on SIGTERM/SIGHUP (a flag the loop checks). The loop
//! redraws on key presses, resizes and a 1 s tick only. What it drives is an
//! [`Interface`]: the responder's screens (library, run, exercise, replay)
//! or the auditor's review, each with its own keys.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind};

use super::keys::Action;

/// What the event loop drives.
pub trait Interface {
    /// Draws a frame (a pure function of the state, so snapshots are exact).
    fn draw(&self, frame: &mut Frame<'_>);

    /// Takes in work finished in the background: whether the screen
    /// changed, and whether to leave.
    fn poll(&mut self) -> anyhow::Result<(bool, Action)> {
        Ok((false, Action::Continue))
    }

    /// How long to wait for a key, at most, when the next tick is `until_tick` away.
    fn wait(&self, until_tick: Duration) -> Duration {
        until_tick.min(Duration::from_millis(250))
    }

    /// A key pressed: what to do next, or `None` when it was set aside
    /// (nothing changed, nothing to redraw).
    fn key(&mut self, key: KeyEvent) -> Option<Action>;

    /// The 1 s tick: whether anything changed on screen.
    fn tick(&mut self) -> bool;
}

/// Takes the terminal, runs `interface` until it quits or a signal arrives,
/// and gives the terminal back.
pub fn run(interface: &mut impl Interface) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    spawn_watchdog(Arc::clone(&stop));
    let lender = super::lend::lender();
    let mut terminal = lender.start_screen()?;
    let result = event_loop(&mut terminal, interface, &stop, lender);
    lender.end_screen();
    result
}

/// Ends the process when the terminal is gone. crossterm's `poll` spins on a
/// hung-up terminal (every read returns end of file) and never returns to the
/// event loop, so neither a SIGHUP flag nor any check there is ever seen: found
/// when interfaces left in killed tmux sessions ran at full CPU for an hour.
/// Every action is already on disk, and the session stays open in the journal,
/// so the next start offers to resume it exactly where it was.
fn spawn_watchdog(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut stopping_since: Option<Instant> = None;
        loop {
            std::thread::sleep(Duration::from_millis(500));
            if stop.load(Ordering::Relaxed) {
                // The event loop normally sees the flag within 250 ms.
                let since = *stopping_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= Duration::from_secs(2) {
                    std::process::exit(1);
                }
            }
            #[cfg(unix)]
            if std::fs::File::open("/dev/tty").is_err() {
                std::process::exit(1);
            }
        }
    });
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    interface: &mut impl Interface,
    stop: &AtomicBool,
    lender: &super::lend::Lender,
) -> anyhow::Result<()> {
    const TICK: Duration = Duration::from_secs(1);
    let mut last_tick = Instant::now();
    interface.tick();
    terminal.draw(|f| interface.draw(f))?;
    // Debug builds only: a panic on a drawn screen, so the tests can prove
    // the terminal is restored (tests/it/tui.rs).
    #[cfg(debug_assertions)]
    if std::env::var_os("GRABBAG_TEST_PANIC").is_some() {
        panic!("GRABBAG_TEST_PANIC is set: a deliberate panic");
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            // Killed or hung up: a response's session stays open in the
            // journal, so the next start offers to resume it exactly where
            // it was.
            return Ok(());
        }
        let wait = interface.wait(TICK.saturating_sub(last_tick.elapsed()));
        let (mut redraw, action) = interface.poll()?;
        if action == Action::Quit {
            return Ok(());
        }
        // Keys are read only while no plugin prompt has the terminal.
        let event = {
            let turn = lender.turn(terminal)?;
            redraw |= turn.cleared;
            if event::poll(wait)? {
                Some(event::read()?)
            } else {
                None
            }
        };
        if let Some(event) = event {
            match event {
                Event::Key(key) if key.kind == KeyEventKind::Press => match interface.key(key) {
                    Some(Action::Quit) => return Ok(()),
                    Some(Action::Continue) => redraw = true,
                    None => {}
                },
                Event::Resize(..) => redraw = true,
                _ => {}
            }
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            redraw |= interface.tick();
        }
        if redraw {
            let _turn = lender.turn(terminal)?;
            terminal.draw(|f| interface.draw(f))?;
        }
    }
}
