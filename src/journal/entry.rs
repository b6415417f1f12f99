//! One journal line: its stored form, its hash, and its encrypted body.
//!
//! A line is a JSON object whose keys come in a fixed order and whose last key is
//! `hash`. The hash is SHA-256 over the line's own bytes with the final
//! `,"hash":"<64 hex>"}` replaced by `}`; `prev` is the previous line's hash
//! (64 zeros for the first). Hashing the stored bytes, rather than a
//! re-serialisation, means any tool can check the chain without knowing our
//! JSON conventions, and, for an encrypted journal, without the key.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::event::{Actor, Event};

/// `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Length of the `,"hash":"<64 hex>"}` suffix every line ends with (before `\n`).
pub const HASH_SUFFIX_LEN: usize = 75;

/// The stored form of an entry, in key order. Fields this version does not
/// know are ignored, not refused: a newer grabbag may add some, and the chain
/// is checked over the stored bytes, so they stay covered by the hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEntry {
    /// 1, 2, 3...: no gaps.
    pub seq: u64,
    /// 1 for the first session, +1 at each resume.
    pub session: u32,
    /// Wall-clock time, UTC, RFC 3339 with milliseconds.
    pub at: String,
    /// The local UTC offset when written, e.g. `+01:00`.
    pub offset: String,
    /// Milliseconds since the session began (monotonic clock).
    pub mono_ms: u64,
    /// Exercise time in milliseconds (T+), in exercises only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ex_t: Option<u64>,
    /// Public keys the journal key is wrapped to (first entry of an encrypted journal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_to: Option<Vec<String>>,
    /// The journal key, age-encrypted to `encrypted_to`, base64 (first entry only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_key: Option<String>,
    /// Who (plaintext journals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// What (plaintext journals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// Actor and event encrypted with the journal key: base64(nonce ‖ ciphertext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Hash of the previous line.
    pub prev: String,
    /// Hash of this line (see the module docs).
    #[serde(default)]
    pub hash: String,
}

/// The part of an entry that the journal key encrypts (fields a newer
/// version adds beside these are ignored, as in [`StoredEntry`]).
#[derive(Serialize, Deserialize)]
pub(super) struct Body {
    pub actor: Actor,
    pub event: Event,
}

/// Hex of a SHA-256 digest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    digest_hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a 32-byte digest, as a string.
pub fn digest_hex(digest: &[u8]) -> String {
    hex(digest).into_iter().map(char::from).collect()
}

/// Lower-case hex of a 32-byte digest, on the stack.
fn hex(digest: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in digest.iter().take(32).enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    out
}

impl StoredEntry {
    /// Serialises the entry with its hash, as one line ending in `\n`.
    /// `self.hash` is ignored and recomputed.
    pub fn to_line(&self) -> Result<(Vec<u8>, String), serde_json::Error> {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let mut bytes = serde_json::to_vec(&unhashed)?;
        // serde writes `"hash":""}` last; drop it to get the hashed form.
        let tail = b",\"hash\":\"\"}";
        if bytes.ends_with(tail) {
            bytes.truncate(bytes.len() - tail.len());
            bytes.push(b'}');
        }
        Ok(hashed_line(bytes))
    }
}

/// Completes a JSON object line ending in `}` with its hash, by the journal's
/// rule (the hash covers the line as it is without `,"hash":"…"`); returns the
/// line with its newline, and the hash. Journals and merged files share it.
pub(crate) fn hashed_line(mut unhashed: Vec<u8>) -> (Vec<u8>, String) {
    let hash = seal_line(&mut unhashed);
    (unhashed, hash)
}

/// [`hashed_line`] in place, for a writer that reuses one buffer per line.
pub(crate) fn seal_line(line: &mut Vec<u8>) -> String {
    let hash = sha256_hex(line);
    line.pop();
    line.extend_from_slice(b",\"hash\":\"");
    line.extend_from_slice(hash.as_bytes());
    line.extend_from_slice(b"\"}\n");
    hash
}

