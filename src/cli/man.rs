//! `grabbag man`: the manual page, generated from the clap definitions (so
//! every subcommand and flag the binary accepts is in it). To standard output
//! as one page, or with `-o DIR` as one page per subcommand
//! (`grabbag.1`, `grabbag-journal-verify.1`, ...) ready for `man -l` or a
//! `man1` folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::CommandFactory as _;

use super::Cli;

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write one page per subcommand into this folder (made if missing)
    /// instead of the main page to standard output.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Runs `man`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match args.output {
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("making {}", dir.display()))?;
            // As clap_mangen::generate_to names and walks the pages, but each
            // page is written whole (temp + rename) and never through a link.
            let mut command = command.disable_help_subcommand(true);
            command.build();
            let written = write_pages(command, &dir)?;
            outln!("Wrote {written} manual pages to {}", dir.display())?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("rendering the manual page")?;
            super::out::bytes(&page)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` and of each subcommand into `dir`; returns
/// how many.
fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    let mut written = 0;
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
    {
        written += write_pages(sub, dir)?;
    }
    let man = clap_mangen::Man::new(command);
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page).context("rendering a manual page")?;
    crate::fsutil::write_output(&path, &page, true)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(written + 1)
}
