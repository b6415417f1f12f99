//! Trust: SSH-signed commits checked against `.grabbag/allowed_signers`.
//!
//! A library is trusted commit by commit. Git's SSH signing (`gpg.format=ssh`)
//! stores an armored SSHSIG (namespace `git`) in the commit's `gpgsig` header,
//! computed over the commit object without that header. This module parses
//! OpenSSH `allowed_signers` files, verifies such signatures fully in-process
//! (responders' laptops may have neither `git` nor `ssh-keygen`), and signs
//! commits and other data the same way `git commit -S` and `ssh-keygen -Y sign`
//! do, so anything grabbag signs verifies with the stock tools and vice versa.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};
use zeroize::Zeroizing;

/// Where a library keeps its allowed signers, relative to the library root.
pub const ALLOWED_SIGNERS_PATH: &str = ".grabbag/allowed_signers";

/// The SSHSIG namespace git uses for commit and tag signatures.
pub const GIT_NAMESPACE: &str = "git";

/// The SSHSIG namespace grabbag uses for journal signatures.
pub const JOURNAL_NAMESPACE: &str = "grabbag-journal";

/// The commit header that carries the signature in a SHA-1 repository.
const SIGNATURE_HEADER: &str = "gpgsig";

/// Errors from parsing allowed signers, verifying and making signatures.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A line of an allowed_signers file is malformed.
    #[error("{path}:{line}: {message}")]
    AllowedSigners {
        /// The allowed_signers file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// The signature text is not a well-formed SSHSIG.
    #[error("malformed SSH signature: {0}")]
    MalformedSignature(String),
    /// The signature was made for another namespace than the one asked for.
    #[error("the signature is for namespace {found:?}, not {expected:?}")]
    WrongNamespace {
        /// The namespace the caller verifies in.
        expected: String,
        /// The namespace inside the signature.
        found: String,
    },
    /// No allowed_signers line lists the signing key.
    #[error("signed by unknown key {fingerprint}: it is not in allowed_signers")]
    UnknownKey {
        /// SHA256 fingerprint of the signing key.
        fingerprint: String,
    },
    /// The key is listed but the signature does not verify.
    #[error(
        "bad signature by {principal} ({fingerprint}): the signed data was altered after signing, or the signature is corrupt"
    )]
    BadSignature {
        /// The principals of the allowed_signers line for the key.
        principal: String,
        /// SHA256 fingerprint of the signing key.
        fingerprint: String,
    },
    /// The key is listed, but its `namespaces=` option does not allow this namespace.
    #[error(
        "key {fingerprint} ({principal}) is not allowed to sign in namespace {namespace:?} (its namespaces are {allowed:?})"
    )]
    NamespaceNotAllowed {
        /// The principals of the allowed_signers line.
        principal: String,
        /// SHA256 fingerprint of the key.
        fingerprint: String,
        /// The namespace asked for.
        namespace: String,
        /// The namespaces the line allows.
        allowed: String,
    },
    /// The key's `valid-after` is later than the signature time.
    #[error(
        "key {fingerprint} ({principal}) is not valid until {valid_after} (signature time {at})"
    )]
    NotYetValid {
        /// The principals of the allowed_signers line.
        principal: String,
        /// SHA256 fingerprint of the key.
        fingerprint: String,
        /// Start of validity.
        valid_after: DateTime<Utc>,
        /// The time the signature was checked at.
        at: DateTime<Utc>,
    },
    /// The key's `valid-before` is earlier than the signature time.
    #[error("key {fingerprint} ({principal}) expired at {valid_before} (signature time {at})")]
    Expired {
        /// The principals of the allowed_signers line.
        principal: String,
        /// SHA256 fingerprint of the key.
        fingerprint: String,
        /// End of validity.
        valid_before: DateTime<Utc>,
        /// The time the signature was checked at.
        at: DateTime<Utc>,
    },
    /// A private key file could not be parsed.
    #[error("{path}: not a usable OpenSSH private key: {message}")]
    PrivateKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A private key file is protected by a passphrase.
    #[error(
        "{path}: the SSH private key is encrypted with a passphrase; grabbag signs only with an unencrypted key file (make one with `grabbag keygen` or `ssh-keygen -t ed25519 -N ''`)"
    )]
    EncryptedKey {
        /// The key file.
        path: PathBuf,
    },
    /// A private key of a kind grabbag cannot sign with.
    #[error(
        "{path}: grabbag cannot sign with this {algorithm} key ({reason}); use an Ed25519 key (`ssh-keygen -t ed25519`)"
    )]
    UnsupportedKey {
        /// The key file.
        path: PathBuf,
        /// The key's algorithm.
        algorithm: String,
        /// Why it cannot sign.
        reason: String,
    },
    /// Writing a key would overwrite an existing file.
    #[error("{path} already exists: grabbag does not overwrite key files")]
    KeyFileExists {
        /// The file that exists.
        path: PathBuf,
    },
    /// An SSH key operation failed.
    #[error("SSH key operation failed: {0}")]
    Ssh(#[from] ssh_key::Error),
    /// A git operation failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// The reference to move no longer points at the new commit's first parent.
    #[error(
        "cannot move {reference}: it points at {actual} but the new commit's first parent is {expected}; someone else committed meanwhile"
    )]
    RefMoved {
        /// The reference to update.
        reference: String,
        /// What it points at now (or "nothing").
        actual: String,
        /// The first parent of the new commit (or "nothing").
        expected: String,
    },
}

