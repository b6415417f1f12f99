//! `journal verify` as a library call: everything an auditor can check without
//! the journal key, gathered into one report.
//!
//! Built on [`scan`], which does every structural check
//! (hash chain, seq continuity, sessions' monotonic time, wall clock going
//! backwards); this module adds what only an auditor has: witness codes taken
//! from the paper log, and the SSH signature in `FILE.sig`. It also recognises
//! a merged timeline (see [`merge`]) and checks it and every
//! source inside it.
//!
//! Verifying never changes a file: a torn tail that opening a journal would
//! quarantine is reported here as a problem, with its byte offset.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};
use ssh_key::{HashAlg, SshSig};

use super::entry::{parse_witness, witness_code};
use super::links::Link;
use super::merge::{self, Indexed, MergeError, Prepared, Source};
use super::scan::{Chain, Finding, Torn};
use crate::signing::{AllowedSigners, JOURNAL_NAMESPACE, SigningError, digest_holds};

/// What to check besides the file itself.
#[derive(Debug, Default, Clone)]
pub struct VerifyOptions<'a> {
    /// Witness codes from the paper log, as `(seq, code)` normalised by
    /// [`parse_witness`]: each must match the code of entry `seq`.
    pub witnesses: Vec<(u64, String)>,
    /// Who may sign journals. Without them a signature is still checked
    /// against the file, but its signer cannot be named (status `unchecked`).
    pub allowed_signers: Option<&'a AllowedSigners>,
    /// Count a signature by a key the allowed signers do not list as a
    /// failure (by default it is `unknown_signer`: intact, signer unnamed).
    pub require_known_signer: bool,
}

/// Errors that stop verification before it can say anything about the file.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The journal or its signature could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// What kind of file was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A journal (docs/journal-format.md, "Entries").
    Journal,
    /// A merged timeline of several journals (`journal merge`).
    Merge,
}

/// The last good entry (or merged line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    /// Its seq (for a merged file, the line number `n`).
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// Its witness code, `SEQ:XXXXX-XXXXX`.
    pub witness: String,
    /// When it was written (journals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// The outcome of one `--witness SEQ:CODE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WitnessCheck {
    /// The code as given, normalised: `SEQ:XXXXX-XXXXX`.
    pub witness: String,
    /// The seq it names.
    pub seq: u64,
    /// True when entry `seq` has this code.
    pub matched: bool,
    /// For a merged file: the source journal whose entry matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What it means, in words.
    pub message: String,
}

/// Whether a signature holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// It verifies and an allowed signer made it.
    Valid,
    /// It verifies against the file, but no allowed signers were given to
    /// say whose key it is. Not a failure: anyone could have made it.
    Unchecked,
    /// It verifies against the file, by a key the allowed signers do not
    /// list (a responder's own key, say). The file is as that key signed it;
    /// who holds the key is for the reader to establish. Not a failure
    /// unless a known signer is required.
    UnknownSigner,
    /// It does not verify, or its key is listed but not allowed (expired,
    /// wrong namespace), or a known signer was required: a failure.
    Invalid,
}

/// The result of checking `FILE.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    /// The signature file.
    pub file: PathBuf,
    /// Valid, unchecked or invalid.
    pub status: SignatureStatus,
    /// The allowed signer's principals, when valid.
    pub signer: Option<String>,
    /// SHA256 fingerprint of the signing key, when the signature parses.
    pub key: Option<String>,
    /// How many bytes of the file it covers (all of them, unless the journal
    /// grew after signing).
    pub signed_bytes: Option<u64>,
    /// The last seq (for a merged file, line `n`) it covers.
    pub signed_through: Option<u64>,
    /// True when it covers the whole file.
    pub whole_file: bool,
    /// What it means, in words.
    pub message: String,
}

