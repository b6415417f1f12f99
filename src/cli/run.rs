//! `grabbag run` (and `grabbag` alone): the terminal interface on the library.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Context, today};
use crate::config::{LastSession, Theme};
use crate::crypto::Identities;
use crate::library::{Library, LoadReport};
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
    let (library, report) = ctx.load(false)?;
    let ids = ctx.identities_if_any()?;
    open(ctx, &library, report, ids, &args.look, args.journal)
}

/// Opens the interface on a loaded library: `journal` is resumed, or else an
/// unfinished journal is offered.
pub fn open(
    ctx: &Context,
    library: &Library,
    report: LoadReport,
    identities: Option<&Identities>,
    look: &LookArgs,
    journal: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let setup = setup(ctx, library, report, identities, look);
    tui::run(setup, |app| match &journal {
        Some(path) => app.resume(path),
        None => tui::offer_resume(app),
    })?;
    Ok(ExitCode::SUCCESS)
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
    if let Some(name) = &ctx.actor_name {
        last.name.clone_from(name);
    }
    if let Some(role) = &ctx.actor_role {
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