/// The trust grabbag places in one commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Trust {
    /// Signed by an allowed signer.
    Trusted {
        /// The principals of the allowed_signers line that matched.
        signer: String,
    },
    /// The library has allowed signers but this commit is unsigned, signed by
    /// an unknown key, badly signed, signed in the wrong namespace, expired...
    Untrusted {
        /// Why, in words a responder can act on.
        reason: String,
    },
    /// The library has no allowed_signers: trust is not checked.
    NotChecked,
}

impl Trust {
    /// Whether this is [`Trust::Trusted`].
    pub fn is_trusted(&self) -> bool {
        matches!(self, Trust::Trusted { .. })
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::Trusted { signer } => write!(f, "trusted (signed by {signer})"),
            Trust::Untrusted { reason } => write!(f, "untrusted: {reason}"),
            Trust::NotChecked => f.write_str("not checked (no allowed_signers)"),
        }
    }
}

/// One usable line of an allowed_signers file.
#[derive(Debug, Clone)]
struct Entry {
    /// Comma-separated principal patterns, as written (without quotes).
    principals: String,
    /// `namespaces=` pattern list; `None` allows every namespace.
    namespaces: Option<String>,
    valid_after: Option<DateTime<Utc>>,
    valid_before: Option<DateTime<Utc>>,
    key: KeyData,
}

/// Parsed OpenSSH `allowed_signers` (ssh-keygen(1), "ALLOWED SIGNERS").
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    origin: PathBuf,
    entries: Vec<Entry>,
    notes: Vec<String>,
}

