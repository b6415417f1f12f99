//! `grabbag run` (and `grabbag` alone): the terminal interface on the library.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Context, today};
use crate::config::{LastSession, Theme};
use crate::crypto::Identities;
use crate::library::{Library, LoadOptions, LoadReport};
use crate::tui::{self, Look, Setup};

/// How the interface looks.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LookArgs {
    /// No box drawing or Unicode symbols, for terminals without Unicode.
    #[arg(long)]
    pub ascii: bool,
    /// Strong colours on black (bright rooms, projectors).
    #[arg(long)]
    pub high_contrast: bool,
}

impl LookArgs {
    /// The look: these flags over the theme setting, with `NO_COLOR` from the
    /// environment winning over both.
    pub fn look(&self, theme: Theme) -> Look {
        Look {
            no_color: Look::no_color_from_env() || theme == Theme::NoColor,
            high_contrast: self.high_contrast || theme == Theme::HighContrast,
            ascii: self.ascii,
        }
    }
}

/// Arguments of `run`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Resume this journal instead of choosing a runbook.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `run`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    if let Some(journal) = &args.journal {
        super::note::refuse_received(library.root(), journal)?;
    }
    let ids = ctx.identities_if_any()?;
    let setup = setup(ctx, &library, LoadReport::default(), ids, &args.look);
    // Decrypting and checking every runbook is most of the start-up time
    // (about 0.2 s for 1,000 on two cores): the library screen comes up at
    // once and fills when they arrive, so a responder can start typing.
    std::thread::scope(|s| {
        let (send, pending) = std::sync::mpsc::channel();
        s.spawn(move || {
            let options = LoadOptions {
                today: today(),
                require_signed: false,
            };
            // The interface may have gone already; then nobody listens.
            let _ = send.send(library.load(ids, &options));
        });
        open(setup, Some(pending), args.journal)
    })
}

/// Opens the interface: `journal` is resumed, or else an unfinished journal
/// is offered, once the runbooks (or `pending` ones) are in.
pub fn open(
    setup: Setup<'_>,
    pending: Option<tui::PendingLoad>,
    journal: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let outcome = match &journal {
        // Read while the runbooks load (its session starts once they are in).
        Some(path) => tui::run_resuming(setup, pending, |app| app.resume(path))?,
        None => tui::run(setup, pending, tui::offer_resume)?,
    };
    Ok(left(&outcome))
}

/// After the interface: files that did not load are said again where the
/// screen is gone, and make the exit status 1, as `list` does.
pub fn left(outcome: &tui::Outcome) -> ExitCode {
    if outcome.did_not_load.is_empty() {
        ExitCode::SUCCESS
    } else {
        super::list::warn_did_not_load(&outcome.did_not_load);
        ExitCode::from(1)
    }
}

/// What the interface starts from, for `run`, `exercise run` and `replay`.
pub fn setup<'a>(
    ctx: &Context,
    library: &Library,
    report: LoadReport,
    identities: Option<&'a Identities>,
    look: &LookArgs,
) -> Setup<'a> {
    // The actor setting (flag, environment, config) is offered in the start
    // form over the answers remembered from last time.
    let mut last = LastSession::load();
    let (name, role) = ctx.actor_setting();
    if let Some(name) = name {
        last.name.clone_from(name);
    }
    if let Some(role) = role {
        last.role.clone_from(role);
    }
    Setup {
        root: library.root().to_owned(),
        report,
        // A library without a recipients file writes plaintext journals, and
        // each journal's first entry says so.
        recipients: library.recipients().ok(),
        identities,
        today: today(),
        look: look.look(ctx.theme),
        last,
        last_path: LastSession::path(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_setting_and_flags_combine() {
        let none = LookArgs::default();
        assert!(none.look(Theme::NoColor).no_color);
        assert!(none.look(Theme::HighContrast).high_contrast);
        assert!(!none.look(Theme::Default).high_contrast);
        let flags = LookArgs {
            ascii: true,
            high_contrast: true,
        };
        let look = flags.look(Theme::Default);
        assert!(look.ascii && look.high_contrast);
    }
}