/// The hash a stored line should carry, or why it cannot have one. `line`
/// excludes the newline.
pub fn line_hash(line: &[u8]) -> Result<(String, &[u8]), &'static str> {
    let (computed, stored) = line_digest(line)?;
    Ok((computed.into_iter().map(char::from).collect(), stored))
}

/// [`line_hash`] without allocating: the computed hash as hex bytes on the
/// stack, and the stored one (the chain checks every line with it).
pub(crate) fn line_digest(line: &[u8]) -> Result<([u8; 64], &[u8]), &'static str> {
    if line.len() < HASH_SUFFIX_LEN + 2 || !line.ends_with(b"\"}") {
        return Err("line does not end with a hash");
    }
    let (body, suffix) = line.split_at(line.len() - HASH_SUFFIX_LEN);
    if !suffix.starts_with(b",\"hash\":\"") {
        return Err("`hash` is not the last field");
    }
    let stored = &suffix[9..9 + 64];
    let mut hasher = Sha256::new();
    hasher.update(body);
    hasher.update(b"}");
    Ok((hex(&hasher.finalize()), stored))
}

/// A 256-bit key that encrypts one journal's entry bodies.
pub struct JournalKey {
    key: Zeroizing<[u8; 32]>,
}

/// Errors sealing or opening a body.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Randomness was unavailable.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The body did not decrypt (wrong key, or altered).
    #[error("the encrypted body does not decrypt: altered, or a different journal's key")]
    Open,
    /// The body is not base64 or too short.
    #[error("the encrypted body is malformed")]
    Malformed,
}

impl JournalKey {
    /// A new random key.
    pub fn generate() -> Result<Self, SealError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(key.as_mut()).map_err(|e| SealError::Random(e.to_string()))?;
        Ok(Self { key })
    }

    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self {
            key: Zeroizing::new(array),
        })
    }

    /// The raw key, to wrap with age.
    pub fn bytes(&self) -> &[u8] {
        self.key.as_ref()
    }

    /// Encrypts a body for entry `seq`. A random nonce per entry, never a
    /// counter: an entry rewritten after a torn tail reuses its seq, and must
    /// not reuse a nonce.
    pub fn seal(&self, seq: u64, plaintext: &[u8]) -> Result<String, SealError> {
        let out = self.seal_bytes(&seq.to_be_bytes(), plaintext)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Decrypts the body of entry `seq`; the seq is authenticated, so a body
    /// moved to another position does not open.
    pub fn open(&self, seq: u64, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| SealError::Malformed)?;
        self.open_bytes(&seq.to_be_bytes(), bytes)
    }

    /// Encrypts `plaintext` under a random nonce, authenticating `aad` with
    /// it: nonce ‖ ciphertext. Entry bodies use their seq as `aad` (8
    /// bytes); anything else sealed with a journal key uses a longer one.
    pub fn seal_bytes(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
        let cipher = ChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.key.as_ref()));
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`JournalKey::seal_bytes`] sealed with the same `aad`.
    pub fn open_bytes(&self, aad: &[u8], sealed: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let mut bytes = Zeroizing::new(sealed);
        if bytes.len() < 12 + 16 {
            return Err(SealError::Malformed);
        }
        let nonce = *Nonce::from_slice(&bytes[..12]);
        // Opened where it lies (nonce and ciphertext are the one buffer):
        // no second buffer per entry.
        bytes.drain(..12);
        let cipher = ChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(self.key.as_ref()));
        cipher
            .decrypt_in_place(&nonce, aad, &mut *bytes)
            .map_err(|_| SealError::Open)?;
        Ok(bytes)
    }
}

/// The witness code for an entry: `SEQ:XXXXX-XXXXX`, the first 50 bits of its
/// hash in Crockford base32 (no I, L, O or U, so it survives being read aloud
/// or handwritten).
pub fn witness_code(seq: u64, hash_hex: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_str_radix(hash_hex.get(..13).unwrap_or("0"), 16).unwrap_or(0) >> 2;
    let chars: String = (0..10)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{seq}:{}-{}", &chars[..5], &chars[5..])
}