impl AllowedSigners {
    /// Parse OpenSSH allowed_signers text.
    ///
    /// Each line is `principals [options] keytype base64 [comment]`: principals
    /// are comma-separated patterns (`*` and `?` wildcards, `!` negation) and
    /// may be double-quoted; options are `namespaces="git,grabbag-journal"`,
    /// `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before=...` and
    /// `cert-authority`. Lines marked `cert-authority` are kept out of
    /// verification with a note (see [`AllowedSigners::notes`]) because grabbag
    /// does not verify SSH certificates. Comments (`#`) and blank lines are
    /// allowed. Errors name `origin:line`.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, TrustError> {
        let mut entries = Vec::new();
        let mut notes = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let err = |message: String| TrustError::AllowedSigners {
                path: origin.to_path_buf(),
                line: line_no,
                message,
            };
            match parse_line(raw).map_err(err)? {
                Line::Blank => {}
                Line::CertAuthority => notes.push(format!(
                    "{}:{line_no}: cert-authority line ignored: grabbag does not verify SSH certificates",
                    origin.display()
                )),
                Line::Entry(entry) => entries.push(*entry),
            }
        }
        Ok(Self {
            origin: origin.to_path_buf(),
            entries,
            notes,
        })
    }

    /// Load the working tree's `<library_root>/.grabbag/allowed_signers`;
    /// `Ok(None)` when absent. Trust never comes from this file (a sync
    /// writes it): it is read only to bootstrap an empty library, see
    /// `library::signed_history`.
    pub fn load(library_root: &Path) -> Result<Option<Self>, TrustError> {
        match Self::read_text(library_root)? {
            Some((text, path)) => Self::parse(&text, &path).map(Some),
            None => Ok(None),
        }
    }

    /// The text of the working tree's allowed_signers and its path, if any.
    pub fn read_text(library_root: &Path) -> Result<Option<(String, PathBuf)>, TrustError> {
        let path = super::discover::resolve_inside(library_root, Path::new(ALLOWED_SIGNERS_PATH))
            .map_err(|why| TrustError::Io {
            path: library_root.join(ALLOWED_SIGNERS_PATH),
            source: io::Error::other(why),
        })?;
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some((text, path))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TrustError::Io { path, source }),
        }
    }

    /// The file (or name) these signers were parsed from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Number of usable signer lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no line can verify anything.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Remarks about lines that were accepted but ignored (e.g. `cert-authority`).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Verify an armored SSHSIG over `message` in `namespace`, as of now;
    /// returns the principals of the matching allowed_signers line.
    pub fn verify(
        &self,
        message: &[u8],
        armored_sig: &str,
        namespace: &str,
    ) -> Result<String, TrustError> {
        self.verify_at(message, armored_sig, namespace, Utc::now())
    }

    /// Like [`AllowedSigners::verify`], checking `valid-after`/`valid-before`
    /// against `at` instead of now (git uses the committer time, as we do for
    /// commits: `ssh-keygen -Overify-time`).
    pub fn verify_at(
        &self,
        message: &[u8],
        armored_sig: &str,
        namespace: &str,
        at: DateTime<Utc>,
    ) -> Result<String, TrustError> {
        let sig = parse_armored(armored_sig)?;
        if sig.namespace() != namespace {
            return Err(TrustError::WrongNamespace {
                expected: namespace.to_owned(),
                found: sig.namespace().to_owned(),
            });
        }
        let fingerprint = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
        let candidates: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| &e.key == sig.public_key())
            .collect();
        let Some(first) = candidates.first() else {
            return Err(TrustError::UnknownKey { fingerprint });
        };
        // Cryptography first: reasons like "expired" are only worth giving
        // for a signature that is genuinely the key holder's.
        let public = PublicKey::from(sig.public_key().clone());
        if public.verify(namespace, message, &sig).is_err() {
            return Err(TrustError::BadSignature {
                principal: first.principals.clone(),
                fingerprint,
            });
        }
        let mut first_refusal = None;
        for entry in &candidates {
            match entry_allows(entry, namespace, at, &fingerprint) {
                Ok(()) => return Ok(entry.principals.clone()),
                Err(e) => {
                    first_refusal.get_or_insert(e);
                }
            }
        }
        Err(first_refusal.unwrap_or(TrustError::UnknownKey { fingerprint }))
    }
}

/// Whether an allowed_signers line permits a signature in `namespace` at `at`.
fn entry_allows(
    entry: &Entry,
    namespace: &str,
    at: DateTime<Utc>,
    fingerprint: &str,
) -> Result<(), TrustError> {
    if let Some(allowed) = &entry.namespaces
        && match_pattern_list(namespace, allowed) != PatternMatch::Yes
    {
        return Err(TrustError::NamespaceNotAllowed {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            namespace: namespace.to_owned(),
            allowed: allowed.clone(),
        });
    }
    if let Some(valid_after) = entry.valid_after
        && at < valid_after
    {
        return Err(TrustError::NotYetValid {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            valid_after,
            at,
        });
    }
    if let Some(valid_before) = entry.valid_before
        && at > valid_before
    {
        return Err(TrustError::Expired {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            valid_before,
            at,
        });
    }
    Ok(())
}

/// Decode an armored SSHSIG, tolerating surrounding whitespace and CRLF.
fn parse_armored(armored: &str) -> Result<SshSig, TrustError> {
    let text = armored.trim().replace("\r\n", "\n");
    if !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(TrustError::MalformedSignature(
            "it does not start with -----BEGIN SSH SIGNATURE----- (OpenPGP and X.509 signatures are not supported)".into(),
        ));
    }
    SshSig::from_pem(format!("{text}\n")).map_err(|e| TrustError::MalformedSignature(e.to_string()))
}

/// What one line of allowed_signers turned out to be.
enum Line {
    Blank,
    CertAuthority,
    Entry(Box<Entry>),
}

