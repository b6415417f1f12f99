//! age encryption in memory: identities, recipients files, encrypt and decrypt.
//!
//! Everything here works on byte buffers; plaintext never goes to disk from this
//! module. Decrypted bytes come back in [`Zeroizing`] buffers so they are wiped
//! when dropped. Identities are age X25519 keys, stored either as a plain age
//! identity file (what `age-keygen` writes) or wrapped in a passphrase-encrypted
//! age file (scrypt, what `age -p` writes), so both stay usable by any age tool.
//!
//! Recipients are X25519 keys (what `age-keygen` makes) or keys held by an age
//! plugin (`age1NAME1...`, e.g. a YubiKey through `age-plugin-yubikey`), and an
//! identity file may hold plugin identities (`AGE-PLUGIN-NAME-1...`) beside
//! X25519 keys: see [`plugin`] for how their prompts, failures and time-outs
//! are handled. SSH-key recipients are refused: they would tie a council's
//! runbooks to keys that are often on the lost laptop itself.

pub mod plugin;

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
    /// The program of a plugin recipient or identity is not installed.
    #[error("{binary} not found on PATH; install it or use another identity")]
    PluginMissing {
        /// `age-plugin-NAME`.
        binary: String,
    },
    /// The program of a plugin recipient is not installed: nothing can be
    /// encrypted to the library's recipients without it.
    #[error(
        "{binary} not found on PATH: it is needed to encrypt to the library's age1{name}1... recipient(s); install it on every machine that seals runbooks or starts journals"
    )]
    PluginMissingToEncrypt {
        /// `age-plugin-NAME`.
        binary: String,
        /// `NAME`.
        name: String,
    },
    /// A plugin answered with an error (token absent, wrong PIN, refused).
    #[error("{binary}: {reason}")]
    PluginFailed {
        /// `age-plugin-NAME` (or several, comma-separated).
        binary: String,
        /// What the plugin said.
        reason: String,
    },
    /// A plugin stopped before it answered.
    #[error(
        "{binary} stopped without answering (it crashed or was killed); AGEDEBUG=plugin shows what it printed"
    )]
    PluginDied {
        /// `age-plugin-NAME`.
        binary: String,
    },
    /// A plugin stayed silent longer than the time-out.
    #[error(
        "{binary} did not answer within {seconds} s: it may be hung, or waiting for a token that is not plugged in"
    )]
    PluginTimeout {
        /// `age-plugin-NAME`.
        binary: String,
        /// The time-out.
        seconds: f64,
    },
    /// A plugin failed earlier in this process and is not run again.
    #[error("{reason} (grabbag does not run {binary} again until it is restarted)")]
    PluginFailedEarlier {
        /// `age-plugin-NAME`.
        binary: String,
        /// The first failure.
        reason: String,
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
#[derive(Clone)]
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
    plugins: Vec<age::plugin::Recipient>,
    /// Every recipient as written, in file order.
    listed: Vec<String>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients")
            .field("keys", &self.listed)
            .finish()
    }
}

