//! Moving journal commits to and from a remote. A repository on a path (a
//! USB stick) goes through libgit2's local transport, which needs no `git`
//! program and no network code; anything else (an `ssh://`, `user@host:path`
//! or `file://` remote) goes through the system's `git`, since this build of
//! libgit2 has no network transports. Either way only refs under
//! `refs/grabbag/journals/` are read or written: never a branch.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{AutotagOption, FetchOptions, Oid, Repository};

use super::ExchangeError;

/// Where each sender's journals live on a remote: `refs/grabbag/journals/<sender>`.
pub const JOURNAL_REFS: &str = "refs/grabbag/journals/";

/// Where a fetch puts the remote's journal refs in the library, for the
/// length of one command.
const INCOMING_REFS: &str = "refs/grabbag/incoming/";

/// Where a push puts the commit it sends, for the length of one command.
const OUTGOING_REFS: &str = "refs/grabbag/outgoing/";

/// A remote to exchange journals with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// A repository folder (bare or not), e.g. on a USB stick.
    Path(PathBuf),
    /// A URL the system's `git` understands (`ssh://`, `user@host:path`, `file://`).
    Url(String),
}

impl Remote {
    /// Reads REMOTE as typed: a URL when it has a scheme (`x://`) or is
    /// scp-like (`host:path`, with the `:` before any `/`, and not a Windows
    /// drive letter such as `E:\`); a path otherwise.
    pub fn parse(text: &str) -> Self {
        let scp_like = match text.split_once(':') {
            Some((host, _)) => !host.is_empty() && !host.contains('/') && host.len() > 1,
            None => false,
        };
        if text.contains("://") || scp_like {
            Remote::Url(text.to_owned())
        } else {
            Remote::Path(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Remote::Path(path) => write!(f, "{}", path.display()),
            Remote::Url(url) => f.write_str(url),
        }
    }
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> ExchangeError {
    let context = context.into();
    move |error| ExchangeError::Git { context, error }
}

/// The refs under `prefix` in the library, with what each points at. Names
/// are raw bytes: they came from elsewhere.
fn refs_under(repo: &Repository, prefix: &str) -> Result<Vec<(Vec<u8>, Oid)>, ExchangeError> {
    let context = "listing the journal refs fetched";
    let mut out = Vec::new();
    for reference in repo.references().map_err(git(context))? {
        let reference = reference.map_err(git(context))?;
        if let (Some(rest), Some(target)) = (
            reference.name_bytes().strip_prefix(prefix.as_bytes()),
            reference.target(),
        ) {
            out.push((rest.to_vec(), target));
        }
    }
    Ok(out)
}

/// Deletes every ref under `prefix` (what an earlier, interrupted command left).
fn clear(repo: &Repository, prefix: &str) -> Result<(), ExchangeError> {
    let context = format!("clearing {prefix}");
    let mut found = Vec::new();
    for reference in repo.references().map_err(git(&context))? {
        let reference = reference.map_err(git(&context))?;
        if reference.name_bytes().starts_with(prefix.as_bytes()) {
            found.push(reference);
        }
    }
    for mut reference in found {
        reference.delete().map_err(git(&context))?;
    }
    Ok(())
}

/// Fetches every sender's journal ref from `remote`; returns each ref's name
/// below `refs/grabbag/journals/` (raw bytes, unchecked) and its target. The
/// objects stay in the library's object store; the temporary refs are gone
/// when this returns.
pub fn fetch(repo: &Repository, remote: &Remote) -> Result<Vec<(Vec<u8>, Oid)>, ExchangeError> {
    clear(repo, INCOMING_REFS)?;
    let refspec = format!("+{JOURNAL_REFS}*:{INCOMING_REFS}*");
    match remote {
        Remote::Path(path) => {
            let url = local_url(path)?;
            let context = format!("fetching journals from {}", path.display());
            let mut anonymous = repo.remote_anonymous(&url).map_err(git(&context))?;
            let mut options = FetchOptions::new();
            options
                .download_tags(AutotagOption::None)
                .update_fetchhead(false);
            anonymous
                .fetch(&[refspec.as_str()], Some(&mut options), None)
                .map_err(git(&context))?;
        }
        Remote::Url(url) => {
            run_git(
                repo,
                "fetch",
                url,
                &[
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--",
                    url,
                    &refspec,
                ],
            )?;
        }
    }
    let fetched = refs_under(repo, INCOMING_REFS)?;
    clear(repo, INCOMING_REFS)?;
    Ok(fetched)
}

/// Sends `commit` as `refs/grabbag/journals/<sender>` on `remote`, where
/// the ref must still be `expected` (what the fetch saw; `None`: no ref):
/// the remote never takes anything but a fast-forward of what was read.
pub fn push(
    repo: &Repository,
    remote: &Remote,
    sender: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), ExchangeError> {
    let target = format!("{JOURNAL_REFS}{sender}");
    match remote {
        Remote::Path(path) => push_local(repo, path, &target, commit, expected),
        Remote::Url(url) => {
            let outgoing = format!("{OUTGOING_REFS}{sender}");
            repo.reference(&outgoing, commit, true, "grabbag journal push")
                .map_err(git(format!("writing {outgoing}")))?;
            // No `+`: git refuses a push that is not a fast-forward.
            let refspec = format!("{outgoing}:{target}");
            let pushed = match run_git(repo, "push", url, &["push", "--quiet", "--", url, &refspec])
            {
                Err(ExchangeError::GitCommand { message, .. })
                    if message.contains("non-fast-forward") || message.contains("fetch first") =>
                {
                    Err(ExchangeError::PushRejected {
                        remote: url.clone(),
                        refname: target,
                        message,
                    })
                }
                other => other,
            };
            clear(repo, OUTGOING_REFS)?;
            pushed
        }
    }
}

/// Writes the commit's objects straight into the repository at `path`
/// (blobs, then the tree, then the commit, so no object ever points at a
/// missing one), then moves the ref only if it still is `expected`: a
/// compare-and-swap, so a push that raced another is refused. The remote's
/// handle syncs objects and refs to disk as the library's does, so a stick
/// pulled out as soon as the command returns holds the push whole.
fn push_local(
    repo: &Repository,
    path: &Path,
    target: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), ExchangeError> {
    local_url(path)?;
    let context = format!("writing journals to {}", path.display());
    let remote = Repository::open(path).map_err(git(&context))?;
    crate::library::lock::durable_as(&remote, repo.path())?;
    let source = repo.odb().map_err(git(&context))?;
    let dest = remote.odb().map_err(git(&context))?;
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git(&context))?;
    let objects = tree
        .iter()
        .map(|entry| entry.id())
        .chain([tree.id(), commit]);
    for id in objects {
        if !dest.exists(id) {
            let object = source.read(id).map_err(git(&context))?;
            dest.write(object.kind(), object.data())
                .map_err(git(&context))?;
        }
    }
    let message = "grabbag journal push";
    let moved = match expected {
        Some(old) => remote.reference_matching(target, commit, true, old, message),
        None => remote.reference(target, commit, false, message),
    };
    match moved {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::Modified | git2::ErrorCode::Exists
            ) =>
        {
            Err(ExchangeError::PushRejected {
                remote: path.display().to_string(),
                refname: target.to_owned(),
                message: "it changed since it was read (another push got there first)".to_owned(),
            })
        }
        Err(e) => Err(git(context)(e)),
    }
}

