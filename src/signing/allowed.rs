//! OpenSSH `allowed_signers` (ssh-keygen(1), "ALLOWED SIGNERS"): parsing,
//! and verifying SSHSIG signatures against it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use signature::Verifier as _;
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, PublicKey, SshSig};

use super::SigningError;

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
    pub fn parse(text: &str, origin: &Path) -> Result<Self, SigningError> {
        let mut entries = Vec::new();
        let mut notes = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let err = |message: String| SigningError::AllowedSigners {
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
    ) -> Result<String, SigningError> {
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
    ) -> Result<String, SigningError> {
        self.verify_with(armored_sig, namespace, at, |public, sig| {
            public.verify(namespace, message, sig).is_ok()
        })
    }

    /// Like [`AllowedSigners::verify`], for a message known only by its
    /// digest under the signature's hash algorithm (`journal verify` hashes
    /// a journal as it streams it instead of holding it in memory).
    pub fn verify_digest(
        &self,
        digest: &[u8],
        armored_sig: &str,
        namespace: &str,
    ) -> Result<String, SigningError> {
        self.verify_with(armored_sig, namespace, Utc::now(), |_, sig| {
            digest_holds(sig, digest)
        })
    }

    /// The checks of [`AllowedSigners::verify_at`], with the cryptographic
    /// one (`holds`) given by the caller.
    fn verify_with(
        &self,
        armored_sig: &str,
        namespace: &str,
        at: DateTime<Utc>,
        holds: impl FnOnce(&PublicKey, &SshSig) -> bool,
    ) -> Result<String, SigningError> {
        let sig = parse_armored(armored_sig)?;
        if sig.namespace() != namespace {
            return Err(SigningError::WrongNamespace {
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
            return Err(SigningError::UnknownKey { fingerprint });
        };
        // Cryptography first: reasons like "expired" are only worth giving
        // for a signature that is genuinely the key holder's.
        let public = PublicKey::from(sig.public_key().clone());
        if !holds(&public, &sig) {
            return Err(SigningError::BadSignature {
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
        Err(first_refusal.unwrap_or(SigningError::UnknownKey { fingerprint }))
    }
}

/// Whether an allowed_signers line permits a signature in `namespace` at `at`.
fn entry_allows(
    entry: &Entry,
    namespace: &str,
    at: DateTime<Utc>,
    fingerprint: &str,
) -> Result<(), SigningError> {
    if let Some(allowed) = &entry.namespaces
        && match_pattern_list(namespace, allowed) != PatternMatch::Yes
    {
        return Err(SigningError::NamespaceNotAllowed {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            namespace: namespace.to_owned(),
            allowed: allowed.clone(),
        });
    }
    if let Some(valid_after) = entry.valid_after
        && at < valid_after
    {
        return Err(SigningError::NotYetValid {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            valid_after,
            at,
        });
    }
    if let Some(valid_before) = entry.valid_before
        && at > valid_before
    {
        return Err(SigningError::Expired {
            principal: entry.principals.clone(),
            fingerprint: fingerprint.to_owned(),
            valid_before,
            at,
        });
    }
    Ok(())
}

/// Decode an armored SSHSIG, tolerating surrounding whitespace and CRLF.
/// True when `sig` is a valid signature over a message whose digest, under
/// the signature's hash algorithm, is `digest`.
pub(crate) fn digest_holds(sig: &SshSig, digest: &[u8]) -> bool {
    sig.public_key()
        .verify(&signed_data(sig, digest), sig.signature())
        .is_ok()
}

/// The blob an SSHSIG signs (OpenSSH PROTOCOL.sshsig): the magic preamble,
/// then namespace, reserved, hash algorithm and message digest as SSH strings.
pub(crate) fn signed_data(sig: &SshSig, digest: &[u8]) -> Vec<u8> {
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

fn parse_armored(armored: &str) -> Result<SshSig, SigningError> {
    let text = armored.trim().replace("\r\n", "\n");
    if !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(SigningError::MalformedSignature(
            "it does not start with -----BEGIN SSH SIGNATURE----- (OpenPGP and X.509 signatures are not supported)".into(),
        ));
    }
    SshSig::from_pem(format!("{text}\n"))
        .map_err(|e| SigningError::MalformedSignature(e.to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Signer;

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
        let signer = Signer::generate_ed25519("t").unwrap();
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
    fn validity_window() {
        let signer = Signer::generate_ed25519("t").unwrap();
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
            Err(SigningError::NotYetValid { .. })
        ));
        assert!(matches!(
            signers.verify_at(b"m", &sig, "git", at("2021-06-01T00:00:00Z")),
            Err(SigningError::Expired { .. })
        ));
    }
}
