//! The names journal exchange accepts: a sender's name (a ref and folder
//! name) and the names of the files a sender may send.
//!
//! Both come from other machines, so both are checked against a small
//! positive rule before they name anything here: no `/`, no `..`, no control
//! characters or escape sequences, nothing a file system or git treats
//! specially. A name that fails is refused, never repaired, so two senders
//! can never be mapped onto one folder.

/// The longest sender name.
pub const MAX_SENDER_LEN: usize = 63;

/// The longest file name a sender may send.
pub const MAX_FILE_NAME_LEN: usize = 200;

/// What a sent file is, by the end of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `NAME.jsonl`: the journal.
    Journal,
    /// `NAME.jsonl.sig`: its SSH signature.
    Signature,
    /// `NAME.jsonl.key`: its key, wrapped to later readers by a rekey.
    Key,
}

impl Kind {
    /// The ending after `.jsonl` of this kind's file name.
    pub fn suffix(self) -> &'static str {
        match self {
            Kind::Journal => "",
            Kind::Signature => ".sig",
            Kind::Key => ".key",
        }
    }
}

/// Windows device names, which no folder may be called there.
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks a sender name: 1 to 63 lowercase ASCII letters, digits, `-` and
/// `_`, starting with a letter or digit, and not a Windows device name.
/// Lowercase only, so two senders never share a folder on a file system that
/// ignores case. Returns why not.
pub fn check_sender(name: &str) -> Result<(), String> {
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if name.len() > MAX_SENDER_LEN {
        return Err(format!("longer than {MAX_SENDER_LEN} characters"));
    }
    if !first_ok
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(
            "a sender name is lowercase letters, digits, `-` and `_`, starting with a letter or digit"
                .to_owned(),
        );
    }
    if RESERVED.contains(&name) {
        return Err("a device name on Windows".to_owned());
    }
    Ok(())
}

/// A sender name made from a host name: the part before the first `.`,
/// lowercased, with anything outside the rule turned into `-`; `None` when
/// nothing usable is left.
pub fn sender_from_host(host: &str) -> Option<String> {
    let short = host.trim().split('.').next().unwrap_or_default();
    let mapped: String = short
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '-',
        })
        .collect();
    let name: String = mapped
        .trim_matches(|c| c == '-' || c == '_')
        .chars()
        .take(MAX_SENDER_LEN)
        .collect();
    check_sender(&name).ok().map(|()| name)
}

/// Checks the name of a sent file and says what it is: `STEM.jsonl`,
/// `STEM.jsonl.sig` or `STEM.jsonl.key`, where STEM is ASCII letters,
/// digits, `.`, `-` and `_`, starting with a letter or digit, with no `..`.
/// Returns the journal's name (`STEM.jsonl`) with the kind, or why not.
pub fn check_file(name: &[u8]) -> Result<(String, Kind), String> {
    let text = std::str::from_utf8(name).map_err(|_| "the name is not UTF-8".to_owned())?;
    if text.len() > MAX_FILE_NAME_LEN {
        return Err(format!("a name longer than {MAX_FILE_NAME_LEN} bytes"));
    }
    let (journal, kind) = if let Some(j) = text.strip_suffix(".sig") {
        (j, Kind::Signature)
    } else if let Some(j) = text.strip_suffix(".key") {
        (j, Kind::Key)
    } else {
        (text, Kind::Journal)
    };
    let Some(stem) = journal.strip_suffix(".jsonl") else {
        return Err("not a journal (only NAME.jsonl with its .sig and .key travel)".to_owned());
    };
    let first_ok = stem
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    let chars_ok = stem
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if !first_ok || !chars_ok || stem.contains("..") {
        return Err(
            "a journal's name is ASCII letters, digits, `.`, `-` and `_`, starting with a letter or digit"
                .to_owned(),
        );
    }
    Ok((journal.to_owned(), kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_names() {
        for good in ["laptop-12", "gold_1", "a", "9z"] {
            assert_eq!(check_sender(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Laptop",
            "a/b",
            "..",
            ".a",
            "-a",
            "a.b",
            "a b",
            "a\u{1b}[31m",
            "nul",
            "con",
            "é",
        ] {
            assert!(check_sender(bad).is_err(), "{bad:?}");
        }
        assert!(check_sender(&"a".repeat(64)).is_err());
        assert_eq!(
            sender_from_host("LAPTOP-12.council.local\n").as_deref(),
            Some("laptop-12")
        );
        assert_eq!(sender_from_host("my host!").as_deref(), Some("my-host"));
        assert_eq!(sender_from_host("..."), None);
        assert_eq!(sender_from_host("nul"), None);
    }

    #[test]
    fn file_names() {
        assert_eq!(
            check_file(b"2026-01-01-fire.jsonl"),
            Ok(("2026-01-01-fire.jsonl".to_owned(), Kind::Journal))
        );
        assert_eq!(
            check_file(b"a.jsonl.sig"),
            Ok(("a.jsonl".to_owned(), Kind::Signature))
        );
        assert_eq!(
            check_file(b"a.jsonl.key"),
            Ok(("a.jsonl".to_owned(), Kind::Key))
        );
        for bad in [
            &b"notes.md"[..],
            b".jsonl",
            b".hidden.jsonl",
            b"a..b.jsonl",
            b"../a.jsonl",
            b"a/b.jsonl",
            b"a\x1b[2J.jsonl",
            b"a\n.jsonl",
            b"a\xff.jsonl",
            b"a.jsonl.torn",
            b"a.jsonl.sig.sig",
        ] {
            assert!(check_file(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(check_file(format!("{}.jsonl", "a".repeat(200)).as_bytes()).is_err());
    }
}
