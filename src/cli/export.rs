//! `grabbag export FORMAT ID`: a runbook from the library in another format.
//! The one format so far is `cacao` (OASIS CACAO 2.0 security playbooks,
//! JSON), checked against the official schemas before it is written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Context;
use super::list::find;
use crate::cacao::{self, CacaoError};
use crate::text::{printable, printable_line};

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
    /// Write the playbook to this file instead of printing it. It is plaintext.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
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
    let Some(output) = args.output else {
        print!("{}", printable(&json));
        return Ok(ExitCode::SUCCESS);
    };
    let written = if args.force {
        crate::fsutil::replace_atomically(&output, json.as_bytes())
    } else {
        crate::fsutil::write_new_private(&output, json.as_bytes())
    };
    written.with_context(|| {
        if output.exists() && !args.force {
            format!("{} exists (use --force to replace it)", output.display())
        } else {
            format!("cannot write {}", output.display())
        }
    })?;
    println!(
        "exported `{}` (version {}) → {}: a CACAO 2.0 playbook, valid against the official schemas.\n\
         It is plaintext: it holds the runbook's whole text.",
        printable_line(&args.id),
        loaded.version.short(),
        printable_line(&output.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
