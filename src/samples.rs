//! The sample runbooks and exercises, embedded at build time from `runbooks/`
//! and `exercises/` (see `build.rs`), with the exercises' recorded runs from
//! `exercises/runs/` (`SAMPLE_RUNS`, paths relative to it), so the demo needs
//! nothing but the binary.

include!(concat!(env!("OUT_DIR"), "/samples.rs"));

/// The sample runbooks, parsed as a library would load them (tests only; the
/// samples are linted by their own test, so any that fails is left out here).
#[cfg(test)]
pub(crate) fn parsed_runbooks() -> Vec<crate::runbook::Runbook> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 6).unwrap_or_default();
    SAMPLE_RUNBOOKS
        .iter()
        .filter_map(|(name, text)| {
            let id = name.trim_end_matches(".toml");
            crate::runbook::check(name, text, id, today).runbook
        })
        .collect()
}