impl Recipients {
    /// Parses a recipients file: one `age1...` key per line; `#` comments and
    /// blank lines allowed, as in age's `-R` files.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        let mut plugins = Vec::new();
        let mut listed = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            listed.push(line.to_owned());
            if let Ok(plugin) = age::plugin::Recipient::from_str(line) {
                plugins.push(plugin);
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
        if listed.is_empty() {
            return Err(CryptoError::NoRecipients(origin.to_owned()));
        }
        Ok(Self {
            keys,
            plugins,
            listed,
        })
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

    /// The public keys, as `age1...` strings, plugin ones included.
    pub fn keys(&self) -> Vec<String> {
        self.listed.clone()
    }

    /// True when `public_key` is one of the recipients.
    pub fn contains(&self, public_key: &str) -> bool {
        self.listed.iter().any(|k| k == public_key)
    }

    /// The names of the plugins that hold some of the recipients.
    fn plugin_names(&self) -> std::collections::BTreeSet<&str> {
        self.plugins.iter().map(|r| r.plugin()).collect()
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
            plugins: Vec::new(),
            listed: vec![self.public_key()],
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
    plugins: Vec<age::plugin::Identity>,
    /// Recipients of the plugin identities, from the file's comments
    /// (`# recipient: age1...`, as plugins write them): a plugin identity
    /// need not say its public key.
    plugin_recipients: Vec<String>,
    origin: PathBuf,
}

impl Identities {
    /// Wraps identities held in memory (tests, the demo).
    pub fn from_identity(identity: Identity, origin: &Path) -> Self {
        Self {
            keys: vec![identity.key],
            plugins: Vec::new(),
            plugin_recipients: Vec::new(),
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
            match decrypt_with(&bytes, &[&identity as &dyn age::Identity], "") {
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
        let mut plugins = Vec::new();
        let mut plugin_recipients = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                plugin_recipients.extend(recipient_comment(comment));
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if let Ok(plugin) = age::plugin::Identity::from_str(line) {
                plugins.push(plugin);
                continue;
            }
            let key =
                age::x25519::Identity::from_str(line).map_err(|_| CryptoError::BadIdentity {
                    path: path.to_owned(),
                    reason: format!(
                        "line {}: not an age secret key (expected AGE-SECRET-KEY-1... or AGE-PLUGIN-NAME-1...)",
                        i + 1
                    ),
                })?;
            keys.push(key);
        }
        if keys.is_empty() && plugins.is_empty() {
            return Err(CryptoError::BadIdentity {
                path: path.to_owned(),
                reason: "no AGE-SECRET-KEY or AGE-PLUGIN line found".to_owned(),
            });
        }
        if plugins.is_empty() {
            plugin_recipients.clear();
        }
        Ok(Self {
            keys,
            plugins,
            plugin_recipients,
            origin: path.to_owned(),
        })
    }

    /// Where the identities came from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Public keys of the identities: X25519 keys, and the recipients the
    /// file's comments give for its plugin identities.
    pub fn public_keys(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.to_public().to_string())
            .chain(self.plugin_recipients.iter().cloned())
            .collect()
    }

    /// Decrypts an age file (binary or armored) in memory. X25519 keys are
    /// tried first, so a file one of them opens never starts a plugin.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let ids: Vec<&dyn age::Identity> = self.keys.iter().map(|k| k as _).collect();
        let by_key = decrypt_with(ciphertext, &ids, "");
        let result = match by_key {
            Err(CryptoError::NotARecipient { .. }) if !self.plugins.is_empty() => {
                self.decrypt_with_plugins(ciphertext)
            }
            other => other,
        };
        result.map_err(|e| match e {
            CryptoError::NotARecipient { stanzas, .. } => {
                let mut tried = self.public_keys();
                if self.plugin_recipients.is_empty() {
                    tried.extend(
                        self.plugins
                            .iter()
                            .map(|p| format!("an {} identity", plugin::binary_name(p.plugin()))),
                    );
                }
                CryptoError::NotARecipient {
                    stanzas,
                    tried: tried.join(", "),
                }
            }
            other => other,
        })
    }

    /// Decrypts with the plugin identities, on a worker thread with the
    /// plugin time-out.
    fn decrypt_with_plugins(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let names: std::collections::BTreeSet<&str> =
            self.plugins.iter().map(|p| p.plugin()).collect();
        let operation = plugin::Operation::new(names.iter().copied());
        let mut plugins = Vec::new();
        for name in &names {
            let callbacks = operation.callbacks(name);
            plugins.push(
                age::plugin::IdentityPluginV1::new(name, &self.plugins, callbacks)
                    .map_err(resolve_error)?,
            );
        }
        let binaries = operation.binaries().to_owned();
        let ciphertext = ciphertext.to_vec();
        operation.run(move || {
            let ids: Vec<&dyn age::Identity> = plugins.iter().map(|p| p as _).collect();
            decrypt_with(&ciphertext, &ids, &binaries)
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
    let names = recipients.plugin_names();
    if names.is_empty() {
        let list: Vec<&dyn age::Recipient> = recipients.keys.iter().map(|k| k as _).collect();
        return encrypt_to(&list, plaintext, armor);
    }
    // The file key is wrapped (plugins run) on a worker thread with the
    // time-out; the plaintext never leaves this one.
    let operation = plugin::Operation::new(names.iter().copied());
    let mut plugins = Vec::new();
    for name in &names {
        let callbacks = operation.callbacks(name);
        plugins.push(
            age::plugin::RecipientPluginV1::new(name, &recipients.plugins, &[], callbacks)
                .map_err(|e| match resolve_error(e) {
                    CryptoError::PluginMissing { binary } => CryptoError::PluginMissingToEncrypt {
                        binary,
                        name: (*name).to_owned(),
                    },
                    other => other,
                })?,
        );
    }
    let keys = recipients.keys.clone();
    let binaries = operation.binaries().to_owned();
    let encryptor = operation.run(move || {
        let list: Vec<&dyn age::Recipient> = keys
            .iter()
            .map(|k| k as &dyn age::Recipient)
            .chain(plugins.iter().map(|p| p as &dyn age::Recipient))
            .collect();
        age::Encryptor::with_recipients(list.into_iter()).map_err(|e| encrypt_error(e, &binaries))
    })?;
    write_encrypted(encryptor, plaintext, armor)
}

fn encrypt_to(
    recipients: &[&dyn age::Recipient],
    plaintext: &[u8],
    armor: bool,
) -> Result<Vec<u8>, CryptoError> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().copied())
        .map_err(|e| encrypt_error(e, ""))?;
    write_encrypted(encryptor, plaintext, armor)
}

/// Streams `plaintext` through an encryptor whose file key is wrapped.
fn write_encrypted(
    encryptor: age::Encryptor,
    plaintext: &[u8],
    armor: bool,
) -> Result<Vec<u8>, CryptoError> {
    let fail = |e: &dyn std::fmt::Display| CryptoError::Encrypt(e.to_string());
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

/// Counts the recipient stanzas in an age header, to say how many keys a file
/// is for when none of ours can open it. (age adds random "grease" stanzas of
/// made-up types, `...-grease`, which are not recipients.)
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
        .filter_map(|line| line.strip_prefix(b"-> "))
        .filter(|stanza| {
            let tag = stanza.split(|b| *b == b' ').next().unwrap_or_default();
            !tag.ends_with(b"-grease")
        })
        .count()
}

/// Decrypts with `identities`; `plugins` names the plugin programs among
/// them, for errors.
fn decrypt_with(
    ciphertext: &[u8],
    identities: &[&dyn age::Identity],
    plugins: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if !is_age(ciphertext) {
        return Err(CryptoError::Corrupt(
            "not an age file (no age header)".to_owned(),
        ));
    }
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(ciphertext))
        .map_err(|e| decrypt_error(e, ciphertext, plugins))?;
    let mut reader = decryptor
        .decrypt(identities.iter().copied())
        .map_err(|e| decrypt_error(e, ciphertext, plugins))?;
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

fn decrypt_error(e: age::DecryptError, ciphertext: &[u8], plugins: &str) -> CryptoError {
    match e {
        age::DecryptError::Plugin(errors) => plugin_failed(&errors, plugins),
        age::DecryptError::PluginResolve(e) => resolve_error(e),
        age::DecryptError::Io(e) if !plugins.is_empty() && plugin_died(&e) => {
            CryptoError::PluginDied {
                binary: plugins.to_owned(),
            }
        }
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

fn encrypt_error(e: age::EncryptError, plugins: &str) -> CryptoError {
    match e {
        age::EncryptError::Plugin(errors) => plugin_failed(&errors, plugins),
        age::EncryptError::PluginResolve(e) => resolve_error(e),
        age::EncryptError::Io(e) if !plugins.is_empty() && plugin_died(&e) => {
            CryptoError::PluginDied {
                binary: plugins.to_owned(),
            }
        }
        other => CryptoError::Encrypt(other.to_string()),
    }
}

fn plugin_failed<E: std::fmt::Display>(errors: &[E], plugins: &str) -> CryptoError {
    CryptoError::PluginFailed {
        binary: plugins.to_owned(),
        reason: plugin::describe(errors, plugins),
    }
}

/// Whether an I/O error on the plugin's pipes means it is gone: age reports
/// an early end of its output as `ConnectionAborted`; writing to a plugin
/// that already exited fails with a broken pipe.
fn plugin_died(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe
    )
}

fn resolve_error(e: age::plugin::ResolveError) -> CryptoError {
    match e {
        age::plugin::ResolveError::MissingPlugin { binary_name } => CryptoError::PluginMissing {
            binary: binary_name,
        },
        other => CryptoError::Encrypt(other.to_string()),
    }
}

/// The recipient a comment of an identity file gives, as plugins write it
/// (`# recipient: age1...`, age-plugin-yubikey's `#    Recipient: age1...`).
fn recipient_comment(comment: &str) -> Option<String> {
    let (label, value) = comment.split_once(':')?;
    let value = value.trim();
    (label.trim().eq_ignore_ascii_case("recipient")
        && age::plugin::Recipient::from_str(value).is_ok())
    .then(|| value.to_owned())
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

    /// A plugin recipient and identity, as age-plugin-gbtest makes them
    /// (the recipient's payload is an X25519 key, the identity's a path).
    const PLUGIN_RECIPIENT: &str = "age1gbtest1v9nk2vtcvv6nxannx4kngwrexveh5umtdf3k5et3dfjkgvmjvverywp4xv6nxmrddf5rymrrdfmxz6r5vsmrguttw96kw6mj0fnqdttkkn";
    const PLUGIN_IDENTITY: &str = "AGE-PLUGIN-GBTEST-19A6X6UP0VA38GTM5DA4S5AJ5T7";

    #[test]
    fn recipients_mix_x25519_and_plugin_keys_in_file_order() {
        let id = Identity::generate();
        let text = format!("# token\n{PLUGIN_RECIPIENT}\n{}\n", id.public_key());
        let recipients = Recipients::parse(&text, Path::new("r")).unwrap();
        assert_eq!(
            recipients.keys(),
            vec![PLUGIN_RECIPIENT.to_owned(), id.public_key()]
        );
        assert!(recipients.contains(PLUGIN_RECIPIENT));
        assert_eq!(
            recipients.plugin_names().into_iter().collect::<Vec<_>>(),
            ["gbtest"]
        );
        // A plugin recipient alone is a recipient list.
        assert!(Recipients::parse(PLUGIN_RECIPIENT, Path::new("r")).is_ok());
    }

    #[test]
    fn identity_file_with_a_plugin_identity_gives_its_recipient_from_the_comment() {
        let dir = tempfile::tempdir().unwrap();
        let x = Identity::generate();
        let path = dir.path().join("ids.txt");
        std::fs::write(
            &path,
            format!(
                "#    Recipient: {PLUGIN_RECIPIENT}\n{PLUGIN_IDENTITY}\n{}\n",
                x.key.to_string().expose_secret()
            ),
        )
        .unwrap();
        let ids = Identities::load(&path, &mut |_| unreachable!("not protected")).unwrap();
        assert_eq!(
            ids.public_keys(),
            vec![x.public_key(), PLUGIN_RECIPIENT.to_owned()]
        );
        // A file for the X25519 key opens without starting any plugin (none
        // is installed here).
        let ct = encrypt(b"x25519 first", &x.recipients(), false).unwrap();
        assert_eq!(&ids.decrypt(&ct).unwrap()[..], b"x25519 first");
        // One for nobody here tries the plugin, which is not installed.
        let other = encrypt(b"x", &Identity::generate().recipients(), false).unwrap();
        let err = ids.decrypt(&other).unwrap_err();
        assert!(
            matches!(&err, CryptoError::PluginMissing { binary } if binary == "age-plugin-gbtest"),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "age-plugin-gbtest not found on PATH; install it or use another identity"
        );
    }

    #[test]
    fn plugin_stanzas_count_as_recipients_and_grease_does_not() {
        let header = b"age-encryption.org/v1\n-> X25519 abc\nbody\n-> gbtest def\nbody\n-> 8(-grease x\n\n--- mac\npayload";
        assert_eq!(count_stanzas(header), 2);
    }
}
