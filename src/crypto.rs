//! age encryption in memory: identities, recipients files, encrypt and decrypt.
//!
//! Everything here works on byte buffers; plaintext never goes to disk from this
//! module. Decrypted bytes come back in [`Zeroizing`] buffers so they are wiped
//! when dropped. Identities are age X25519 keys, stored either as a plain age
//! identity file (what `age-keygen` writes) or wrapped in a passphrase-encrypted
//! age file (scrypt, what `age -p` writes), so both stay usable by any age tool.
//!
//! Only X25519 recipients are accepted: they are what `age-keygen` makes, they
//! need no plugins, and an SSH-key recipient would tie a council's runbooks to
//! keys that are often on the lost laptop itself.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// The scrypt work factor (log2 N) used to protect identity files: fixed rather
/// than calibrated, so an identity made on a fast desktop still opens in about a
/// second on a slow laptop. age's default targets the same second.
pub const SCRYPT_WORK_FACTOR: u8 = 18;

/// Largest identity or recipients file we read: these are a few lines each.
const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Errors from keys and encryption.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A line of a recipients file is not an age recipient.
    #[error("{path}:{line}: not an age recipient: {reason}")]
    BadRecipient {
        /// The recipients file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        reason: String,
    },
    /// The recipients file lists nobody.
    #[error("{0}: no recipients: add at least one `age1...` public key")]
    NoRecipients(PathBuf),
    /// An identity file holds no usable key.
    #[error("{path}: {reason}")]
    BadIdentity {
        /// The identity file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The passphrase did not open a protected identity file.
    #[error("{0}: wrong passphrase")]
    WrongPassphrase(PathBuf),
    /// No passphrase could be obtained.
    #[error("{path}: a passphrase is needed but none could be read: {reason}")]
    NoPassphrase {
        /// The identity file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// None of our identities is a recipient of the file.
    #[error(
        "no identity can decrypt this file: it is encrypted to {stanzas} recipient(s), and the identity tried ({tried}) is not one of them"
    )]
    NotARecipient {
        /// How many recipient stanzas the file's header holds.
        stanzas: usize,
        /// Public keys of the identities tried.
        tried: String,
    },
    /// The file is not an age file, or it is damaged or altered.
    #[error("damaged or altered ciphertext: {0}")]
    Corrupt(String),
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CryptoError + '_ {
    move |source| CryptoError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a small key file: a regular file (a FIFO or a device is refused,
/// never waited on or read without end), refusing anything absurdly large.
fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    crate::fsutil::read_regular_followed(path, MAX_KEY_FILE)
        .map(Zeroizing::new)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => CryptoError::BadIdentity {
                path: path.to_owned(),
                reason: "file is too large to be a key file".to_owned(),
            },
            _ => io_err(path)(e),
        })
}

/// The people (keys) a library's runbooks are encrypted to.
#[derive(Debug, Clone)]
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
}

impl Recipients {
    /// Parses a recipients file: one `age1...` key per line; `#` comments and
    /// blank lines allowed, as in age's `-R` files.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = age::x25519::Recipient::from_str(line).map_err(|reason| {
                let hint = if line.starts_with("ssh-") {
                    " (SSH keys are not accepted as recipients; use an age key from `grabbag keygen`)"
                } else {
                    ""
                };
                CryptoError::BadRecipient {
                    path: origin.to_owned(),
                    line: i + 1,
                    reason: format!("{reason}{hint}"),
                }
            })?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(CryptoError::NoRecipients(origin.to_owned()));
        }
        Ok(Self { keys })
    }

    /// Reads and parses a recipients file.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let bytes = read_key_file(path)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| CryptoError::BadRecipient {
            path: path.to_owned(),
            line: 0,
            reason: "file is not UTF-8".to_owned(),
        })?;
        Self::parse(text, path)
    }

    /// The public keys, as `age1...` strings.
    pub fn keys(&self) -> Vec<String> {
        self.keys.iter().map(ToString::to_string).collect()
    }

    /// True when `public_key` is one of the recipients.
    pub fn contains(&self, public_key: &str) -> bool {
        self.keys.iter().any(|k| k.to_string() == public_key)
    }
}

/// A secret key that can decrypt runbooks and journals.
pub struct Identity {
    key: age::x25519::Identity,
}

impl Identity {
    /// A new random identity.
    pub fn generate() -> Self {
        Self {
            key: age::x25519::Identity::generate(),
        }
    }

    /// The public key (`age1...`) others encrypt to.
    pub fn public_key(&self) -> String {
        self.key.to_public().to_string()
    }

    /// The identity as a recipient, to encrypt to oneself.
    pub fn recipients(&self) -> Recipients {
        Recipients {
            keys: vec![self.key.to_public()],
        }
    }