/// One source journal inside a merged file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceReport {
    /// Index in the header (the `source` of each merged line).
    pub index: usize,
    /// Its file name when merged.
    pub file: String,
    /// Entries found in the merged file.
    pub entries: u64,
    /// Its head as recorded in the header.
    pub head: Head,
    /// Whether its bodies are encrypted.
    pub encrypted: bool,
    /// True when its chain re-verifies and ends at the recorded head.
    pub ok: bool,
}

impl SourceReport {
    /// One line: `source 0 a.jsonl: 3 entries, head 3:XXXXX-XXXXX, encrypted`
    /// (raw: the file name is untrusted text).
    pub fn describe(&self) -> String {
        format!(
            "source {} {}: {} entries, head {}, {}{}",
            self.index,
            self.file,
            self.entries,
            self.head.witness,
            if self.encrypted {
                "encrypted"
            } else {
                "PLAINTEXT"
            },
            if self.ok { "" } else { ", FAILED" }
        )
    }
}

/// Everything `journal verify` found out about one file.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The file.
    pub file: PathBuf,
    /// Journal or merged timeline.
    pub format: Format,
    /// No problems, every witness matched, and any signature valid or unchecked.
    pub ok: bool,
    /// Size of the file.
    pub bytes: u64,
    /// Good entries (merged lines, for a merged file) up to the first problem.
    pub entries: u64,
    /// The last good entry.
    pub head: Option<Head>,
    /// Bodies are encrypted (for a merged file: every source is).
    pub encrypted: bool,
    /// Breaks: the first is the first bad entry.
    pub problems: Vec<Finding>,
    /// Suspicious but not a break (the wall clock went backwards).
    pub warnings: Vec<Finding>,
    /// An incomplete end of file (also listed in `problems`).
    pub torn: Option<Torn>,
    /// One result per `--witness`.
    pub witnesses: Vec<WitnessCheck>,
    /// `FILE.sig`, when there is one.
    pub signature: Option<SignatureCheck>,
    /// A merged file's sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceReport>,
}

impl VerifyReport {
    /// True when there are no problems, every witness matched, and the
    /// signature (if any) is not invalid.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
            && self.witnesses.iter().all(|w| w.matched)
            && self
                .signature
                .as_ref()
                .is_none_or(|s| s.status != SignatureStatus::Invalid)
    }

    /// The first bad entry, if any.
    pub fn first_problem(&self) -> Option<&Finding> {
        self.problems.first()
    }
}

/// The signature file beside a journal: `FILE.sig`.
pub fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Verifies the journal (or merged timeline) at `path`, and `path.sig` when
/// it exists. Only an unreadable file is an error; everything wrong with its
/// content is in the report.
///
/// A journal is checked as it is read, one line at a time: memory stays the
/// same whatever its length (docs/PERFORMANCE.md, "journal verify"). A
/// merged timeline is read whole.
pub fn verify(path: &Path, options: &VerifyOptions<'_>) -> Result<VerifyReport, VerifyError> {
    let io_error = |source| VerifyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = crate::fsutil::open_regular(path, std::fs::OpenOptions::new().read(true))
        .map_err(io_error)?;
    let limit = super::store::MAX_JOURNAL_BYTES;
    let mut reader = BufReader::with_capacity(1 << 16, file.take(limit + 1));
    let start = reader.fill_buf().map_err(io_error)?;
    let marker = merge::MARKER.as_bytes();
    if merge::is_merged(start) || (start.len() < marker.len() && marker.starts_with(start)) {
        // A merged file, or too short to tell yet: read whole.
        drop(reader);
        return verify_bytes(
            path,
            &super::store::read_journal_bytes(path).map_err(io_error)?,
            options,
        );
    }
    let armored = read_signature(path)?;
    let Checked { report, signed, .. } = check_journal(
        path,
        &mut reader,
        options,
        armored.as_deref(),
        &mut |_, _| {},
    )
    .map_err(io_error)?;
    if report.bytes > limit {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is larger than {limit} bytes: refused"),
        )));
    }
    Ok(finish(report, armored, signed.as_ref(), options))
}