/// Parse one allowed_signers line, following OpenSSH's sshsig.c.
fn parse_line(raw: &str) -> Result<Line, String> {
    let line = raw.trim_start_matches([' ', '\t']);
    if line.is_empty() || line.starts_with('#') {
        return Ok(Line::Blank);
    }
    let (principals, rest) = take_token(line)?;
    if principals.is_empty() {
        return Err("empty principals".into());
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    // OpenSSH first tries to read a key; if that fails, the token is options.
    let (options, key_text) = if looks_like_key(rest) {
        (None, rest)
    } else {
        let (opts, after) = take_token(rest)?;
        (Some(opts), after.trim_start_matches([' ', '\t']))
    };
    let mut entry = Entry {
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: parse_key(key_text)?,
    };
    let mut cert_authority = false;
    if let Some(options) = options {
        for option in split_options(&options)? {
            let (name, value) = match option.split_once('=') {
                Some((n, v)) => (n, Some(dequote(v)?)),
                None => (option.as_str(), None),
            };
            let need = |v: Option<String>| v.ok_or_else(|| format!("option {name} needs a value"));
            match name.to_ascii_lowercase().as_str() {
                "cert-authority" if value.is_none() => cert_authority = true,
                "namespaces" if entry.namespaces.is_none() => {
                    entry.namespaces = Some(need(value)?);
                }
                "valid-after" if entry.valid_after.is_none() => {
                    entry.valid_after = Some(parse_time(&need(value)?)?);
                }
                "valid-before" if entry.valid_before.is_none() => {
                    entry.valid_before = Some(parse_time(&need(value)?)?);
                }
                "cert-authority" | "namespaces" | "valid-after" | "valid-before" => {
                    return Err(format!("option {name} repeated or malformed"));
                }
                _ => return Err(format!("unsupported option {name:?}")),
            }
        }
    }
    if let (Some(after), Some(before)) = (entry.valid_after, entry.valid_before)
        && before <= after
    {
        return Err("valid-before is not later than valid-after".into());
    }
    if cert_authority {
        return Ok(Line::CertAuthority);
    }
    Ok(Line::Entry(Box::new(entry)))
}

/// Whether `text` starts with a public key algorithm name and something after it.
fn looks_like_key(text: &str) -> bool {
    let first = text.split([' ', '\t']).next().unwrap_or_default();
    first.parse::<Algorithm>().is_ok()
        || first.ends_with("-cert-v01@openssh.com")
        || first.starts_with("ssh-")
        || first.starts_with("ecdsa-")
        || first.starts_with("sk-")
}

/// Parse `keytype base64 [comment]`.
fn parse_key(text: &str) -> Result<KeyData, String> {
    let mut parts = text.split([' ', '\t']).filter(|s| !s.is_empty());
    let (Some(kind), Some(b64)) = (parts.next(), parts.next()) else {
        return Err(
            "missing public key (expected `keytype base64` after the principals and options)"
                .into(),
        );
    };
    if kind.ends_with("-cert-v01@openssh.com") {
        return Err(format!(
            "{kind}: certificates are not supported, list the plain key"
        ));
    }
    PublicKey::from_openssh(&format!("{kind} {b64}"))
        .map(|k| k.key_data().clone())
        .map_err(|e| format!("invalid {kind} public key: {e}"))
}

/// Take one whitespace-delimited token; a leading `"` quotes up to the next `"`
/// (OpenSSH's `strdelimw`). Within an unquoted token, quoted sections may
/// contain spaces (options like `namespaces="a b"`).
fn take_token(text: &str) -> Result<(String, &str), String> {
    if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted
            .find('"')
            .ok_or_else(|| "unterminated quote".to_string())?;
        let after = &quoted[end + 1..];
        if !(after.is_empty() || after.starts_with([' ', '\t'])) {
            return Err("text right after a closing quote".into());
        }
        return Ok((quoted[..end].to_owned(), after));
    }
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ' ' | '\t' if !in_quote => return Ok((text[..i].to_owned(), &text[i..])),
            _ => {}
        }
    }
    if in_quote {
        return Err("unterminated quote".into());
    }
    Ok((text.to_owned(), ""))
}

/// Split `a,b="x,y",c` at commas outside quotes.
fn split_options(options: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    for c in options.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                current.push(c);
            }
            ',' if !in_quote => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if in_quote {
        return Err("unterminated quote in options".into());
    }
    out.push(current);
    if out.iter().any(String::is_empty) {
        return Err("empty option".into());
    }
    Ok(out)
}

/// Remove the double quotes around an option value (required by OpenSSH,
/// tolerated when absent).
fn dequote(value: &str) -> Result<String, String> {
    match value.strip_prefix('"') {
        Some(inner) => inner
            .strip_suffix('"')
            .filter(|v| !v.contains('"'))
            .map(str::to_owned)
            .ok_or_else(|| format!("badly quoted value {value}")),
        None if value.contains('"') => Err(format!("badly quoted value {value}")),
        None => Ok(value.to_owned()),
    }
}

