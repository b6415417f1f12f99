//! `grabbag export FORMAT ID`: a runbook from the library in another format.
//! The one format so far is `cacao` (OASIS CACAO 2.0 security playbooks,
//! JSON), checked against the official schemas before it is written.

use std::process::ExitCode;

use super::Context;
use super::import::Output;
use super::list::find;
use crate::cacao::{self, CacaoError};
use crate::text::printable_line;

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format to write.
    #[command(subcommand)]
    pub format: Format,
}

/// The formats `export` writes.
#[derive(Debug, clap::Subcommand)]
pub enum Format {
    /// An OASIS CACAO 2.0 security playbook (JSON).
    Cacao(CacaoArgs),
}

/// Arguments of `export cacao`.
#[derive(Debug, clap::Args)]
pub struct CacaoArgs {
    /// The runbook id, e.g. `cyber/ransomware`.
    pub id: String,
    /// Where the playbook (JSON) goes.
    #[command(flatten)]
    pub output: Output,
    /// Refuse the runbook unless its last change is signed by an allowed signer.
    #[arg(long)]
    pub require_signed: bool,
}

/// Runs `export`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Cacao(args) => cacao(ctx, args),
    }
}

fn cacao(ctx: &Context, args: CacaoArgs) -> anyhow::Result<ExitCode> {
    let (_, report) = ctx.load(args.require_signed)?;
    let loaded = find(&report, &args.id)?;
    let json = match cacao::export(&loaded.runbook) {
        Ok(json) => json,
        Err(CacaoError::Export(findings)) => {
            for f in &findings {
                eprint!("{}", f.to_diagnostic(&args.id).render());
            }
            eprintln!(
                "error: the export of `{}` failed its self-check: nothing written",
                printable_line(&args.id)
            );
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(output) = args.output.write(&json)? else {
        return Ok(ExitCode::SUCCESS);
    };
    outln!(
        "exported `{}` (version {}) → {}: a CACAO 2.0 playbook, valid against the official schemas.\n\
         It is plaintext: it holds the runbook's whole text.",
        printable_line(&args.id),
        loaded.version.short(),
        printable_line(&output.display().to_string())
    )?;
    Ok(ExitCode::SUCCESS)
}