/// Like [`verify`], for bytes already read from `path` (so a caller that goes
/// on to use them checks exactly what it uses, even while a writer appends).
pub fn verify_bytes(
    path: &Path,
    bytes: &[u8],
    options: &VerifyOptions<'_>,
) -> Result<VerifyReport, VerifyError> {
    let armored = read_signature(path)?;
    Ok(verify_armored(path, bytes, armored, options))
}

/// Like [`verify_bytes`], with the signature's bytes given rather than read
/// from `path.sig`: for a journal that is not on disk yet (received by
/// `journal pull`, checked before it is stored).
pub fn verify_with_signature(
    path: &Path,
    bytes: &[u8],
    signature: Option<&[u8]>,
    options: &VerifyOptions<'_>,
) -> VerifyReport {
    // Lossy, as `read_signature`.
    let armored = signature.map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    verify_armored(path, bytes, armored, options)
}

/// [`verify_bytes`] once the signature's text (if any) is known.
fn verify_armored(
    path: &Path,
    bytes: &[u8],
    armored: Option<String>,
    options: &VerifyOptions<'_>,
) -> VerifyReport {
    let (report, signed) = if merge::is_merged(bytes) {
        let (report, boundaries) = merge::check(path, bytes, &options.witnesses);
        let signed = armored
            .as_deref()
            .and_then(Running::for_signature)
            .map(|running| Signed::of_bytes(bytes, boundaries, running));
        (report, signed)
    } else {
        let mut reader = bytes;
        match check_journal(
            path,
            &mut reader,
            options,
            armored.as_deref(),
            &mut |_, _| {},
        ) {
            Ok(checked) => (checked.report, checked.signed),
            // Bytes in memory always read; should they not, say so in the
            // report rather than pass anything.
            Err(e) => (unread(path, bytes.len() as u64, &e), None),
        }
    };
    finish(report, armored, signed.as_ref(), options)
}

/// A report for bytes that could not be read: one problem, saying why.
fn unread(path: &Path, bytes: u64, error: &io::Error) -> VerifyReport {
    VerifyReport {
        file: path.to_owned(),
        format: Format::Journal,
        ok: false,
        bytes,
        entries: 0,
        head: None,
        encrypted: false,
        problems: vec![Finding {
            seq: None,
            offset: 0,
            message: format!("the journal could not be read: {error}"),
        }],
        warnings: Vec::new(),
        torn: None,
        witnesses: Vec::new(),
        signature: None,
        sources: Vec::new(),
    }
}

/// `FILE.sig` as text, when there is one. Lossy: a signature file that is
/// not text is reported as not being a signature (a finding), not as an
/// unreadable file.
fn read_signature(path: &Path) -> Result<Option<String>, VerifyError> {
    let sig_path = signature_path(path);
    match super::store::read_journal_bytes(&sig_path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(VerifyError::Io {
            path: sig_path,
            source,
        }),
    }
}

/// Adds the signature's check to a report of the file's content.
fn finish(
    mut report: VerifyReport,
    armored: Option<String>,
    signed: Option<&Signed>,
    options: &VerifyOptions<'_>,
) -> VerifyReport {
    report.signature = armored.map(|armored| {
        check_signature(
            signature_path(&report.file),
            &armored,
            signed,
            options.allowed_signers,
            options.require_known_signer,
            report.format,
        )
    });
    report.ok = report.ok();
    report
}

/// A place where a signature may end: after the line labelled `label` (a seq,
/// or a merged line's `n`), `end` bytes into the file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Boundary {
    pub end: u64,
    pub label: u64,
}