/// Normalises a witness code as a person may have written it (lower case,
/// spaces, `O` for `0`, `I`/`L` for `1`), returning (seq, code).
pub fn parse_witness(text: &str) -> Option<(u64, String)> {
    let (seq, code) = text.trim().split_once(':')?;
    let seq: u64 = seq.trim().parse().ok()?;
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (code.len() == 10).then_some((seq, code))
}

/// A chained plaintext journal of `events` (actor, event, exercise ms),
/// written `step_ms` apart from `start` in session 1 with the local offset
/// `offset`: a verifiable file whose bytes do not depend on the clock, for
/// fixtures, golden files and tests.
pub fn plaintext_journal(
    start: chrono::DateTime<chrono::Utc>,
    step_ms: u64,
    offset: &str,
    events: Vec<(Actor, Event, Option<u64>)>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_owned();
    for (i, (actor, event, ex_t)) in events.into_iter().enumerate() {
        let mono_ms = step_ms * i as u64;
        let at = start + chrono::TimeDelta::milliseconds(i64::try_from(mono_ms).unwrap_or(0));
        let entry = StoredEntry {
            seq: i as u64 + 1,
            session: 1,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            offset: offset.to_owned(),
            mono_ms,
            ex_t,
            encrypted_to: None,
            journal_key: None,
            actor: Some(actor),
            event: Some(event),
            sealed: None,
            prev,
            hash: String::new(),
        };
        let (line, hash) = entry.to_line()?;
        out.extend_from_slice(&line);
        prev = hash;
    }
    Ok(out)
}

/// A plaintext note entry for tests, chained after `prev`.
#[cfg(test)]
pub(crate) fn test_note(
    seq: u64,
    session: u32,
    at: &str,
    mono_ms: u64,
    name: &str,
    text: &str,
    prev: &str,
) -> StoredEntry {
    StoredEntry {
        seq,
        session,
        at: at.to_owned(),
        offset: "+00:00".to_owned(),
        mono_ms,
        ex_t: None,
        encrypted_to: None,
        journal_key: None,
        actor: Some(Actor {
            name: name.to_owned(),
            role: "R".to_owned(),
        }),
        event: Some(Event::Note {
            text: text.to_owned(),
            happened_at: None,
        }),
        sealed: None,
        prev: prev.to_owned(),
        hash: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> StoredEntry {
        test_note(1, 1, "2026-11-29T10:00:00.000Z", 0, "A", "hello", GENESIS)
    }

    #[test]
    fn stored_line_hashes_to_itself() {
        let (line, hash) = entry().to_line().unwrap();
        assert!(line.ends_with(b"\"}\n"));
        let (computed, stored) = line_hash(&line[..line.len() - 1]).unwrap();
        assert_eq!(computed, hash);
        assert_eq!(stored, hash.as_bytes());
        let parsed: StoredEntry = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed.hash, hash);
    }

    #[test]
    fn sealed_body_binds_to_seq() {
        let key = JournalKey::generate().unwrap();
        let sealed = key.seal(7, b"secret").unwrap();
        assert_eq!(&key.open(7, &sealed).unwrap()[..], b"secret");
        assert!(matches!(key.open(8, &sealed), Err(SealError::Open)));
        let other = JournalKey::generate().unwrap();
        assert!(matches!(other.open(7, &sealed), Err(SealError::Open)));
    }

    #[test]
    fn witness_codes_read_back_forgivingly() {
        let code = witness_code(42, &"ab".repeat(32));
        assert_eq!(code.len(), "42:XXXXX-XXXXX".len());
        let (seq, norm) = parse_witness(&code.to_lowercase().replace('0', "o")).unwrap();
        assert_eq!(seq, 42);
        assert_eq!(format!("42:{}-{}", &norm[..5], &norm[5..]), code);
    }
}
