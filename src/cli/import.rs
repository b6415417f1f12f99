//! `grabbag import FORMAT FILE`: bring a plan written in another format into
//! the library as a runbook. The one format so far is `cacao` (OASIS CACAO 2.0
//! security playbooks, JSON); `--check` only validates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use serde::Serialize;

use super::{Context, print_json, today};
use crate::cacao::{self, CacaoError, Finding, ImportOptions};
use crate::diagnostic::{Diagnostic, Level};
use crate::text::{printable, printable_line};

/// Largest playbook read: far above any real one, and a bound on the work.
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format of the file.
    #[command(subcommand)]
    pub format: Format,
}

/// The formats `import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum Format {
    /// An OASIS CACAO 2.0 security playbook (JSON), as a runbook draft.
    Cacao(CacaoArgs),
}

/// Arguments of `import cacao`.
#[derive(Debug, clap::Args)]
pub struct CacaoArgs {
    /// The playbook file (JSON).
    pub file: PathBuf,
    /// Where the runbook (plaintext TOML) goes.
    #[command(flatten)]
    pub output: Output,
    /// Only validate against the CACAO 2.0 schemas and the workflow rules.
    #[arg(long, conflicts_with = "output")]
    pub check: bool,
    /// With --check: print the findings as JSON.
    #[arg(long, requires = "check")]
    pub json: bool,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    file: &'a str,
    valid: bool,
    errors: usize,
    warnings: usize,
    findings: &'a [Finding],
}

/// `-o FILE` and `--force`, for commands that print or write a file.
#[derive(Debug, clap::Args)]
pub struct Output {
    /// Write to this file instead of printing. It is plaintext.
    #[arg(short = 'o', long = "output", id = "output", value_name = "FILE")]
    pub path: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

impl Output {
    /// Writes `text` to the file (owner-only, synced; an existing file only
    /// with `--force`), or prints it when there is no file. The path written.
    pub fn write(&self, text: &str) -> anyhow::Result<Option<&Path>> {
        let Some(path) = &self.path else {
            out!("{}", printable(text))?;
            return Ok(None);
        };
        super::write_private(path, text.as_bytes(), self.force)?;
        Ok(Some(path))
    }
}

/// Runs `import`.
pub fn run(_ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Cacao(args) => cacao(args),
    }
}

/// Reads a file of at most [`MAX_BYTES`], as UTF-8.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    if meta.len() > MAX_BYTES {
        return Err(anyhow!(
            "{shown} is {} bytes: more than the {MAX_BYTES} bytes grabbag reads",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{shown} is not UTF-8 text"))
}

fn print_findings(file: &str, findings: &[Finding]) {
    for f in findings {
        eprint!("{}", f.to_diagnostic(file).render());
    }
}

fn cacao(args: CacaoArgs) -> anyhow::Result<ExitCode> {
    let text = read_text(&args.file)?;
    let file = args.file.display().to_string();
    if args.check {
        let findings = cacao::check_json(&text);
        let errors = findings.iter().filter(|f| f.is_error()).count();
        let warnings = findings.len() - errors;
        if args.json {
            print_json(&CheckReport {
                file: &file,
                valid: errors == 0,
                errors,
                warnings,
                findings: &findings,
            })?;
            return Ok(ExitCode::from(if errors == 0 { 0 } else { 1 }));
        }
        print_findings(&file, &findings);
        return Ok(if errors == 0 {
            outln!(
                "{}: a valid CACAO 2.0 playbook ({warnings} warning(s))",
                printable_line(&file)
            )?;
            ExitCode::SUCCESS
        } else {
            outln!(
                "{}: not a valid CACAO 2.0 playbook: {errors} error(s), {warnings} warning(s)",
                printable_line(&file)
            )?;
            ExitCode::from(1)
        });
    }
    let default_id = args
        .output
        .path
        .as_deref()
        .and_then(|o| o.file_name())
        .and_then(|n| crate::library::id_for(Path::new(n)))
        .unwrap_or_else(|| "imported".to_owned());
    let options = ImportOptions {
        default_id,
        today: today(),
    };
    let imported = match cacao::import(&text, &options) {
        Ok(imported) => imported,
        Err(CacaoError::Invalid(findings)) => {
            print_findings(&file, &findings);
            eprintln!(
                "error: {} is not a valid CACAO 2.0 playbook: nothing imported",
                printable_line(&file)
            );
            return Ok(ExitCode::from(1));
        }
        Err(CacaoError::Json(why)) => {
            let d = Diagnostic::file_level(Level::Error, &file, format!("not JSON: {why}"));
            eprint!("{}", d.render());
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(anyhow!("{}: {e}", args.file.display())),
    };
    print_findings(&file, &imported.warnings);
    let Some(output) = args.output.write(&imported.toml)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let rb = &imported.runbook;
    outln!(
        "imported {} → {}: {} step(s), {} contact(s), {} warning(s).\n\
         It is a plaintext draft: review it, `grabbag lint` it, then `grabbag seal` it into the library.",
        printable_line(&file),
        printable_line(&output.display().to_string()),
        rb.steps.len(),
        rb.contacts.len(),
        imported.warnings.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
