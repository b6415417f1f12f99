//! `grabbag journal verify|sign|witness|merge|commit|export` (and `push|pull`, in
//! `exchange`): the auditor's
//! and the command room's tools for journals.
//!
//! Everything here but `export` works on the stored bytes, so none of it
//! needs the journal key: an auditor verifies an encrypted journal, and a coordinator merges
//! responders' journals, without being able to read them. Exit codes: 0 ok,
//! 1 a journal fails verification (or is refused for failing it), 2 usage or
//! environment errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use clap::Subcommand;
use serde::Serialize;

use super::{Context, print_json, write_private};
use crate::crypto::Identities;
use crate::fsutil;
use crate::journal::merge::{self, MergeError, Source};
use crate::journal::store::{key_path, read_journal_bytes, rewrapped_key, write_key};
use crate::journal::verify::{
    Format, SignatureStatus, SourceReport, VerifyOptions, VerifyReport, index_source_at,
    signature_path, verify, verify_bytes,
};
use crate::journal::{Finding, parse_witness, witness_code};
use crate::library::{self, JOURNALS_DIR, Library, LoadOptions};
use crate::report::{self, Input, Timeline};
use crate::signing::{AllowedSigners, JOURNAL_NAMESPACE, Signer};
use crate::text::printable_line;

/// Arguments of `journal`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// The `journal` subcommands.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check journals (or merged timelines): hash chain, seq, clocks, witness codes, signature.
    Verify(VerifyArgs),
    /// Sign a journal with an SSH key: writes FILE.sig, checkable with `ssh-keygen -Y verify`.
    Sign(SignArgs),
    /// Print the witness code of a journal's last entry, for the paper log.
    Witness(WitnessArgs),
    /// Merge several responders' journals into one timeline; each stays verifiable.
    Merge(MergeArgs),
    /// Copy journals (with their .sig) into the library's journals/ folder and commit them.
    Commit(CommitArgs),
    /// Let the library's recipients as they are now read journals kept outside it: writes FILE.key (`grabbag rekey` does the library's own).
    Rekey(RekeyArgs),
    /// Export a journal (or merged timeline) as Markdown, HTML, CSV, JSON or Timesketch JSONL.
    Export(ExportArgs),
    /// Send this laptop's journals to a remote (a repository on a stick, or over SSH): verified, fast-forward only.
    Push(super::exchange::PushArgs),
    /// Take the other responders' journals from a remote into journals/received/SENDER/, each verified first.
    Pull(super::exchange::PullArgs),
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Markdown.
    Md,
    /// One self-contained HTML page (prints on A4).
    Html,
    /// CSV for spreadsheets (RFC 4180, formulas neutralised).
    Csv,
    /// JSON (docs/exports.md).
    Json,
    /// Timesketch JSON Lines.
    Timesketch,
}

/// Arguments of `journal export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The journal or merged timeline.
    pub file: PathBuf,
    /// The format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Witness codes and signers.
    #[command(flatten)]
    pub checks: Checks,
}

/// Witness codes as `(seq, code)`.
type Witnesses = Vec<(u64, String)>;

/// What to check a journal against besides itself: witness codes from the
/// paper log and who may sign.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Checks {
    /// A witness code from the paper log (e.g. 12:ABCDE-FGHJK): entry SEQ must have it. Repeatable; one FILE only.
    #[arg(long, value_name = "SEQ:CODE", value_parser = parse_witness_arg)]
    pub witness: Vec<(u64, String)>,
    /// The allowed_signers file that names who may sign (default: the library's .grabbag/allowed_signers).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Fail a signature made by a key the allowed signers do not list (by default it is reported as valid, signer unknown).
    #[arg(long)]
    pub require_known_signer: bool,
}

/// What the checks resolve to: witness codes, the allowed signers, and
/// whether an unknown signer is a failure.
type Resolved = (Witnesses, Option<AllowedSigners>, bool);

impl Checks {
    /// The witnesses and allowed signers, refusing witness codes for more
    /// than one file (a code belongs to one journal).
    pub(super) fn resolve(self, ctx: &Context, files: usize) -> anyhow::Result<Resolved> {
        if !self.witness.is_empty() && files > 1 {
            bail!("--witness belongs to one journal: give one FILE at a time with witness codes");
        }
        let signers = allowed_signers(ctx, self.allowed_signers.as_deref())?;
        Ok((self.witness, signers, self.require_known_signer))
    }
}