/// The URL libgit2's local transport takes for a repository folder, after
/// checking that the folder is there and is a repository.
fn local_url(path: &Path) -> Result<String, ExchangeError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(ExchangeError::RemoteMissing(path.to_owned()));
    }
    Repository::open(path).map_err(|error| ExchangeError::RemoteNotRepository {
        path: path.to_owned(),
        error,
    })?;
    let absolute = std::path::absolute(path).map_err(|error| ExchangeError::Io {
        path: path.to_owned(),
        error,
    })?;
    absolute
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| ExchangeError::Io {
            path: path.to_owned(),
            error: io::Error::new(io::ErrorKind::InvalidInput, "the path is not valid UTF-8"),
        })
}

/// Runs the system's `git` on the library for a URL remote. `--` keeps a
/// URL from being read as an option, and `ext::` (which runs a command) is
/// refused whatever the user's configuration says.
fn run_git(repo: &Repository, what: &str, url: &str, args: &[&str]) -> Result<(), ExchangeError> {
    let mut command = Command::new("git");
    // The library's own git folder, whatever the environment says: an
    // exported GIT_DIR (say, from inside a hook) must not redirect the
    // objects and refs elsewhere.
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    ] {
        command.env_remove(var);
    }
    let output = command
        .arg("--git-dir")
        .arg(repo.path())
        .args(["-c", "protocol.ext.allow=never"])
        .args(args)
        .output()
        .map_err(|error| ExchangeError::GitMissing {
            url: url.to_owned(),
            error,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(ExchangeError::GitCommand {
        what: what.to_owned(),
        url: url.to_owned(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_takes_fast_forwards_only_and_no_temporary_ref_stays() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Repository::init_bare(dir.path().join("stick.git")).unwrap_or_else(|e| panic!("{e}"));
        let repo = Repository::init(dir.path().join("lib")).unwrap_or_else(|e| panic!("{e}"));
        let who = git2::Signature::now("t", "t@example").unwrap_or_else(|e| panic!("{e}"));
        let commit = |message: &str, parents: &[Oid]| -> Oid {
            let tree = repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .and_then(|t| repo.find_tree(t))
                .unwrap_or_else(|e| panic!("{e}"));
            let parents: Vec<git2::Commit<'_>> = parents
                .iter()
                .map(|p| repo.find_commit(*p).unwrap_or_else(|e| panic!("{e}")))
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            repo.commit(None, &who, &who, message, &tree, &parents)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let stick = Remote::Path(dir.path().join("stick.git"));
        let first = commit("first", &[]);
        let second = commit("second", &[first]);
        let unrelated = commit("unrelated", &[]);
        push(&repo, &stick, "laptop-a", first, None).unwrap_or_else(|e| panic!("{e}"));
        push(&repo, &stick, "laptop-a", second, Some(first)).unwrap_or_else(|e| panic!("{e}"));
        // What a second writer under the same name, or a race, would send:
        // built on an older view of the ref, or on none.
        for expected in [Some(first), None] {
            match push(&repo, &stick, "laptop-a", unrelated, expected) {
                Err(ExchangeError::PushRejected { refname, .. }) => {
                    assert_eq!(refname, "refs/grabbag/journals/laptop-a");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        let fetched = fetch(&repo, &stick).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fetched, vec![(b"laptop-a".to_vec(), second)]);
        let left: Vec<String> = repo
            .references()
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|r| r.ok().and_then(|r| r.name().ok().map(str::to_owned)))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn remotes_are_read_as_typed() {
        let path = |p: &str| Remote::Path(PathBuf::from(p));
        let url = |u: &str| Remote::Url(u.to_owned());
        assert_eq!(Remote::parse("/media/usb/j.git"), path("/media/usb/j.git"));
        assert_eq!(Remote::parse("stick/j.git"), path("stick/j.git"));
        assert_eq!(Remote::parse("./a:b"), path("./a:b"));
        assert_eq!(Remote::parse("E:\\journals.git"), path("E:\\journals.git"));
        assert_eq!(Remote::parse("file:///tmp/j.git"), url("file:///tmp/j.git"));
        assert_eq!(Remote::parse("ssh://gold/j.git"), url("ssh://gold/j.git"));
        assert_eq!(Remote::parse("me@gold:j.git"), url("me@gold:j.git"));
    }
}
