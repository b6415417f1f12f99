//! Which runbook version was followed, against the library as it is now:
//! for each version a journal opened, the text of that version (from the
//! blob id the journal pinned) beside the file at the library's HEAD, as a
//! unified diff. Decrypted text stays in memory.

use serde::Serialize;
use similar::TextDiff;

use super::{Timeline, VersionRow, short_id, versions};
use crate::crypto::Identities;
use crate::library::Library;

/// How a version followed compares with HEAD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Comparison {
    /// The version followed is the one at HEAD.
    Same,
    /// It differs: the unified diff (followed → HEAD), one line per item.
    Changed(Vec<String>),
    /// No comparison possible, and why.
    Unavailable(String),
}

/// Compares every runbook version `timeline` followed ([`versions`], in its
/// order) with `library`'s HEAD: what [`Timeline::head`] holds.
pub fn against_head(
    timeline: &Timeline,
    library: &Library,
    identities: Option<&Identities>,
) -> Vec<Comparison> {
    versions(timeline)
        .iter()
        .map(|version| compare(version, library, identities))
        .collect()
}

fn compare(version: &VersionRow, library: &Library, identities: Option<&Identities>) -> Comparison {
    let Some(blob) = &version.blob else {
        return Comparison::Unavailable(
            "the journal recorded no blob id (the runbook was not committed)".to_owned(),
        );
    };
    let (file, _) = match library.read_runbook(&version.runbook, identities) {
        Ok(found) => found,
        Err(e) => return Comparison::Unavailable(format!("not in the library now: {e}")),
    };
    let head = match library.head_blob(&file.path) {
        Ok(Some(head)) => head,
        Ok(None) => return Comparison::Unavailable("not committed at HEAD".to_owned()),
        Err(e) => return Comparison::Unavailable(e.to_string()),
    };
    if &head == blob {
        return Comparison::Same;
    }
    let old = match library.blob_text(blob, identities) {
        Ok(text) => text,
        Err(e) => {
            return Comparison::Unavailable(format!(
                "the version followed (blob {blob}) cannot be read: {e}"
            ));
        }
    };
    let new = match library.blob_text(&head, identities) {
        Ok(text) => text,
        Err(e) => return Comparison::Unavailable(format!("HEAD cannot be read: {e}")),
    };
    let diff = TextDiff::from_lines(old.as_str(), new.as_str());
    let unified = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("followed ({})", short_id(blob)),
            &format!("HEAD ({})", short_id(&head)),
        )
        .to_string();
    Comparison::Changed(unified.lines().map(str::to_owned).collect())
}