/// Arguments of `journal verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Journals or merged timelines to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Witness codes and signers.
    #[command(flatten)]
    pub checks: Checks,
    /// Print the reports as JSON (an array, one per file).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `journal sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The journal (or merged timeline) to sign.
    pub file: PathBuf,
    /// An unencrypted OpenSSH private key (e.g. made by `ssh-keygen -t ed25519`).
    #[arg(long, value_name = "SSH_KEY")]
    pub key: PathBuf,
    /// Replace an existing FILE.sig.
    #[arg(long)]
    pub force: bool,
    /// The principal to show in the auditor's command (default: found in the allowed signers, else the key's comment).
    #[arg(long)]
    pub principal: Option<String>,
    /// The allowed_signers file to name the signer from (default: the library's).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

/// Arguments of `journal witness`.
#[derive(Debug, clap::Args)]
pub struct WitnessArgs {
    /// The journal.
    pub file: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `journal merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The responders' journals.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The merged timeline to write.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// The allowed_signers file for the sources' signatures (default: the library's).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

/// Arguments of `journal commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Journals (or merged timelines) to add to the library.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The commit message (default: names each journal and its head).
    #[arg(short, long)]
    pub message: Option<String>,
}

/// Arguments of `journal rekey`.
#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// Encrypted journals; your identity must be able to read each.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `journal`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        JournalCommand::Verify(args) => verify_cmd(ctx, args),
        JournalCommand::Sign(args) => sign(ctx, args),
        JournalCommand::Witness(args) => witness(args),
        JournalCommand::Merge(args) => merge_cmd(ctx, args),
        JournalCommand::Commit(args) => commit(ctx, args),
        JournalCommand::Rekey(args) => rekey(ctx, args),
        JournalCommand::Export(args) => export(ctx, args),
        JournalCommand::Push(args) => super::exchange::push(ctx, args),
        JournalCommand::Pull(args) => super::exchange::pull(ctx, args),
    }
}

/// Reads journals into one timeline, checking witness codes and signatures,
/// with the configured library when there is one.
pub(super) fn read_timeline(
    ctx: &Context,
    files: &[PathBuf],
    checks: Checks,
) -> anyhow::Result<Timeline> {
    gather(ctx, files, checks)?.timeline()
}

/// The journals a timeline is read from and what reading it needs, gathered
/// where the command line's context is, so that the reading itself
/// ([`Gathered::timeline`]) can run on another thread.
pub(super) struct Gathered<'c> {
    read: Vec<(PathBuf, Vec<u8>)>,
    witnesses: Vec<(u64, String)>,
    signers: Option<AllowedSigners>,
    require_known_signer: bool,
    identities: Option<&'c Identities>,
    library: Option<Library>,
}

/// Reads the files and resolves the checks, the keys and the library.
pub(super) fn gather<'c>(
    ctx: &'c Context,
    files: &[PathBuf],
    checks: Checks,
) -> anyhow::Result<Gathered<'c>> {
    let (witnesses, signers, require_known_signer) = checks.resolve(ctx, files.len())?;
    let mut read = Vec::new();
    for file in files {
        let bytes =
            read_journal_bytes(file).with_context(|| format!("reading {}", file.display()))?;
        read.push((file.clone(), bytes));
    }
    Ok(Gathered {
        read,
        witnesses,
        signers,
        require_known_signer,
        identities: ctx.identities_if_any()?,
        library: ctx
            .library_path()
            .ok()
            .and_then(|_| ctx.library().ok())
            .inspect(super::warn_if_sync_interrupted),
    })
}