    /// The identity file text, as `age-keygen` writes it.
    pub fn file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# created: {}\n# public key: {}\n{}\n",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.public_key(),
            self.key.to_string().expose_secret()
        ))
    }

    /// Writes the identity to a new file readable by its owner only (0600 on
    /// Unix), optionally wrapped with a passphrase. Refuses to overwrite.
    pub fn write(&self, path: &Path, passphrase: Option<&SecretString>) -> Result<(), CryptoError> {
        let text = self.file_text();
        let bytes: Zeroizing<Vec<u8>> = match passphrase {
            None => Zeroizing::new(text.as_bytes().to_vec()),
            Some(passphrase) => {
                let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
                recipient.set_work_factor(SCRYPT_WORK_FACTOR);
                Zeroizing::new(encrypt_to(
                    &[&recipient as &dyn age::Recipient],
                    text.as_bytes(),
                    true,
                )?)
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fsutil::create_private_dir(dir).map_err(io_err(dir))?;
        }
        crate::fsutil::write_new_private(path, &bytes).map_err(io_err(path))
    }
}

/// The identities this process holds, loaded once (a passphrase is asked once
/// per process, never per runbook).
pub struct Identities {
    keys: Vec<age::x25519::Identity>,
    origin: PathBuf,
}

impl Identities {
    /// Wraps identities held in memory (tests, the demo).
    pub fn from_identity(identity: Identity, origin: &Path) -> Self {
        Self {
            keys: vec![identity.key],
            origin: origin.to_owned(),
        }
    }

    /// Loads an identity file. A passphrase-protected file calls `passphrase`
    /// (once) to obtain its passphrase.
    pub fn load(
        path: &Path,
        passphrase: &mut dyn FnMut(&Path) -> Result<SecretString, CryptoError>,
    ) -> Result<Self, CryptoError> {
        let bytes = read_key_file(path)?;
        let text = if is_age(&bytes) {
            let secret = passphrase(path)?;
            let mut identity = age::scrypt::Identity::new(secret);
            identity.set_max_work_factor(SCRYPT_WORK_FACTOR + 2);
            match decrypt_with(&bytes, &[&identity as &dyn age::Identity]) {
                Ok(plain) => plain,
                Err(CryptoError::NotARecipient { .. }) | Err(CryptoError::Corrupt(_)) => {
                    return Err(CryptoError::WrongPassphrase(path.to_owned()));
                }
                Err(e) => return Err(e),
            }
        } else {
            bytes
        };
        let text = std::str::from_utf8(&text).map_err(|_| CryptoError::BadIdentity {
            path: path.to_owned(),
            reason: "not an age identity file (not UTF-8)".to_owned(),
        })?;
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key =
                age::x25519::Identity::from_str(line).map_err(|_| CryptoError::BadIdentity {
                    path: path.to_owned(),
                    reason: format!(
                        "line {}: not an age secret key (expected AGE-SECRET-KEY-1...)",
                        i + 1
                    ),
                })?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(CryptoError::BadIdentity {
                path: path.to_owned(),
                reason: "no AGE-SECRET-KEY line found".to_owned(),
            });
        }
        Ok(Self {
            keys,
            origin: path.to_owned(),
        })
    }

    /// Where the identities came from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Public keys of the identities.
    pub fn public_keys(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.to_public().to_string())
            .collect()
    }

    /// Decrypts an age file (binary or armored) in memory.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let ids: Vec<&dyn age::Identity> = self.keys.iter().map(|k| k as _).collect();
        decrypt_with(ciphertext, &ids).map_err(|e| match e {
            CryptoError::NotARecipient { stanzas, .. } => CryptoError::NotARecipient {
                stanzas,
                tried: self.public_keys().join(", "),
            },
            other => other,
        })
    }
}

/// True when `bytes` start like an age file (binary or armored).
pub fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Encrypts `plaintext` to every recipient; `armor` gives PEM-style text.
pub fn encrypt(
    plaintext: &[u8],
    recipients: &Recipients,
    armor: bool,
) -> Result<Vec<u8>, CryptoError> {
    let list: Vec<&dyn age::Recipient> = recipients.keys.iter().map(|k| k as _).collect();
    encrypt_to(&list, plaintext, armor)
}

fn encrypt_to(
    recipients: &[&dyn age::Recipient],
    plaintext: &[u8],
    armor: bool,
) -> Result<Vec<u8>, CryptoError> {
    let fail = |e: &dyn std::fmt::Display| CryptoError::Encrypt(e.to_string());
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().copied()).map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, format).map_err(|e| fail(&e))?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| fail(&e))?;
    writer.write_all(plaintext).map_err(|e| fail(&e))?;
    writer
        .finish()
        .and_then(|armored| armored.finish())
        .map_err(|e| fail(&e))?;
    Ok(out)
}