/// A running digest in a signature's hash algorithm.
#[derive(Clone)]
enum Running {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Running {
    /// The hasher a signature needs, when the text parses as one for a
    /// journal (otherwise its check fails before any digest is looked at).
    fn for_signature(armored: &str) -> Option<Running> {
        let sig = parse_armored(armored).ok()?;
        if sig.namespace() != JOURNAL_NAMESPACE {
            return None;
        }
        match sig.hash_alg() {
            HashAlg::Sha256 => Some(Running::Sha256(Sha256::new())),
            HashAlg::Sha512 => Some(Running::Sha512(Sha512::new())),
            _ => None,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Running::Sha256(h) => h.update(bytes),
            Running::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest so far, appended to `out`.
    fn digest_into(&self, out: &mut Vec<u8>) {
        match self {
            Running::Sha256(h) => out.extend_from_slice(&h.clone().finalize()),
            Running::Sha512(h) => out.extend_from_slice(&h.clone().finalize()),
        }
    }
}

/// What a signature is checked against, gathered in one pass: the file's
/// length and digest, and the digest of each prefix that ends at a good
/// line (a journal may have grown after it was signed). Only kept when
/// there is a signature: 16 bytes plus one digest per good line.
#[derive(Default)]
struct Signed {
    len: u64,
    whole: Vec<u8>,
    boundaries: Vec<Boundary>,
    /// The digest of each boundary's prefix, one after the other.
    prefixes: Vec<u8>,
}

impl Signed {
    /// The digest of the prefix ending at boundary `i`.
    fn prefix(&self, i: usize) -> &[u8] {
        let size = self.whole.len();
        &self.prefixes[i * size..(i + 1) * size]
    }

    /// For bytes in memory and the boundaries already found in them.
    fn of_bytes(bytes: &[u8], boundaries: Vec<Boundary>, mut running: Running) -> Signed {
        let mut signed = Signed::default();
        let mut pos = 0usize;
        for b in &boundaries {
            // Clamped: boundaries come from a scan of these bytes.
            let end = (b.end as usize).clamp(pos, bytes.len());
            running.update(&bytes[pos..end]);
            pos = end;
            running.digest_into(&mut signed.prefixes);
        }
        running.update(&bytes[pos..]);
        running.digest_into(&mut signed.whole);
        signed.len = bytes.len() as u64;
        signed.boundaries = boundaries;
        signed
    }
}

/// Checks a journal as it is read from `reader`, one line at a time; returns
/// the report (without signature) and, when `armored` is a signature, what
/// to check it against.
fn check_journal(
    path: &Path,
    reader: &mut impl BufRead,
    options: &VerifyOptions<'_>,
    armored: Option<&str>,
    each: &mut dyn FnMut(&Link<'_>, Indexed),
) -> io::Result<Checked> {
    let mut sessions = HashMap::new();
    let mut chain = Chain::new(None, &mut sessions);
    let mut running = armored.and_then(Running::for_signature);
    let mut signed = running.as_ref().map(|_| Signed::default());
    // The hashes of the entries the witnesses name.
    let mut found: BTreeMap<u64, Option<String>> = options
        .witnesses
        .iter()
        .map(|(seq, _)| (*seq, None))
        .collect();
    let (mut entries, mut last_seq) = (0u64, 0u64);
    let mut encrypted = false;
    let (mut last_hash, mut last_at) = (String::new(), String::new());
    let mut backwards = ExerciseTime::default();
    let mut line = Vec::new();
    let mut offset = 0u64;
    loop {
        if chain.done() {
            offset += rest(reader, running.as_mut())?;
            break;
        }
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if let Some(running) = &mut running {
            running.update(&line);
        }
        let start = offset;
        offset += n as u64;
        let complete = line.last() == Some(&b'\n');
        let text = if complete { &line[..n - 1] } else { &line[..] };
        let link = if complete { Link::parse(text) } else { None };
        let good = chain.line(start, text, complete, link.as_ref());
        let Some(link) = link.filter(|_| good) else {
            continue;
        };
        entries += 1;
        // A good entry's time parsed: the default is never used.
        let at = chain.last_at().unwrap_or_default();
        each(
            &link,
            Indexed {
                at,
                start,
                end: offset - u64::from(complete),
            },
        );
        if entries == 1 {
            encrypted = link.journal_key;
        }
        if let Some(hash) = found.get_mut(&link.seq) {
            *hash = Some(link.hash.clone().into_owned());
        }
        last_seq = link.seq;
        backwards.entry(&link, start);
        last_hash.clear();
        last_hash.push_str(&link.hash);
        last_at.clear();
        last_at.push_str(&link.at);
        if let (Some(running), Some(signed)) = (&running, &mut signed) {
            signed.boundaries.push(Boundary {
                end: offset,
                label: link.seq,
            });
            running.digest_into(&mut signed.prefixes);
        }
    }
    if let (Some(running), Some(signed)) = (&running, &mut signed) {
        running.digest_into(&mut signed.whole);
        signed.len = offset;
    }
    let (mut problems, mut warnings, torn) = chain.finish(offset);
    let chain_problems = problems.len();
    let head = (entries > 0).then(|| Head {
        seq: last_seq,
        witness: witness_code(last_seq, &last_hash),
        hash: last_hash,
        at: Some(last_at),
    });
    if let Some(torn) = torn {
        problems.push(torn_finding(
            path,
            torn,
            head.as_ref().map_or(1, |h| h.seq + 1),
        ));
    }
    if offset == 0 {
        problems.push(Finding {
            seq: None,
            offset: 0,
            message: "the file is empty: not a journal".to_owned(),
        });
    }
    let broken = !problems.is_empty();
    let witnesses = options
        .witnesses
        .iter()
        .map(|(seq, code)| {
            let hash = found.get(seq).and_then(Option::as_deref);
            check_witness(*seq, code, hash, head.as_ref(), broken, None)
        })
        .collect();
    // After the witnesses: exercise time is no break in the chain.
    for (within_session, finding) in backwards.found {
        if within_session {
            problems.push(finding);
        } else {
            warnings.push(finding);
        }
    }
    let report = VerifyReport {
        file: path.to_owned(),
        format: Format::Journal,
        ok: false,
        bytes: offset,
        entries,
        encrypted,
        head,
        problems,
        warnings,
        torn,
        witnesses,
        signature: None,
        sources: Vec::new(),
    };
    Ok(Checked {
        report,
        signed,
        chain_problems,
    })
}

/// What checking a journal found.
struct Checked {
    report: VerifyReport,
    /// What a signature is checked against, when there is one.
    signed: Option<Signed>,
    /// How many of the report's problems are breaks in the chain (the
    /// first ones; later ones are about exercise time or an empty file).
    chain_problems: usize,
}

/// Checks a journal held in memory and indexes its good entries in the same
/// pass, for `journal merge` (one read of each source): the report, and the
/// source ready to merge or why it cannot be. With `path`, the report is
/// `verify_bytes`'s, signature (`path.sig`) included; without, the source
/// is checked under its name and any signature is left alone.
pub(crate) fn index_source_at<'a>(
    path: Option<&Path>,
    source: Source<'a>,
    options: &VerifyOptions<'_>,
) -> Result<(VerifyReport, Result<Prepared<'a>, MergeError>), VerifyError> {
    let armored = match path {
        Some(path) => read_signature(path)?,
        None => None,
    };
    let file = path.unwrap_or(Path::new(source.name));
    let mut first_hash = None;
    let mut lines = Vec::new();
    let mut reader = source.bytes;
    let checked = check_journal(
        file,
        &mut reader,
        options,
        armored.as_deref(),
        &mut |link, at| {
            if first_hash.is_none() {
                first_hash = Some(link.hash.clone().into_owned());
            }
            lines.push(at);
        },
    )
    .map_err(|source| VerifyError::Io {
        path: file.to_owned(),
        source,
    })?;
    let prepared = Prepared::new(
        source,
        &checked.report,
        checked.chain_problems,
        first_hash,
        lines,
    );
    let report = finish(checked.report, armored, checked.signed.as_ref(), options);
    Ok((report, prepared))
}

/// [`index_source_at`] for a source known only by its name.
pub(crate) fn index_source(source: Source<'_>) -> Result<Prepared<'_>, MergeError> {
    match index_source_at(None, source, &VerifyOptions::default()) {
        Ok((_, prepared)) => prepared,
        Err(VerifyError::Io { source, .. }) => Err(MergeError::Io(source)),
    }
}

/// Reads what is left of `reader` without looking at it (the checks ended),
/// into the signature's digest when there is one; returns how many bytes.
fn rest(reader: &mut impl BufRead, mut running: Option<&mut Running>) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(total);
        }
        if let Some(running) = running.as_deref_mut() {
            running.update(chunk);
        }
        let n = chunk.len();
        total += n as u64;
        reader.consume(n);
    }
}

/// Entries whose exercise time (`ex_t`) is earlier than the entry before:
/// the exercise clock never runs backwards, so within one session that is a
/// problem (the entry was not written by grabbag's clock), and across
/// sessions (a resume, a second process) a warning. Each with whether it is
/// within a session.
#[derive(Default)]
struct ExerciseTime {
    /// The last entry with an exercise time: (seq, session, ex_t).
    before: Option<(u64, u32, u64)>,
    found: Vec<(bool, Finding)>,
}

impl ExerciseTime {
    fn entry(&mut self, e: &Link<'_>, offset: u64) {
        let Some(now) = e.ex_t else { return };
        if let Some((seq, session, then)) = self.before
            && now < then
        {
            let within = session == e.session && e.session != 0;
            let place = if within {
                format!("within session {session}")
            } else {
                format!("after seq {seq} of session {session}")
            };
            self.found.push((
                within,
                Finding {
                    seq: Some(e.seq),
                    offset,
                    message: format!(
                        "seq {}: exercise time went backwards {place} ({now} ms after {then} ms at seq {seq}): scores built on it are wrong",
                        e.seq
                    ),
                },
            ));
        }
        self.before = Some((e.seq, e.session, now));
    }
}

/// A torn tail, as verify reports it: a problem, since verify never moves it.
pub(super) fn torn_finding(path: &Path, torn: Torn, seq: u64) -> Finding {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Finding {
        seq: Some(seq),
        offset: torn.offset,
        message: format!(
            "a torn tail: the last {} bytes, from byte {}, are not a complete entry (a write cut short by a crash or power loss, or a cut made by hand); verify leaves the file as it is, opening the journal in grabbag moves them to {name}.torn",
            torn.len, torn.offset
        ),
    }
}

/// The witness code `SEQ:XXXXX-XXXXX` for a normalised code (never panics on
/// odd input: the code is shown as given when it is not 10 ASCII characters).
fn show_witness(seq: u64, code: &str) -> String {
    match (code.get(..5), code.get(5..)) {
        (Some(a), Some(b)) if code.is_ascii() => format!("{seq}:{a}-{b}"),
        _ => format!("{seq}:{code}"),
    }
}

/// Compares a witness with the hash of entry `seq` (`found`), or explains why
/// there is no such entry.
pub(super) fn check_witness(
    seq: u64,
    code: &str,
    found: Option<&str>,
    head: Option<&Head>,
    broken: bool,
    source: Option<String>,
) -> WitnessCheck {
    let witness = show_witness(seq, code);
    let (matched, message) = match found {
        Some(hash) => {
            let actual = witness_code(seq, hash);
            let same = parse_witness(&actual).is_some_and(|(_, c)| c == code);
            if same {
                (
                    true,
                    format!(
                        "seq {seq} matches {witness}: the journal up to seq {seq} is as it was when the code was taken"
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "seq {seq} has witness code {actual}, not {witness}: the journal was rewritten at or before seq {seq} (or the code was misread)"
                    ),
                )
            }
        }
        None if seq == 0 => (false, "there is no seq 0: entries count from 1".to_owned()),
        None if broken => (
            false,
            format!("seq {seq} cannot be checked: it is not before the first bad entry"),
        ),
        None => (
            false,
            match head {
                Some(h) => format!(
                    "the journal ends at seq {}, before seq {seq}: it was truncated or rewritten",
                    h.seq
                ),
                None => format!(
                    "the journal has no entries, so no seq {seq}: it was truncated or rewritten"
                ),
            },
        ),
    };
    WitnessCheck {
        witness,
        seq,
        matched,
        source,
        message,
    }
}

/// Checks an armored SSHSIG over the file: over all of it, else over the
/// longest prefix ending at a good line (a journal that grew after signing),
/// then names the signer from the allowed signers. `signed` holds the
/// file's digests in the signature's algorithm (`None` when the signature
/// does not parse as a journal's, which is reported before digests matter).
fn check_signature(
    file: PathBuf,
    armored: &str,
    signed: Option<&Signed>,
    signers: Option<&AllowedSigners>,
    require_known_signer: bool,
    format: Format,
) -> SignatureCheck {
    let mut check = SignatureCheck {
        file,
        status: SignatureStatus::Invalid,
        signer: None,
        key: None,
        signed_bytes: None,
        signed_through: None,
        whole_file: false,
        message: String::new(),
    };
    let sig = match parse_armored(armored) {
        Ok(sig) => sig,
        Err(why) => {
            check.message = format!("the signature file is not an SSH signature: {why}");
            return check;
        }
    };
    check.key = Some(sig.public_key().fingerprint(HashAlg::Sha256).to_string());
    if sig.namespace() != JOURNAL_NAMESPACE {
        check.message = format!(
            "the signature is for namespace {:?}, not {JOURNAL_NAMESPACE:?}: it was not made for a journal",
            sig.namespace()
        );
        return check;
    }
    let covered = signed.and_then(|signed| {
        if digest_holds(&sig, &signed.whole) {
            Some((signed.len, signed.whole.as_slice()))
        } else {
            longest_signed_prefix(signed, &sig)
        }
    });
    let (Some((covered, digest)), Some(signed)) = (covered, signed) else {
        check.message = "the signature does not match the file, nor any earlier state of it: entries were altered, removed or reordered after signing (or it is another file's signature)".to_owned();
        return check;
    };
    check.signed_bytes = Some(covered);
    check.whole_file = covered == signed.len;
    check.signed_through = signed
        .boundaries
        .iter()
        .find(|b| b.end == covered)
        .map(|b| b.label);
    let coverage = match (check.whole_file, check.signed_through) {
        (true, _) => "it covers the whole file".to_owned(),
        (false, Some(n)) => match format {
            Format::Journal => format!(
                "signature covers seq 1..{n}; entries after {n} are unsigned (the journal grew after signing)"
            ),
            Format::Merge => format!(
                "signature covers merged lines 1..{n}; lines after {n} are unsigned (the file grew after signing)"
            ),
        },
        (false, None) => format!("it covers the first {covered} bytes only"),
    };
    match signers {
        Some(signers) => match signers.verify_digest(digest, armored, JOURNAL_NAMESPACE) {
            Ok(principal) => {
                check.status = SignatureStatus::Valid;
                check.message = format!("signed by {principal}; {coverage}");
                check.signer = Some(principal);
            }
            // The cryptography held above: only the key's owner is unknown.
            Err(SigningError::UnknownKey { fingerprint }) if !require_known_signer => {
                check.status = SignatureStatus::UnknownSigner;
                check.message = format!(
                    "valid signature by key {fingerprint}, which is not in allowed_signers ({}): the file is intact as that key signed it, but grabbag cannot say whose key it is; {coverage}",
                    signers.origin().display()
                );
            }
            Err(e) => {
                check.message = format!("{e} (allowed signers: {})", signers.origin().display());
            }
        },
        None => {
            check.status = SignatureStatus::Unchecked;
            check.message = format!(
                "intact, by key {}, but its signer is not checked: no allowed signers (pass --allowed-signers FILE, or use a library that has .grabbag/allowed_signers); {coverage}",
                check.key.as_deref().unwrap_or("?")
            );
        }
    }
    check
}

/// Decodes an armored SSHSIG, tolerating surrounding whitespace and CRLF.
fn parse_armored(armored: &str) -> Result<SshSig, String> {
    let text = armored.trim().replace("\r\n", "\n");
    if !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err("it does not start with -----BEGIN SSH SIGNATURE-----".to_owned());
    }
    SshSig::from_pem(format!("{text}\n")).map_err(|e| e.to_string())
}

