//! Stable CACAO identifiers for exported objects.
//!
//! CACAO ids are `object-type--UUID`. An export must be reproducible (the same
//! runbook gives the same bytes), so ids are derived, not random: the UUID is
//! the first 16 bytes of SHA-256 over a fixed prefix, the object type and the
//! names that make the object unique (runbook id, step id...), separated by NUL
//! bytes, with the version nibble set to 4 and the RFC 4122 variant bits. CACAO
//! requires version-4 UUIDs for steps; these are formatted as such and are as
//! unpredictable as random ones to anyone without the names. The object type is
//! hashed too, so no two objects share a UUID part.

use sha2::{Digest, Sha256};

/// The id of an object of `object_type` named by `parts`.
pub(super) fn object_id(object_type: &str, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"grabbag cacao export v1");
    hash.update([0]);
    hash.update(object_type.as_bytes());
    for part in parts {
        hash.update([0]);
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{object_type}--{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_distinct_and_version_4() {
        let a = object_id("action", &["cyber/ransomware", "isolate"]);
        assert_eq!(a, object_id("action", &["cyber/ransomware", "isolate"]));
        assert_ne!(a, object_id("action", &["cyber/ransomware", "scope"]));
        // The type is part of the hash, so the UUID parts differ too.
        let e = object_id("end", &["cyber/ransomware", "isolate"]);
        assert_ne!(a.split_once("--").unwrap().1, e.split_once("--").unwrap().1);
        // Parts are separated: ("ab","c") is not ("a","bc").
        assert_ne!(object_id("x", &["ab", "c"]), object_id("x", &["a", "bc"]));
        let uuid = a.strip_prefix("action--").unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
    }
}