impl Gathered<'_> {
    /// The timeline of the files read. With a library: steps and clocks
    /// named in words, and each runbook version followed compared with HEAD.
    /// Without one (or when it does not load), ids are shown and versions
    /// are not compared.
    pub(super) fn timeline(self) -> anyhow::Result<Timeline> {
        let options = VerifyOptions {
            witnesses: self.witnesses.clone(),
            allowed_signers: self.signers.as_ref(),
            require_known_signer: self.require_known_signer,
        };
        let inputs: Vec<Input<'_>> = self
            .read
            .iter()
            .map(|(path, bytes)| Input { path, bytes })
            .collect();
        let load = LoadOptions {
            today: super::today(),
            require_signed: false,
        };
        let library = self
            .library
            .as_ref()
            .and_then(|l| Some((l, l.load(self.identities, &load).ok()?)));
        let runbooks: Vec<crate::runbook::Runbook> =
            library.as_ref().map_or_else(Vec::new, |(_, r)| {
                r.runbooks.iter().map(|l| l.runbook.clone()).collect()
            });
        let mut timeline = Timeline::read(&inputs, &options, self.identities, runbooks.as_slice())?;
        if let Some((library, _)) = library {
            timeline.head = report::diff::against_head(&timeline, library, self.identities);
        }
        Ok(timeline)
    }

    /// The timeline of about the first `max` bytes of each file (whole
    /// entries), unchecked against witnesses and signatures and without the
    /// library: a first screen while [`Gathered::timeline`] reads it all.
    /// Empty when a part cannot be read so (a merged timeline's parts).
    pub(super) fn first_part(&self, max: usize) -> Timeline {
        let parts: Vec<Input<'_>> = self
            .read
            .iter()
            .map(|(path, bytes)| {
                let cut = if bytes.len() <= max {
                    bytes.len()
                } else {
                    bytes[..max]
                        .iter()
                        .rposition(|b| *b == b'\n')
                        .map_or(0, |i| i + 1)
                };
                Input {
                    path,
                    bytes: &bytes[..cut],
                }
            })
            .collect();
        Timeline::read(&parts, &VerifyOptions::default(), self.identities, &[][..]).unwrap_or_else(
            |_| Timeline {
                files: Vec::new(),
                sources: Vec::new(),
                rows: Vec::new(),
                head: Vec::new(),
            },
        )
    }
}

