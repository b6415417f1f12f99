//! An SSH signing key: generated or read from an OpenSSH file, written like
//! ssh-keygen writes it, and signing exactly as `ssh-keygen -Y sign` does.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};
use zeroize::Zeroizing;

use super::{GIT_NAMESPACE, JOURNAL_NAMESPACE, SigningError};

/// Signs data in-process with an SSH private key, producing what
/// `ssh-keygen -Y sign` produces (and, through `library::trust::SignCommit`,
/// what `git commit -S` with `gpg.format=ssh` produces).
pub struct Signer {
    key: PrivateKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Signer")
            .field("public_key", &self.public_key_openssh())
            .finish()
    }
}

impl Signer {
    /// Generate a fresh Ed25519 key (for the demo and `grabbag keygen`).
    pub fn generate_ed25519(comment: &str) -> Result<Self, SigningError> {
        let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)?;
        key.set_comment(comment);
        Ok(Self { key })
    }

    /// Read an unencrypted OpenSSH private key file (`-----BEGIN OPENSSH
    /// PRIVATE KEY-----`); an encrypted key gives [`SigningError::EncryptedKey`].
    pub fn from_openssh_file(path: &Path) -> Result<Self, SigningError> {
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| SigningError::Io {
            path: path.to_path_buf(),
            source,
        })?);
        // One ECDSA key in 256 is stored with a short scalar, which ssh-key
        // refuses: read again widened (see `short_scalar`).
        let key = PrivateKey::from_openssh(text.as_bytes())
            .or_else(|e| {
                super::short_scalar::widen(&text)
                    .and_then(|wide| PrivateKey::from_openssh(wide.as_bytes()).ok())
                    .ok_or(e)
            })
            .map_err(|e| SigningError::PrivateKey {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if key.is_encrypted() {
            return Err(SigningError::EncryptedKey {
                path: path.to_path_buf(),
            });
        }
        let unsupported = |reason: String| SigningError::UnsupportedKey {
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
    pub fn write_openssh_files(&self, private_path: &Path) -> Result<(), SigningError> {
        let mut public_path = private_path.as_os_str().to_owned();
        public_path.push(".pub");
        let public_path = PathBuf::from(public_path);
        for path in [private_path, public_path.as_path()] {
            if path.exists() {
                return Err(SigningError::KeyFileExists {
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
    pub fn sign(&self, data: &[u8], namespace: &str) -> Result<String, SigningError> {
        let sig = self.key.sign(namespace, HashAlg::Sha512, data)?;
        let mut pem = sig.to_pem(LineEnding::LF)?;
        if !pem.ends_with('\n') {
            pem.push('\n');
        }
        Ok(pem)
    }
}

/// Create a file that must not exist yet; `private` makes it 0600 on Unix.
fn write_new_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), SigningError> {
    let io_err = |source| SigningError::Io {
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
    use crate::signing::AllowedSigners;

    #[test]
    fn sign_and_verify_in_process() {
        let signer = Signer::generate_ed25519("t").unwrap();
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
            Err(SigningError::BadSignature { .. })
        ));
        assert!(matches!(
            signers.verify(b"hello", &sig, GIT_NAMESPACE),
            Err(SigningError::WrongNamespace { .. })
        ));
        let other = signer.sign(b"hello", "file").unwrap();
        assert!(matches!(
            signers.verify(b"hello", &other, "file"),
            Err(SigningError::NamespaceNotAllowed { .. })
        ));
        assert!(matches!(
            signers.verify(b"hello", "garbage", "file"),
            Err(SigningError::MalformedSignature(_))
        ));
    }
}
