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

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};
use signature::Verifier as _;
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::entry::{parse_witness, witness_code};
use super::merge;
use super::scan::{Finding, Scan, Scanned, Torn, scan};
use crate::signing::{AllowedSigners, JOURNAL_NAMESPACE, SigningError};

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
pub fn verify(path: &Path, options: &VerifyOptions<'_>) -> Result<VerifyReport, VerifyError> {
    let bytes = super::store::read_journal_bytes(path).map_err(|source| VerifyError::Io {
        path: path.to_owned(),
        source,
    })?;
    verify_bytes(path, &bytes, options)
}

/// Like [`verify`], for bytes already read from `path` (so a caller that goes
/// on to use them checks exactly what it uses, even while a writer appends).
pub fn verify_bytes(
    path: &Path,
    bytes: &[u8],
    options: &VerifyOptions<'_>,
) -> Result<VerifyReport, VerifyError> {
    let sig_path = signature_path(path);
    let armored = match super::store::read_journal_bytes(&sig_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(VerifyError::Io {
                path: sig_path,
                source,
            });
        }
    };
    Ok(verify_with_signature(
        path,
        bytes,
        armored.as_deref(),
        options,
    ))
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
    let sig_path = signature_path(path);
    // Lossy: a signature file that is not text is reported as not being a
    // signature (a finding), not as an unreadable file.
    let armored = signature.map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let (mut report, boundaries) = if merge::is_merged(bytes) {
        merge::check(path, bytes, &options.witnesses)
    } else {
        check_journal(path, bytes, &options.witnesses)
    };
    report.signature = armored.map(|armored| {
        check_signature(
            sig_path,
            bytes,
            &armored,
            &boundaries,
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

/// Checks a journal's own bytes; returns the report (without signature) and
/// the line boundaries of its good entries.
fn check_journal(
    path: &Path,
    bytes: &[u8],
    witnesses: &[(u64, String)],
) -> (VerifyReport, Vec<Boundary>) {
    let Scan {
        entries,
        mut problems,
        mut warnings,
        torn,
    } = scan(bytes);
    let head = entries.last().map(|s| Head {
        seq: s.entry.seq,
        hash: s.entry.hash.clone(),
        witness: witness_code(s.entry.seq, &s.entry.hash),
        at: Some(s.entry.at.clone()),
    });
    if let Some(torn) = torn {
        problems.push(torn_finding(
            path,
            torn,
            head.as_ref().map_or(1, |h| h.seq + 1),
        ));
    }
    if bytes.is_empty() {
        problems.push(Finding {
            seq: None,
            offset: 0,
            message: "the file is empty: not a journal".to_owned(),
        });
    }
    let backwards = exercise_time(&entries);
    let broken = !problems.is_empty();
    let witnesses = witnesses
        .iter()
        .map(|(seq, code)| {
            let found = entries
                .get((*seq as usize).wrapping_sub(1))
                .filter(|s| s.entry.seq == *seq)
                .map(|s| s.entry.hash.as_str());
            check_witness(*seq, code, found, head.as_ref(), broken, None)
        })
        .collect();
    // After the witnesses: exercise time is no break in the chain.
    for (within_session, finding) in backwards {
        if within_session {
            problems.push(finding);
        } else {
            warnings.push(finding);
        }
    }
    let boundaries = entries
        .iter()
        .map(|s| Boundary {
            end: s.offset + s.len,
            label: s.entry.seq,
        })
        .collect();
    let report = VerifyReport {
        file: path.to_owned(),
        format: Format::Journal,
        ok: false,
        bytes: bytes.len() as u64,
        entries: entries.len() as u64,
        encrypted: entries
            .first()
            .is_some_and(|s| s.entry.journal_key.is_some()),
        head,
        problems,
        warnings,
        torn,
        witnesses,
        signature: None,
        sources: Vec::new(),
    };
    (report, boundaries)
}

/// Entries whose exercise time (`ex_t`) is earlier than the entry before:
/// the exercise clock never runs backwards, so within one session that is a
/// problem (the entry was not written by grabbag's clock), and across
/// sessions (a resume, a second process) a warning. Each with whether it is
/// within a session.
fn exercise_time(entries: &[Scanned]) -> Vec<(bool, Finding)> {
    let mut out = Vec::new();
    let mut before: Option<(u64, u32, u64)> = None;
    for s in entries {
        let e = &s.entry;
        let Some(now) = e.ex_t else { continue };
        if let Some((seq, session, then)) = before
            && now < then
        {
            let within = session == e.session && e.session != 0;
            let place = if within {
                format!("within session {session}")
            } else {
                format!("after seq {seq} of session {session}")
            };
            out.push((
                within,
                Finding {
                    seq: Some(e.seq),
                    offset: s.offset,
                    message: format!(
                        "seq {}: exercise time went backwards {place} ({now} ms after {then} ms at seq {seq}): scores built on it are wrong",
                        e.seq
                    ),
                },
            ));
        }
        before = Some((e.seq, e.session, now));
    }
    out
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
/// then names the signer from the allowed signers.
fn check_signature(
    file: PathBuf,
    bytes: &[u8],
    armored: &str,
    boundaries: &[Boundary],
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
    let public = PublicKey::from(sig.public_key().clone());
    let covered = if public.verify(JOURNAL_NAMESPACE, bytes, &sig).is_ok() {
        Some(bytes.len() as u64)
    } else {
        longest_signed_prefix(bytes, boundaries, &sig)
    };
    let Some(covered) = covered else {
        check.message = "the signature does not match the file, nor any earlier state of it: entries were altered, removed or reordered after signing (or it is another file's signature)".to_owned();
        return check;
    };
    check.signed_bytes = Some(covered);
    check.whole_file = covered == bytes.len() as u64;
    check.signed_through = boundaries
        .iter()
        .find(|b| b.end == covered)
        .map(|b| b.label);
    // Clamped: `covered` is at most the file length by construction.
    let signed = &bytes[..(covered as usize).min(bytes.len())];
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
        Some(signers) => match signers.verify(signed, armored, JOURNAL_NAMESPACE) {
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

/// The longest prefix of `bytes`, ending at one of `boundaries`, that `sig`
/// verifies, as its length. One pass of hashing: SSHSIG signs a digest of the
/// message, so the digest of every prefix comes from one running hasher, and
/// each candidate costs one public-key check instead of re-hashing the file.
fn longest_signed_prefix(bytes: &[u8], boundaries: &[Boundary], sig: &SshSig) -> Option<u64> {
    let ends: Vec<usize> = boundaries
        .iter()
        .map(|b| b.end as usize)
        .filter(|end| *end < bytes.len())
        .collect();
    let digests = match sig.hash_alg() {
        HashAlg::Sha256 => prefix_digests::<Sha256>(bytes, &ends),
        HashAlg::Sha512 => prefix_digests::<Sha512>(bytes, &ends),
        _ => return None,
    };
    ends.iter().zip(digests).rev().find_map(|(end, digest)| {
        let data = signed_data(sig, &digest);
        sig.public_key()
            .verify(&data, sig.signature())
            .is_ok()
            .then_some(*end as u64)
    })
}

/// The digest of `bytes[..end]` for each of `ends` (ascending).
fn prefix_digests<D: Digest + Clone>(bytes: &[u8], ends: &[usize]) -> Vec<Vec<u8>> {
    let mut hasher = D::new();
    let mut pos = 0;
    let mut out = Vec::with_capacity(ends.len());
    for &end in ends {
        hasher.update(&bytes[pos..end]);
        pos = end;
        out.push(hasher.clone().finalize().to_vec());
    }
    out
}

/// The blob an SSHSIG signs (OpenSSH PROTOCOL.sshsig): the magic preamble,
/// then namespace, reserved, hash algorithm and message digest as SSH strings.
fn signed_data(sig: &SshSig, digest: &[u8]) -> Vec<u8> {
    let mut out = b"SSHSIG".to_vec();
    for field in [
        sig.namespace().as_bytes(),
        sig.reserved(),
        sig.hash_alg().as_str().as_bytes(),
        digest,
    ] {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::entry::{GENESIS, test_note};
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

    #[test]
    fn signed_data_matches_ssh_key() {
        let signer = Signer::generate_ed25519("t").unwrap();
        let bytes = journal(3);
        let sig = parse_armored(&signer.sign(&bytes, JOURNAL_NAMESPACE).unwrap()).unwrap();
        let expected = SshSig::signed_data(JOURNAL_NAMESPACE, sig.hash_alg(), &bytes).unwrap();
        let digest = prefix_digests::<Sha512>(&bytes, &[bytes.len()]);
        assert_eq!(signed_data(&sig, &digest[0]), expected);
    }

    #[test]
    fn finds_the_prefix_a_grown_journal_was_signed_at() {
        let signer = Signer::generate_ed25519("t").unwrap();
        let full = journal(6);
        let b = boundaries(&full);
        let at_four = b[3].end as usize;
        let sig =
            parse_armored(&signer.sign(&full[..at_four], JOURNAL_NAMESPACE).unwrap()).unwrap();
        assert_eq!(longest_signed_prefix(&full, &b, &sig), Some(at_four as u64));
        let mut altered = full.clone();
        altered[10] ^= 1;
        assert_eq!(longest_signed_prefix(&altered, &b, &sig), None);
    }

    #[test]
    fn witness_display_never_panics() {
        assert_eq!(show_witness(3, "ABCDEFGHJK"), "3:ABCDE-FGHJK");
        assert_eq!(show_witness(3, "ééééé"), "3:ééééé");
    }
}