/// Counts the X25519 recipient stanzas in an age header, to say how many keys a
/// file is for when none of ours can open it. (age adds random "grease" stanzas
/// of made-up types, which are not recipients, so only X25519 ones count.)
fn count_stanzas(ciphertext: &[u8]) -> usize {
    let mut binary = Vec::new();
    let mut reader = age::armor::ArmoredReader::new(ciphertext);
    // The header is small; read a bounded prefix only.
    let _ = (&mut reader).take(64 * 1024).read_to_end(&mut binary);
    let header_end = binary
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(binary.len());
    binary[..header_end]
        .split(|b| *b == b'\n')
        .filter(|line| line.starts_with(b"-> X25519 "))
        .count()
}

fn decrypt_with(
    ciphertext: &[u8],
    identities: &[&dyn age::Identity],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if !is_age(ciphertext) {
        return Err(CryptoError::Corrupt(
            "not an age file (no age header)".to_owned(),
        ));
    }
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(ciphertext))
        .map_err(|e| decrypt_error(e, ciphertext))?;
    let mut reader = decryptor
        .decrypt(identities.iter().copied())
        .map_err(|e| decrypt_error(e, ciphertext))?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader.read_to_end(&mut plaintext).map_err(|e| {
        CryptoError::Corrupt(if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "the file is truncated".to_owned()
        } else {
            format!("payload does not authenticate ({e})")
        })
    })?;
    Ok(plaintext)
}

fn decrypt_error(e: age::DecryptError, ciphertext: &[u8]) -> CryptoError {
    match e {
        age::DecryptError::NoMatchingKeys => CryptoError::NotARecipient {
            stanzas: count_stanzas(ciphertext),
            tried: String::new(),
        },
        age::DecryptError::InvalidHeader => CryptoError::Corrupt("invalid age header".to_owned()),
        age::DecryptError::InvalidMac => {
            CryptoError::Corrupt("header MAC does not match".to_owned())
        }
        age::DecryptError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            CryptoError::Corrupt("the file is truncated".to_owned())
        }
        other => CryptoError::Corrupt(other.to_string()),
    }
}

/// Reads a passphrase as configured for this process: `GRABBAG_PASSPHRASE` (for
/// automation; it is visible to other processes of the same user) or a prompt
/// on the terminal.
pub fn passphrase_from_env_or_tty(path: &Path) -> Result<SecretString, CryptoError> {
    if let Ok(p) = std::env::var("GRABBAG_PASSPHRASE") {
        return Ok(SecretString::from(p));
    }
    rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
        .map(SecretString::from)
        .map_err(|e| CryptoError::NoPassphrase {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_binary_and_armored() {
        let id = Identity::generate();
        let ids = Identities::from_identity(
            Identity {
                key: id.key.clone(),
            },
            Path::new("mem"),
        );
        for armor in [false, true] {
            let ct = encrypt(b"secret runbook", &id.recipients(), armor).unwrap();
            assert!(is_age(&ct));
            assert_eq!(&ids.decrypt(&ct).unwrap()[..], b"secret runbook");
        }
    }

    #[test]
    fn wrong_identity_names_what_was_tried() {
        let sealed_for = Identity::generate();
        let other = Identity::generate();
        let public = other.public_key();
        let ids = Identities::from_identity(other, Path::new("mem"));
        let ct = encrypt(b"x", &sealed_for.recipients(), false).unwrap();
        let err = ids.decrypt(&ct).unwrap_err().to_string();
        assert!(err.contains("encrypted to 1 recipient(s)"), "{err}");
        assert!(err.contains(&public), "{err}");
    }

    #[test]
    fn tampering_is_detected() {
        let id = Identity::generate();
        let ids = Identities::from_identity(
            Identity {
                key: id.key.clone(),
            },
            Path::new("mem"),
        );
        let mut ct = encrypt(&[7u8; 1000], &id.recipients(), false).unwrap();
        let last = ct.len() - 10;
        ct[last] ^= 1;
        assert!(matches!(ids.decrypt(&ct), Err(CryptoError::Corrupt(_))));
        ct.truncate(ct.len() / 2);
        assert!(matches!(ids.decrypt(&ct), Err(CryptoError::Corrupt(_))));
    }

    #[test]
    fn recipients_file_reports_bad_line() {
        let id = Identity::generate();
        let text = format!("# team\n{}\nssh-ed25519 AAAA\n", id.public_key());
        let err = Recipients::parse(&text, Path::new("r"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("r:3: not an age recipient"), "{err}");
        assert!(err.contains("SSH keys are not accepted"), "{err}");
        assert!(matches!(
            Recipients::parse("# nobody\n", Path::new("r")),
            Err(CryptoError::NoRecipients(_))
        ));
    }
}
