//! ECDSA private keys whose scalar OpenSSH stored short.
//!
//! OpenSSH writes an ECDSA private scalar as a minimal mpint, so when its top
//! byte is zero (one P-256 key in 256) the file holds 31 bytes, not 32. The
//! ssh-key crate (0.6) reads only the full width and refuses such a key with
//! "length invalid", so a responder whose key happens to have that shape could
//! not sign. [`widen`] re-encodes the file with the scalar left-padded to the
//! curve's width (the same number), which the crate reads; nothing else of
//! the file changes, and anything that is not such a key is left alone.

use base64::Engine as _;
use zeroize::Zeroizing;

const MAGIC: &[u8] = b"openssh-key-v1\0";
const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";

/// `pem` (an unencrypted OpenSSH private key file) with its ECDSA scalar
/// widened to the curve's size; `None` when it is not an unencrypted ECDSA
/// key with a short scalar, or cannot be read as one.
pub(super) fn widen(pem: &str) -> Option<Zeroizing<String>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != BEGIN)
        .skip(1)
        .take_while(|l| *l != END)
        .collect();
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?,
    );
    let mut outer = Reader(bytes.strip_prefix(MAGIC)?);
    let (cipher, kdf, kdf_options) = (outer.string()?, outer.string()?, outer.string()?);
    if cipher != b"none" || kdf != b"none" || outer.u32()? != 1 {
        return None;
    }
    let public = outer.string()?;
    let private = outer.string()?;
    if !outer.0.is_empty() {
        return None;
    }
    let mut inner = Reader(private);
    let (check1, check2) = (inner.u32()?, inner.u32()?);
    let (kind, curve, point, scalar, comment) = (
        inner.string()?,
        inner.string()?,
        inner.string()?,
        inner.string()?,
        inner.string()?,
    );
    let width = match curve {
        b"nistp256" => 32,
        b"nistp384" => 48,
        b"nistp521" => 66,
        _ => return None,
    };
    if !kind.starts_with(b"ecdsa-sha2-") || scalar.is_empty() || scalar.len() >= width {
        return None;
    }
    let mut widened = Zeroizing::new(vec![0u8; width - scalar.len()]);
    widened.extend_from_slice(scalar);
    let mut section = Zeroizing::new(Vec::new());
    section.extend_from_slice(&check1.to_be_bytes());
    section.extend_from_slice(&check2.to_be_bytes());
    for field in [kind, curve, point, &widened[..], comment] {
        put_string(&mut section, field);
    }
    // Padded to the cipher's block (8 for "none") with 1, 2, 3...
    let mut pad = 1u8;
    while section.len() % 8 != 0 {
        section.push(pad);
        pad += 1;
    }
    let mut file = Zeroizing::new(MAGIC.to_vec());
    for field in [cipher, kdf, kdf_options] {
        put_string(&mut file, field);
    }
    file.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut file, public);
    put_string(&mut file, &section);
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&file[..]));
    let mut out = Zeroizing::new(format!("{BEGIN}\n"));
    for line in encoded.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(line).ok()?);
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    Some(out)
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Length-prefixed fields, read from the front.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u32()?).ok()?;
        let (field, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway key made by `ssh-keygen -t ecdsa -b 256` for this test
    /// only (its scalar's top byte is zero, so the file stores 31 bytes).
    const SHORT: &str = include_str!("../../tests/data/keys/ecdsa-p256-short-scalar.test-key");

    #[test]
    fn a_key_with_a_short_scalar_signs_and_verifies() {
        assert!(
            ssh_key::PrivateKey::from_openssh(SHORT).is_err(),
            "ssh-key reads such keys now: this module can go"
        );
        let widened = widen(SHORT).expect("widened");
        let key = ssh_key::PrivateKey::from_openssh(widened.as_bytes()).expect("read once widened");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, SHORT).unwrap();
        let signer = super::super::Signer::from_openssh_file(&path).expect("signer");
        let public = signer.public_key_openssh();
        assert_eq!(public, key.public_key().to_openssh().unwrap());
        let sig = signer.sign(b"journal bytes\n", "grabbag-journal").unwrap();
        let allowed = super::super::AllowedSigners::parse(
            &format!("sam@council.example {public}\n"),
            std::path::Path::new("allowed_signers"),
        )
        .unwrap();
        assert_eq!(
            allowed
                .verify(b"journal bytes\n", &sig, "grabbag-journal")
                .unwrap(),
            "sam@council.example"
        );
    }

    #[test]
    fn anything_else_is_left_alone() {
        assert!(widen("").is_none());
        assert!(
            widen("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
                .is_none()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ed");
        super::super::Signer::generate_ed25519("t")
            .unwrap()
            .write_openssh_files(&path)
            .unwrap();
        assert!(widen(&std::fs::read_to_string(&path).unwrap()).is_none());
        // A full-width ECDSA key needs nothing.
        let widened = widen(SHORT).unwrap();
        assert!(widen(&widened).is_none());
    }
}
