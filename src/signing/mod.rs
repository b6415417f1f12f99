//! Signing: OpenSSH `allowed_signers`, SSHSIG signatures and their
//! namespaces, shared by the library (signed commits) and journals (signed
//! files), so neither needs the other.
//!
//! Git's SSH signing (`gpg.format=ssh`) stores an armored SSHSIG (namespace
//! `git`) in a commit's `gpgsig` header; journals carry one (namespace
//! `grabbag-journal`) in `FILE.sig`. This module parses OpenSSH
//! `allowed_signers` files, verifies such signatures fully in-process
//! (responders' laptops may have neither `git` nor `ssh-keygen`), and signs
//! data the way `ssh-keygen -Y sign` does, so anything grabbag signs verifies
//! with the stock tools and vice versa. It knows no git and no files of a
//! library: which signers a library trusts is `library::signed_history`'s call.

mod allowed;
mod key;
mod short_scalar;

use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use allowed::AllowedSigners;
pub(crate) use allowed::digest_holds;
#[cfg(test)]
pub(crate) use allowed::signed_data;
pub use key::Signer;

/// The SSHSIG namespace git uses for commit and tag signatures.
pub const GIT_NAMESPACE: &str = "git";

/// The SSHSIG namespace grabbag uses for journal signatures.
pub const JOURNAL_NAMESPACE: &str = "grabbag-journal";

/// Errors from parsing allowed signers, verifying and making signatures.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
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
}
