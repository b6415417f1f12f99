//! `grabbag completions SHELL`: tab completion for every subcommand and flag,
//! generated from the same clap definitions the binary parses with, so it can
//! never fall out of date. Written to standard output; see `docs/INSTALL.md`
//! for where each shell wants the file.

use std::process::ExitCode;

use clap::CommandFactory as _;

use super::Cli;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

/// Runs `completions`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    // Into memory first: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "grabbag", &mut script);
    super::out::bytes(&script)?;
    Ok(ExitCode::SUCCESS)
}