fn export(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let Some(out) = &args.output
        && out.exists()
        && !args.force
    {
        // Checked first too, so a long read is not wasted.
        bail!(
            "{} already exists: pass --force to replace it",
            out.display()
        );
    }
    let timeline = read_timeline(ctx, std::slice::from_ref(&args.file), args.checks)?;
    let text = match args.format {
        ExportFormat::Md => report::markdown::render(&timeline),
        ExportFormat::Html => report::html::render(&timeline),
        ExportFormat::Csv => report::csv::render(&timeline),
        ExportFormat::Json => report::json::render(&timeline)?,
        ExportFormat::Timesketch => report::timesketch::render(&timeline)?,
    };
    super::write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    if let Some(out) = &args.output {
        let decrypted = timeline
            .files
            .iter()
            .any(|f| f.report.encrypted && f.readable);
        super::say_written(out, &format!("{} entries", timeline.rows.len()), decrypted);
    }
    for file in &timeline.files {
        if !file.report.ok() {
            eprintln!(
                "warning: {}: {}",
                show(&file.report.file),
                printable_line(&file.summary())
            );
        }
    }
    Ok(if timeline.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// clap parser for `--witness`: forgiving about case, spaces and look-alike
/// letters (see [`parse_witness`]), strict about the shape.
fn parse_witness_arg(text: &str) -> Result<(u64, String), String> {
    parse_witness(text)
        .filter(|(seq, code)| *seq > 0 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| {
            "expected SEQ:CODE as `journal witness` prints it, e.g. 12:ABCDE-FGHJK".to_owned()
        })
}

/// The allowed signers: from `--allowed-signers`, else the library's (when a
/// library is configured), else none.
fn allowed_signers(ctx: &Context, flag: Option<&Path>) -> anyhow::Result<Option<AllowedSigners>> {
    if let Some(path) = flag {
        let text = fs::read_to_string(path)
            .with_context(|| format!("reading allowed signers {}", path.display()))?;
        return Ok(Some(AllowedSigners::parse(&text, path)?));
    }
    if ctx.library_path().is_err() {
        return Ok(None);
    }
    Ok(ctx.library()?.allowed_signers()?)
}

fn show(path: &Path) -> String {
    printable_line(&path.display().to_string()).into_owned()
}

/// One finding as a line: where, then what (without repeating the seq). In a
/// merged file the messages name the merged line or the source themselves.
fn describe(finding: &Finding, format: Format) -> String {
    let (place, message) = match (format, finding.seq) {
        (Format::Journal, Some(seq)) => (
            format!("seq {seq} at byte {}", finding.offset),
            finding
                .message
                .strip_prefix(&format!("seq {seq}: "))
                .unwrap_or(&finding.message),
        ),
        _ => (format!("byte {}", finding.offset), finding.message.as_str()),
    };
    format!("{place}: {}", printable_line(message))
}

/// Prints a report for a person.
fn print_report(report: &VerifyReport) -> Result<(), super::out::StdoutError> {
    let what = match report.format {
        Format::Journal => "journal",
        Format::Merge => "merged timeline",
    };
    let head = report.head.as_ref().map_or_else(
        || "no good entry".to_owned(),
        |h| match &h.at {
            Some(at) => format!("head {} ({})", h.witness, printable_line(at)),
            None => format!("head {}", h.witness),
        },
    );
    let count = match (report.format, report.problems.is_empty()) {
        (Format::Journal, true) => format!("{} entries", report.entries),
        (Format::Journal, false) => format!("{} good entries", report.entries),
        (Format::Merge, true) => format!("{} lines", report.entries),
        (Format::Merge, false) => format!("{} good lines", report.entries),
    };
    outln!(
        "{}: {}: {what}, {count}, {}; {head}",
        show(&report.file),
        if report.ok { "OK" } else { "FAILED" },
        if report.encrypted {
            "encrypted"
        } else {
            "PLAINTEXT"
        },
    )?;
    for (i, p) in report.problems.iter().enumerate() {
        let label = match (i, report.format) {
            (0, Format::Journal) => "first bad entry",
            (0, Format::Merge) => "first problem",
            _ => "problem",
        };
        outln!("  {label}: {}", describe(p, report.format))?;
    }
    for w in &report.warnings {
        outln!("  warning: {}", describe(w, report.format))?;
    }
    print_sources(&report.sources)?;
    for w in &report.witnesses {
        outln!(
            "  witness {}: {}: {}",
            w.witness,
            if w.matched { "matched" } else { "MISMATCH" },
            printable_line(&w.message)
        )?;
    }
    match &report.signature {
        Some(sig) => {
            let status = match sig.status {
                SignatureStatus::Valid if sig.whole_file => "valid",
                SignatureStatus::Valid => "valid, PARTIAL",
                SignatureStatus::Unchecked => "UNCHECKED",
                SignatureStatus::UnknownSigner => "valid, signer not in allowed_signers",
                SignatureStatus::Invalid => "INVALID",
            };
            outln!(
                "  signature {}: {status}: {}",
                show(&sig.file),
                printable_line(&sig.message)
            )?;
        }
        None => outln!(
            "  signature: none (no {})",
            show(&signature_path(&report.file))
        )?,
    }
    Ok(())
}

fn verify_cmd(ctx: &Context, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (witnesses, signers, require_known_signer) = args.checks.resolve(ctx, args.files.len())?;
    let options = VerifyOptions {
        witnesses,
        allowed_signers: signers.as_ref(),
        require_known_signer,
    };
    let mut reports = Vec::new();
    let mut unreadable = false;
    for file in &args.files {
        match verify(file, &options) {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("error: {}", printable_line(&e.to_string()));
                unreadable = true;
            }
        }
    }
    if args.json {
        print_json(&reports)?;
    } else {
        for report in &reports {
            print_report(report)?;
        }
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if reports.iter().any(|r| !r.ok) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn sign(ctx: &Context, args: SignArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_journal_bytes(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let report = verify_bytes(&args.file, &bytes, &VerifyOptions::default())?;
    if !report.problems.is_empty() {
        print_report(&report)?;
        eprintln!(
            "error: refusing to sign {}: it fails verification",
            show(&args.file)
        );
        return Ok(ExitCode::from(1));
    }
    let sig_path = signature_path(&args.file);
    if sig_path.exists() && !args.force {
        bail!(
            "{} already exists: pass --force to replace it",
            sig_path.display()
        );
    }
    let signer = Signer::from_openssh_file(&args.key)?;
    let armored = signer.sign(&bytes, JOURNAL_NAMESPACE)?;
    write_private(&sig_path, armored.as_bytes(), args.force)?;
    let signers = allowed_signers(ctx, args.allowed_signers.as_deref())?;
    let listed = signers.as_ref().and_then(|s| {
        s.verify(&bytes, &armored, JOURNAL_NAMESPACE)
            .ok()
            .map(|principals| (s.origin().to_owned(), principals))
    });
    let comment = signer
        .public_key_openssh()
        .split_whitespace()
        .nth(2)
        .map(str::to_owned);
    let principal = args
        .principal
        .or_else(|| {
            // A line may list several principals; any one of them will do.
            listed
                .as_ref()
                .and_then(|(_, p)| p.split(',').next().map(str::to_owned))
        })
        .or(comment)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "responder".to_owned());
    let head = report.head.as_ref().map_or("?", |h| h.witness.as_str());
    outln!(
        "Signed {} ({} entries, head {head}) with key {}.",
        show(&args.file),
        report.entries,
        signer.fingerprint()
    )?;
    outln!("Wrote {}.", show(&sig_path))?;
    let allowed = listed.as_ref().map_or_else(
        || "allowed_signers".to_owned(),
        |(path, _)| path.display().to_string(),
    );
    outln!("An auditor checks it without grabbag:")?;
    outln!(
        "  ssh-keygen -Y verify -f {} -I {} -n {JOURNAL_NAMESPACE} -s {} < {}",
        shell_quote(&allowed),
        shell_quote(&principal),
        shell_quote(&sig_path.display().to_string()),
        shell_quote(&args.file.display().to_string())
    )?;
    if listed.is_none() {
        outln!(
            "where allowed_signers holds this line (the key is not in any allowed signers given):"
        )?;
        outln!("  {}", signer.allowed_signers_line(&principal))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct WitnessOut<'a> {
    file: &'a Path,
    seq: u64,
    hash: &'a str,
    witness: &'a str,
    at: Option<&'a str>,
}

fn witness(args: WitnessArgs) -> anyhow::Result<ExitCode> {
    let report = verify(&args.file, &VerifyOptions::default())?;
    let head = match (&report.head, report.problems.is_empty()) {
        (Some(head), true) => head,
        _ => {
            print_report(&report)?;
            eprintln!(
                "error: {} fails verification: no witness code to give",
                show(&args.file)
            );
            return Ok(ExitCode::from(1));
        }
    };
    if args.json {
        print_json(&WitnessOut {
            file: &args.file,
            seq: head.seq,
            hash: &head.hash,
            witness: &head.witness,
            at: head.at.as_deref(),
        })?;
    } else {
        let when = head.at.as_deref().map_or_else(String::new, |at| {
            format!(", written {}", printable_line(at))
        });
        let what = match report.format {
            Format::Journal => "seq",
            Format::Merge => "merged line",
        };
        outln!("{}  ({what} {}{when})", head.witness, head.seq)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn merge_cmd(ctx: &Context, args: MergeArgs) -> anyhow::Result<ExitCode> {
    if args.output.exists() && !args.force {
        bail!(
            "{} already exists: pass --force to replace it",
            args.output.display()
        );
    }
    let out_real = fs::canonicalize(&args.output).ok();
    let signers = allowed_signers(ctx, args.allowed_signers.as_deref())?;
    let options = VerifyOptions {
        witnesses: Vec::new(),
        allowed_signers: signers.as_ref(),
        require_known_signer: false,
    };
    let mut inputs = Vec::new();
    for file in &args.files {
        if out_real.is_some() && fs::canonicalize(file).ok() == out_real {
            bail!("{} is both a source and the output", file.display());
        }
        let bytes =
            read_journal_bytes(file).with_context(|| format!("reading {}", file.display()))?;
        if merge::is_merged(&bytes) {
            bail!(
                "{} is already a merged timeline: merge the responders' own journals",
                file.display()
            );
        }
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        inputs.push((file, name, bytes));
    }
    // One pass over each source, the sources side by side on the cores:
    // what `journal verify` says of it, and the order of its entries.
    let checked = crate::parallel::map(&inputs, 8, |(file, name, bytes)| {
        index_source_at(Some(file.as_path()), Source { name, bytes }, &options)
    });
    let mut prepared = Vec::new();
    let mut failed = false;
    for ((file, _, _), checked) in inputs.iter().zip(checked) {
        let checked =
            checked.ok_or_else(|| anyhow!("checking {} stopped unexpectedly", file.display()))?;
        let (report, ready) = checked?;
        if !report.ok {
            print_report(&report)?;
            eprintln!(
                "error: refusing to merge {}: it fails verification",
                show(file)
            );
            failed = true;
        }
        prepared.push(ready);
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    let plan = match merge::Plan::new(prepared) {
        Ok(plan) => plan,
        Err(e @ MergeError::Broken { .. }) => {
            eprintln!("error: {}", printable_line(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    // Written as it is merged: the merged file is never held in memory
    // (docs/PERFORMANCE.md, "journal merge").
    let mut merged = None;
    fsutil::write_output_with(&args.output, args.force, |file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        merged = Some(plan.write(&mut out).map_err(std::io::Error::other)?);
        std::io::Write::flush(&mut out)
    })
    .with_context(|| format!("cannot write {}", args.output.display()))?;
    let merged = merged.ok_or_else(|| anyhow!("{} was not written", args.output.display()))?;
    outln!(
        "Merged {} journals into {}: {} lines.",
        merged.sources.len(),
        show(&args.output),
        merged.lines
    )?;
    let sources: Vec<SourceReport> = merged
        .sources
        .iter()
        .enumerate()
        .map(|(index, s)| s.report(index))
        .collect();
    print_sources(&sources)?;
    if merged.lines > 0 {
        outln!(
            "Merged head {}.",
            witness_code(merged.lines, &merged.head_hash)
        )?;
    }
    let sig = signature_path(&args.output);
    if sig.exists()
        && verify(&args.output, &VerifyOptions::default())?
            .signature
            .is_some_and(|s| s.status == SignatureStatus::Invalid)
    {
        outln!(
            "warning: {} belonged to the file replaced and no longer matches: sign the new one or remove it",
            show(&sig)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Files that travel with a journal: its signature, quarantined torn tails,
/// and its key wrapped to later readers by a rekey.
fn companions(path: &Path) -> [PathBuf; 3] {
    let mut torn = path.as_os_str().to_owned();
    torn.push(".torn");
    [signature_path(path), PathBuf::from(torn), key_path(path)]
}

fn commit(ctx: &Context, args: CommitArgs) -> anyhow::Result<ExitCode> {
    let (library, _lock) = ctx.library_for_change()?;
    let root = fs::canonicalize(library.root())
        .with_context(|| format!("reading {}", library.root().display()))?;
    // Refused when `journals` is a symlink leading out of the library.
    library::inside(&root, Path::new(JOURNALS_DIR))?;
    let signers = library.allowed_signers()?;
    let options = VerifyOptions {
        witnesses: Vec::new(),
        allowed_signers: signers.as_ref(),
        require_known_signer: false,
    };
    // Verify everything before touching anything: all or nothing.
    let mut checked = Vec::new();
    let mut failed = false;
    for file in &args.files {
        let bytes =
            read_journal_bytes(file).with_context(|| format!("reading {}", file.display()))?;
        let report = verify_bytes(file, &bytes, &options)?;
        if !report.ok {
            print_report(&report)?;
            eprintln!(
                "error: refusing to commit {}: it fails verification",
                show(file)
            );
            failed = true;
        }
        checked.push((file, bytes, report));
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    // What is committed is a snapshot under journals/committed/: the live
    // file (which the interface or `note` may still be appending to) is never
    // tracked, so no sync can replace or remove it and its growth never
    // blocks a sync (docs/journal-format.md, "Live and committed journals").
    let mut staged: Vec<PathBuf> = Vec::new();
    let mut untracked: Vec<PathBuf> = Vec::new();
    let mut summary = Vec::new();
    for (file, bytes, report) in &checked {
        let real = fs::canonicalize(file).with_context(|| format!("reading {}", file.display()))?;
        let name = real
            .file_name()
            .ok_or_else(|| anyhow!("{} has no file name", file.display()))?;
        let rel = Path::new(library::COMMITTED_JOURNALS_DIR).join(name);
        let dest = library::inside(&root, &rel)?;
        if real != dest {
            copy_journal(file, bytes, &dest)?;
            for (from, to) in companions(file).iter().zip(companions(&dest)) {
                // A snapshot's `.key` is what the last rekey wrote, maybe on
                // another laptop, to recipients newer than the live `.key`
                // here: a live one only fills in a missing one.
                let rekeyed = to == key_path(&dest) && fs::symlink_metadata(&to).is_ok();
                if from.exists() && !rekeyed {
                    let data = read_journal_bytes(from)
                        .with_context(|| format!("reading {}", from.display()))?;
                    crate::fault::point("journal snapshot companion")?;
                    write_private(&to, &data, true)?;
                }
            }
        }
        // A live journal an earlier version committed in place leaves git's
        // care (the file stays where it is).
        if let Ok(live) = real.strip_prefix(&root)
            && library::is_live_journal(&live.to_string_lossy())
        {
            untracked.extend(std::iter::once(live.to_owned()).chain(companions(live)));
        }
        for path in std::iter::once(rel.clone()).chain(companions(&rel)) {
            if root.join(&path).exists() {
                staged.push(path);
            }
        }
        let head = report.head.as_ref().map_or("?", |h| h.witness.as_str());
        summary.push(format!(
            "{} ({} {}, head {head}{})",
            rel.display(),
            report.entries,
            if report.format == Format::Merge {
                "merged lines"
            } else {
                "entries"
            },
            match &report.signature {
                Some(sig) if sig.whole_file => ", signed".to_owned(),
                Some(sig) => format!(
                    ", signed through {}",
                    sig.signed_through
                        .map_or("part".to_owned(), |n| n.to_string())
                ),
                None => String::new(),
            }
        ));
        if !report.encrypted {
            eprintln!(
                "warning: {} is PLAINTEXT: anyone with a copy of the library can read it",
                rel.display()
            );
        }
    }
    if library.ignore_live_journals()? {
        staged.push(PathBuf::from(".gitignore"));
    }
    let refs: Vec<&Path> = staged.iter().map(PathBuf::as_path).collect();
    let untrack: Vec<&Path> = untracked.iter().map(PathBuf::as_path).collect();
    library.stage_changes(&refs, &untrack)?;
    if !has_staged_changes(library.repo())? {
        outln!("Nothing to commit: the library already holds these journals as they are.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let message = args.message.unwrap_or_else(|| match summary.as_slice() {
        [one] => format!("Add journal {one}"),
        many => format!("Add {} journals\n\n{}", many.len(), many.join("\n")),
    });
    let signer = library.configured_signer()?;
    let oid = library.commit(&message, signer.as_ref())?;
    outln!(
        "Committed {} to {} as {} ({}):",
        if summary.len() == 1 {
            "1 journal".to_owned()
        } else {
            format!("{} journals", summary.len())
        },
        show(library.root()),
        &oid.to_string()[..12],
        if signer.is_some() {
            "signed"
        } else {
            "unsigned"
        }
    )?;
    for line in &summary {
        outln!("  {}", printable_line(line))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `journal rekey`: each journal's key wrapped to the library's
/// recipients in `FILE.key`. Every key is opened before the first write, so
/// a journal this identity cannot read stops it with nothing written.
fn rekey(ctx: &Context, args: RekeyArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let recipients = library.recipients()?;
    let ids = ctx.identities()?;
    let mut wrapped = Vec::new();
    for file in &args.files {
        let bytes =
            read_journal_bytes(file).with_context(|| format!("reading {}", file.display()))?;
        if merge::is_merged(&bytes) {
            outln!(
                "{}: a merged timeline has no key of its own: rekey its source journals",
                show(file)
            )?;
            continue;
        }
        match rewrapped_key(file, &bytes, ids, &recipients)? {
            Some(key) => wrapped.push((file, key)),
            None => outln!("{}: plaintext, nothing to give", show(file))?,
        }
    }
    for (file, key) in &wrapped {
        let written = write_key(file, key)?;
        outln!(
            "{}: readable by the {} recipient(s) of {}",
            show(&written),
            recipients.keys().len(),
            show(library.root())
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies a journal into the library. An existing copy may only be the same
/// journal, or an earlier state of it (the journal grew): anything else is
/// another journal with the same name, never overwritten.
fn copy_journal(file: &Path, bytes: &[u8], dest: &Path) -> anyhow::Result<()> {
    match read_journal_bytes(dest) {
        Ok(existing) if existing == bytes => return Ok(()),
        Ok(existing) if bytes.starts_with(&existing) && existing.ends_with(b"\n") => {}
        Ok(_) => bail!(
            "{} already exists and is not an earlier state of {}: another journal has that name; rename one of them",
            dest.display(),
            file.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", dest.display())),
    }
    if let Some(dir) = dest.parent() {
        fsutil::create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::fault::point("journal snapshot")?;
    write_private(dest, bytes, true)
}

/// Whether the index differs from HEAD (so a commit would record something).
fn has_staged_changes(repo: &git2::Repository) -> anyhow::Result<bool> {
    let tree = repo.index()?.write_tree()?;
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree()?.id()),
        Err(_) => None,
    };
    Ok(head != Some(tree))
}

/// One line per source journal of a merged file.
fn print_sources(sources: &[SourceReport]) -> Result<(), super::out::StdoutError> {
    for s in sources {
        outln!("  {}", printable_line(&s.describe()))?;
    }
    Ok(())
}