/// Parse an OpenSSH absolute time: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in UTC with a trailing `Z`, else in local time.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let bad = || format!("invalid time {text:?} (expected YYYYMMDD[HHMM[SS]][Z])");
    let (digits, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (text, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<u32, String> {
        digits
            .get(range)
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)
    };
    let (h, m, s) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        14 => (num(8..10)?, num(10..12)?, num(12..14)?),
        _ => return Err(bad()),
    };
    let year = i32::try_from(num(0..4)?).map_err(|_| bad())?;
    let naive: NaiveDateTime = NaiveDate::from_ymd_opt(year, num(4..6)?, num(6..8)?)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .ok_or_else(bad)?;
    if utc {
        Ok(Utc.from_utc_datetime(&naive))
    } else {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    }
}

/// Result of matching a string against an OpenSSH pattern list.
#[derive(Debug, PartialEq, Eq)]
enum PatternMatch {
    /// A positive pattern matched and no negated one did.
    Yes,
    /// Nothing matched.
    No,
    /// A negated (`!`) pattern matched: denied whatever else matches.
    Denied,
}

/// OpenSSH `match_pattern_list`: comma-separated glob patterns, `!` negates.
fn match_pattern_list(text: &str, list: &str) -> PatternMatch {
    let mut result = PatternMatch::No;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if match_pattern(text.as_bytes(), pattern.as_bytes()) {
            if negated {
                return PatternMatch::Denied;
            }
            result = PatternMatch::Yes;
        }
    }
    result
}

/// Glob match with `*` (any run) and `?` (any one byte), iteratively with
/// backtracking to the last `*` so hostile patterns stay linear-ish.
fn match_pattern(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A commit's signature header and the bytes it signs.
pub(crate) struct SignedCommit {
    pub(crate) signature: String,
    pub(crate) payload: Vec<u8>,
}

/// Split a raw commit object into its `gpgsig` signature and signed payload,
/// the way git does (`parse_buffer_signed_by_header`), but stricter: only
/// the header block is searched (a `gpgsig` line in the message is text),
/// other `gpgsig-*` headers are left out of the payload like git leaves them,
/// and a repeated `gpgsig` header is refused rather than concatenated.
pub(crate) fn split_signed_commit(raw: &[u8]) -> Result<Option<SignedCommit>, String> {
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature: Option<Vec<u8>> = None;
    // Which header the continuation lines (" ...") belong to.
    enum In {
        Other,
        Ours,
        OtherSignature,
    }
    let mut state = In::Other;
    let mut rest = raw;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        if line == b"\n" {
            // End of headers: the message is signed as it is.
            payload.extend_from_slice(rest);
            break;
        }
        if line.first() == Some(&b' ') && !matches!(state, In::Other) {
            if let (In::Ours, Some(sig)) = (&state, signature.as_mut()) {
                sig.push(b'\n');
                sig.extend_from_slice(line[1..].strip_suffix(b"\n").unwrap_or(&line[1..]));
            }
        } else if let Some(value) = line
            .strip_prefix(SIGNATURE_HEADER.as_bytes())
            .and_then(|v| v.strip_prefix(b" "))
        {
            if signature.is_some() {
                return Err("the commit has more than one gpgsig header".into());
            }
            signature = Some(value.strip_suffix(b"\n").unwrap_or(value).to_vec());
            state = In::Ours;
        } else if line.starts_with(SIGNATURE_HEADER.as_bytes()) {
            state = In::OtherSignature;
        } else {
            state = In::Other;
            payload.extend_from_slice(line);
        }
        rest = tail;
    }
    match signature {
        None => Ok(None),
        Some(sig) => {
            let signature =
                String::from_utf8(sig).map_err(|_| "the gpgsig header is not UTF-8".to_string())?;
            Ok(Some(SignedCommit { signature, payload }))
        }
    }
}

/// Trust of one commit.
///
/// With no allowed signers this is [`Trust::NotChecked`]. Otherwise the
/// commit's `gpgsig` header must hold an SSH signature in namespace `git`,
/// by a listed key whose line allows namespace `git` at the committer time
/// (as `git verify-commit` checks it), over the commit without that header.
pub fn commit_trust(
    repo: &git2::Repository,
    commit: git2::Oid,
    signers: Option<&AllowedSigners>,
) -> Trust {
    let Some(signers) = signers else {
        return Trust::NotChecked;
    };
    let untrusted = |reason: String| Trust::Untrusted { reason };
    let odb = match repo.odb() {
        Ok(odb) => odb,
        Err(e) => return untrusted(format!("cannot read the object database: {e}")),
    };
    let object = match odb.read(commit) {
        Ok(object) => object,
        Err(e) => return untrusted(format!("cannot read commit {commit}: {e}")),
    };
    if object.kind() != git2::ObjectType::Commit {
        return untrusted(format!("{commit} is not a commit"));
    }
    let signed = match split_signed_commit(object.data()) {
        Ok(Some(signed)) => signed,
        Ok(None) => return untrusted("unsigned".into()),
        Err(e) => return untrusted(e),
    };
    let at = match repo.find_commit(commit) {
        Ok(c) => Utc
            .timestamp_opt(c.committer().when().seconds(), 0)
            .single()
            .unwrap_or_else(Utc::now),
        Err(e) => return untrusted(format!("cannot parse commit {commit}: {e}")),
    };
    match signers.verify_at(&signed.payload, &signed.signature, GIT_NAMESPACE, at) {
        Ok(signer) => Trust::Trusted { signer },
        Err(e) => untrusted(e.to_string()),
    }
}