/// The longest prefix of the file, ending at a good line before its end,
/// that `sig` verifies: its length and digest. SSHSIG signs a digest of the
/// message, so each candidate costs one public-key check on a digest taken
/// while the file was read, never a re-hash; the latest is tried first.
fn longest_signed_prefix<'a>(signed: &'a Signed, sig: &SshSig) -> Option<(u64, &'a [u8])> {
    (0..signed.boundaries.len())
        .rev()
        .filter(|&i| signed.boundaries[i].end < signed.len)
        .map(|i| (signed.boundaries[i].end, signed.prefix(i)))
        .find(|(_, digest)| digest_holds(sig, digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::entry::{GENESIS, test_note};
    use crate::journal::scan::scan;
    use crate::signing::Signer;

    fn journal(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = GENESIS.to_owned();
        for seq in 1..=n {
            let at = format!("2026-11-29T10:00:{seq:02}.000Z");
            let entry = test_note(seq, 1, &at, seq * 1000, "A", &format!("note {seq}"), &prev);
            let (line, hash) = entry.to_line().unwrap();
            out.extend_from_slice(&line);
            prev = hash;
        }
        out
    }

    fn boundaries(bytes: &[u8]) -> Vec<Boundary> {
        scan(bytes)
            .entries
            .iter()
            .map(|s| Boundary {
                end: s.offset + s.len,
                label: s.entry.seq,
            })
            .collect()
    }

    fn signed(bytes: &[u8], armored: &str) -> Signed {
        let running = Running::for_signature(armored).unwrap();
        Signed::of_bytes(bytes, boundaries(bytes), running)
    }

    #[test]
    fn signed_data_matches_ssh_key() {
        let signer = Signer::generate_ed25519("t").unwrap();
        let bytes = journal(3);
        let armored = signer.sign(&bytes, JOURNAL_NAMESPACE).unwrap();
        let sig = parse_armored(&armored).unwrap();
        let expected = SshSig::signed_data(JOURNAL_NAMESPACE, sig.hash_alg(), &bytes).unwrap();
        let whole = signed(&bytes, &armored).whole;
        assert_eq!(crate::signing::signed_data(&sig, &whole), expected);
        assert!(digest_holds(&sig, &whole));
    }

    #[test]
    fn finds_the_prefix_a_grown_journal_was_signed_at() {
        let signer = Signer::generate_ed25519("t").unwrap();
        let full = journal(6);
        let at_four = boundaries(&full)[3].end as usize;
        let armored = signer.sign(&full[..at_four], JOURNAL_NAMESPACE).unwrap();
        let sig = parse_armored(&armored).unwrap();
        let grown = signed(&full, &armored);
        let found = longest_signed_prefix(&grown, &sig);
        assert_eq!(found.map(|(n, _)| n), Some(at_four as u64));
        let mut altered = full.clone();
        altered[10] ^= 1;
        assert_eq!(
            longest_signed_prefix(&signed(&altered, &armored), &sig),
            None
        );
    }

    #[test]
    fn witness_display_never_panics() {
        assert_eq!(show_witness(3, "ABCDEFGHJK"), "3:ABCDE-FGHJK");
        assert_eq!(show_witness(3, "ééééé"), "3:ééééé");
    }
}
