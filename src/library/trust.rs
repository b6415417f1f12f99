//! Trust: SSH-signed commits checked against `.grabbag/allowed_signers`.
//! (Temporary stub: the real implementation lands from the `trust` branch.)
#![allow(missing_docs, unused_variables)]

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{0}")]
    Other(String),
}

pub struct AllowedSigners;
impl AllowedSigners {
    pub fn load(library_root: &Path) -> Result<Option<Self>, TrustError> {
        Ok(None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Trust {
    Trusted { signer: String },
    Untrusted { reason: String },
    NotChecked,
}

pub fn commit_trust(
    repo: &git2::Repository,
    commit: git2::Oid,
    signers: Option<&AllowedSigners>,
) -> Trust {
    Trust::NotChecked
}

pub struct CommitSigner;
impl CommitSigner {
    pub fn generate_ed25519(comment: &str) -> Result<Self, TrustError> {
        Ok(Self)
    }
    pub fn from_openssh_file(path: &Path) -> Result<Self, TrustError> {
        Ok(Self)
    }
    pub fn write_openssh_files(&self, private_path: &Path) -> Result<(), TrustError> {
        Ok(())
    }
    pub fn allowed_signers_line(&self, principal: &str) -> String {
        String::new()
    }
    pub fn commit(
        &self,
        repo: &git2::Repository,
        update_ref: &str,
        author: &git2::Signature,
        message: &str,
        tree: &git2::Tree,
        parents: &[&git2::Commit],
    ) -> Result<git2::Oid, TrustError> {
        repo.commit(Some(update_ref), author, author, message, tree, parents)
            .map_err(|e| TrustError::Other(e.to_string()))
    }
}