/// Signs commits and data in-process with an SSH private key, producing what
/// `git commit -S` (with `gpg.format=ssh`) and `ssh-keygen -Y sign` produce.
pub struct CommitSigner {
    key: PrivateKey,
}

impl fmt::Debug for CommitSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("CommitSigner")
            .field("public_key", &self.public_key_openssh())
            .finish()
    }
}

impl CommitSigner {
    /// Generate a fresh Ed25519 key (for the demo and `grabbag keygen`).
    pub fn generate_ed25519(comment: &str) -> Result<Self, TrustError> {
        let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)?;
        key.set_comment(comment);
        Ok(Self { key })
    }

    /// Read an unencrypted OpenSSH private key file (`-----BEGIN OPENSSH
    /// PRIVATE KEY-----`); an encrypted key gives [`TrustError::EncryptedKey`].
    pub fn from_openssh_file(path: &Path) -> Result<Self, TrustError> {
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| TrustError::Io {
            path: path.to_path_buf(),
            source,
        })?);
        let key =
            PrivateKey::from_openssh(text.as_bytes()).map_err(|e| TrustError::PrivateKey {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if key.is_encrypted() {
            return Err(TrustError::EncryptedKey {
                path: path.to_path_buf(),
            });
        }
        let unsupported = |reason: String| TrustError::UnsupportedKey {
            path: path.to_path_buf(),
            algorithm: key.algorithm().to_string(),
            reason,
        };
        if key.algorithm().is_rsa() {
            // ssh-key 0.6.7 builds the RSA private key from (p, p) instead of
            // (p, q), so every RSA signature fails; verifying RSA works.
            return Err(unsupported(
                "the ssh-key 0.6 crate grabbag uses cannot sign with RSA keys".into(),
            ));
        }
        // Find out now, not halfway through a commit, whether the key signs.
        if let Err(e) = key.sign("grabbag-key-check", HashAlg::Sha512, b"check") {
            return Err(unsupported(e.to_string()));
        }
        Ok(Self { key })
    }

    /// Write the private key to `private_path` (mode 0600 on Unix) and the
    /// public key to `<private_path>.pub`, like ssh-keygen. Existing files are
    /// never overwritten.
    pub fn write_openssh_files(&self, private_path: &Path) -> Result<(), TrustError> {
        let mut public_path = private_path.as_os_str().to_owned();
        public_path.push(".pub");
        let public_path = PathBuf::from(public_path);
        for path in [private_path, public_path.as_path()] {
            if path.exists() {
                return Err(TrustError::KeyFileExists {
                    path: path.to_path_buf(),
                });
            }
        }
        let pem = self.key.to_openssh(LineEnding::LF)?;
        write_new_file(private_path, pem.as_bytes(), true)?;
        let public = format!("{}\n", self.public_key_openssh());
        write_new_file(&public_path, public.as_bytes(), false)
    }

    /// The public key in OpenSSH format: `ssh-ed25519 AAAA... comment`.
    pub fn public_key_openssh(&self) -> String {
        let public = self.key.public_key();
        // Encoding a key we hold cannot fail for supported algorithms; fall
        // back to the fingerprint rather than panic if it ever does.
        public
            .to_openssh()
            .unwrap_or_else(|_| public.fingerprint(HashAlg::Sha256).to_string())
    }

    /// The key's SHA256 fingerprint, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// An allowed_signers line for this key:
    /// `principal namespaces="git,grabbag-journal" ssh-ed25519 AAAA...`.
    pub fn allowed_signers_line(&self, principal: &str) -> String {
        let principal = if principal.contains([' ', '\t']) {
            format!("\"{principal}\"")
        } else {
            principal.to_owned()
        };
        let mut key = self.key.public_key().clone();
        key.set_comment("");
        let key = key
            .to_openssh()
            .unwrap_or_else(|_| self.public_key_openssh());
        format!("{principal} namespaces=\"{GIT_NAMESPACE},{JOURNAL_NAMESPACE}\" {key}")
    }

    /// Sign `data` in `namespace`: an armored SSHSIG (SHA-512), byte for byte
    /// what `ssh-keygen -Y sign -n NAMESPACE` writes, ending in a newline.
    pub fn sign(&self, data: &[u8], namespace: &str) -> Result<String, TrustError> {
        let sig = self.key.sign(namespace, HashAlg::Sha512, data)?;
        let mut pem = sig.to_pem(LineEnding::LF)?;
        if !pem.ends_with('\n') {
            pem.push('\n');
        }
        Ok(pem)
    }

    /// Create a signed commit and move `update_ref` (e.g. `"HEAD"`, which
    /// moves the branch HEAD points at, even an unborn one) to it.
    ///
    /// The committer is the author. The message gets a final newline, as git
    /// gives it. The reference must still point at the first parent (or not
    /// exist, for a first commit), otherwise [`TrustError::RefMoved`].
    pub fn commit(
        &self,
        repo: &git2::Repository,
        update_ref: &str,
        author: &git2::Signature<'_>,
        message: &str,
        tree: &git2::Tree<'_>,
        parents: &[&git2::Commit<'_>],
    ) -> Result<git2::Oid, TrustError> {
        let mut message = message.to_owned();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        let buffer = repo.commit_create_buffer(author, author, &message, tree, parents)?;
        let content = buffer.as_str()?;
        let sig = self.sign(content.as_bytes(), GIT_NAMESPACE)?;
        // libgit2 turns every '\n' of the signature into "\n " in the header;
        // git writes the armor without a trailing continuation line, so the
        // final newline must go to produce the same object.
        let id = repo.commit_signed(content, sig.trim_end(), Some(SIGNATURE_HEADER))?;

        let target = resolve_symbolic(repo, update_ref)?;
        let current = match repo.find_reference(&target) {
            Ok(r) => r.target(),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let expected = parents.first().map(|p| p.id());
        if current != expected {
            let show = |o: Option<git2::Oid>| o.map_or_else(|| "nothing".into(), |o| o.to_string());
            return Err(TrustError::RefMoved {
                reference: target,
                actual: show(current),
                expected: show(expected),
            });
        }
        let summary = message.lines().next().unwrap_or_default();
        match current {
            Some(old) => {
                let log = format!("commit: {summary}");
                repo.reference_matching(&target, id, true, old, &log)?;
            }
            None => {
                let log = format!("commit (initial): {summary}");
                repo.reference(&target, id, false, &log)?;
            }
        }
        Ok(id)
    }
}

/// Follow symbolic references (HEAD -> refs/heads/main) to the name of the
/// direct reference to update, which may not exist yet (unborn branch).
fn resolve_symbolic(repo: &git2::Repository, name: &str) -> Result<String, TrustError> {
    let mut name = name.to_owned();
    // Bounded: git itself gives up on symbolic ref chains after a few hops.
    for _ in 0..5 {
        let reference = match repo.find_reference(&name) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(name),
            Err(e) => return Err(e.into()),
        };
        match reference.symbolic_target()? {
            Some(next) => name = next.to_owned(),
            None => return Ok(name),
        }
    }
    Err(git2::Error::from_str(&format!("symbolic reference chain from {name} is too deep")).into())
}

/// Create a file that must not exist yet; `private` makes it 0600 on Unix.
fn write_new_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), TrustError> {
    let io_err = |source| TrustError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    // On Windows the file inherits the ACL of its folder (the user's profile).
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(io_err)?;
    file.write_all(bytes).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_pattern(b"alice@council.gov.uk", b"*@council.gov.uk"));
        assert!(match_pattern(b"abc", b"a?c"));
        assert!(!match_pattern(b"abc", b"a?d"));
        assert!(match_pattern(b"", b"*"));
        assert!(!match_pattern(b"x", b""));
        assert_eq!(
            match_pattern_list("git", "git,grabbag-journal"),
            PatternMatch::Yes
        );
        assert_eq!(
            match_pattern_list("file", "git,grabbag-journal"),
            PatternMatch::No
        );
        assert_eq!(match_pattern_list("git", "*,!git"), PatternMatch::Denied);
    }

    #[test]
    fn times() {
        let t = parse_time("20240102Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T00:00:00+00:00");
        let t = parse_time("202401021314Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T13:14:00+00:00");
        let t = parse_time("20240102131415Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T13:14:15+00:00");
        assert!(parse_time("2024010").is_err());
        assert!(parse_time("20241340Z").is_err());
        assert!(parse_time("2024-01-02").is_err());
        assert!(parse_time("20240102").is_ok());
    }

    #[test]
    fn parse_lines() {
        let signer = CommitSigner::generate_ed25519("t").unwrap();
        let key = signer.public_key_openssh();
        let text = format!(
            "# comment\n\n  alice@x,bob@x {key}\n\"carol x\" namespaces=\"git\",valid-after=\"20200101Z\" {key}\nca@x cert-authority {key}\n"
        );
        let signers = AllowedSigners::parse(&text, Path::new("as")).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!(signers.notes().len(), 1);
        assert_eq!(signers.entries[1].principals, "carol x");
        assert_eq!(signers.entries[1].namespaces.as_deref(), Some("git"));

        for bad in [
            "alice",
            "alice namespaces=\"git\"",
            "alice ssh-ed25519 notbase64!!",
            "alice bogus=\"1\" ssh-ed25519 AAAA",
            "\"alice ssh-ed25519",
        ] {
            let err = AllowedSigners::parse(&format!("# ok\n{bad}\n"), Path::new("f")).unwrap_err();
            assert!(err.to_string().starts_with("f:2: "), "{bad}: {err}");
        }
    }

    #[test]
    fn sign_and_verify_in_process() {
        let signer = CommitSigner::generate_ed25519("t").unwrap();
        let signers =
            AllowedSigners::parse(&signer.allowed_signers_line("alice"), Path::new("as")).unwrap();
        let sig = signer.sign(b"hello", JOURNAL_NAMESPACE).unwrap();
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
        assert!(sig.ends_with("-----END SSH SIGNATURE-----\n"));
        assert_eq!(
            signers.verify(b"hello", &sig, JOURNAL_NAMESPACE).unwrap(),
            "alice"
        );
        assert!(matches!(
            signers.verify(b"hellO", &sig, JOURNAL_NAMESPACE),
            Err(TrustError::BadSignature { .. })
        ));
        assert!(matches!(
            signers.verify(b"hello", &sig, GIT_NAMESPACE),
            Err(TrustError::WrongNamespace { .. })
        ));
        let other = signer.sign(b"hello", "file").unwrap();
        assert!(matches!(
            signers.verify(b"hello", &other, "file"),
            Err(TrustError::NamespaceNotAllowed { .. })
        ));
        assert!(matches!(
            signers.verify(b"hello", "garbage", "file"),
            Err(TrustError::MalformedSignature(_))
        ));
    }

    #[test]
    fn validity_window() {
        let signer = CommitSigner::generate_ed25519("t").unwrap();
        let key = signer.public_key_openssh();
        let text = format!("a valid-after=\"20200101Z\",valid-before=\"20210101Z\" {key}");
        let signers = AllowedSigners::parse(&text, Path::new("as")).unwrap();
        let sig = signer.sign(b"m", "git").unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(
            signers
                .verify_at(b"m", &sig, "git", at("2020-06-01T00:00:00Z"))
                .is_ok()
        );
        assert!(matches!(
            signers.verify_at(b"m", &sig, "git", at("2019-06-01T00:00:00Z")),
            Err(TrustError::NotYetValid { .. })
        ));
        assert!(matches!(
            signers.verify_at(b"m", &sig, "git", at("2021-06-01T00:00:00Z")),
            Err(TrustError::Expired { .. })
        ));
    }

    #[test]
    fn split_commit_headers() {
        let raw = b"tree 1\nparent 2\nauthor a\ncommitter c\ngpgsig -----BEGIN SSH SIGNATURE-----\n abc\n -----END SSH SIGNATURE-----\n\nmsg\ngpgsig not-a-header\n";
        let signed = split_signed_commit(raw).unwrap().unwrap();
        assert_eq!(
            signed.signature,
            "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----"
        );
        assert_eq!(
            signed.payload,
            b"tree 1\nparent 2\nauthor a\ncommitter c\n\nmsg\ngpgsig not-a-header\n"
        );
        let unsigned = b"tree 1\nauthor a\n\ngpgsig -----BEGIN SSH SIGNATURE-----\n";
        assert!(split_signed_commit(unsigned).unwrap().is_none());
        let twice = b"tree 1\ngpgsig a\ngpgsig b\n\nm\n";
        assert!(split_signed_commit(twice).is_err());
    }
}
