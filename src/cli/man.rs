//! `grabbag man`: the manual page, generated from the clap definitions (so
//! every subcommand and flag the binary accepts is in it). To standard output
//! as one page, or with `-o DIR` as one page per subcommand
//! (`grabbag.1`, `grabbag-journal-verify.1`, ...) ready for `man -l` or a
//! `man1` folder.

use std::path::PathBuf;
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
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("writing manual pages to {}", dir.display()))?;
            outln!("Wrote manual pages to {}", dir.display())?;
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
