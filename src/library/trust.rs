//! Trust: SSH-signed commits checked against allowed signers.
//!
//! Git's SSH signing (`gpg.format=ssh`) stores an armored SSHSIG (namespace
//! `git`) in the commit's `gpgsig` header, computed over the commit object
//! without that header. This module splits commits the way git does, judges
//! one commit against a set of signers ([`commit_trust`]), and makes signed
//! commits ([`SignCommit`]) byte for byte as `git commit -S` does. Which
//! signers apply to which commit is [`super::signed_history`]'s call; the
//! signatures themselves are [`crate::signing`]'s.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};

use crate::signing::{AllowedSigners, GIT_NAMESPACE, Signer, SigningError};

/// Where a library keeps its allowed signers, relative to the library root.
pub const ALLOWED_SIGNERS_PATH: &str = ".grabbag/allowed_signers";

/// The commit header that carries the signature in a SHA-1 repository.
const SIGNATURE_HEADER: &str = "gpgsig";

/// Errors from judging and making signed commits.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Allowed signers, a signature or a key failed.
    #[error(transparent)]
    Signing(#[from] SigningError),
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

/// The working tree's `<library_root>/.grabbag/allowed_signers`, parsed;
/// `Ok(None)` when absent. Trust never comes from this file (a sync writes
/// it): it is read only to bootstrap an empty library, see
/// [`super::signed_history`].
pub fn working_tree_signers(library_root: &Path) -> Result<Option<AllowedSigners>, TrustError> {
    match working_tree_text(library_root)? {
        Some((text, path)) => Ok(Some(AllowedSigners::parse(&text, &path)?)),
        None => Ok(None),
    }
}

/// The text of the working tree's allowed_signers and its path, if any.
pub fn working_tree_text(library_root: &Path) -> Result<Option<(String, PathBuf)>, TrustError> {
    let path = super::discover::resolve_inside(library_root, Path::new(ALLOWED_SIGNERS_PATH))
        .map_err(|why| SigningError::Io {
            path: library_root.join(ALLOWED_SIGNERS_PATH),
            source: io::Error::other(why),
        })?;
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some((text, path))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SigningError::Io { path, source }.into()),
    }
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

/// Signed commits: [`Signer`] makes them as `git commit -S` does.
pub trait SignCommit {
    /// Create a signed commit and move `update_ref` (e.g. `"HEAD"`, which
    /// moves the branch HEAD points at, even an unborn one) to it.
    ///
    /// The committer is the author. The message gets a final newline, as git
    /// gives it. The reference must still point at the first parent (or not
    /// exist, for a first commit), otherwise [`TrustError::RefMoved`].
    fn commit(
        &self,
        repo: &git2::Repository,
        update_ref: &str,
        author: &git2::Signature<'_>,
        message: &str,
        tree: &git2::Tree<'_>,
        parents: &[&git2::Commit<'_>],
    ) -> Result<git2::Oid, TrustError>;
}

impl SignCommit for Signer {
    fn commit(
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

#[cfg(test)]
mod tests {
    use super::*;

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
