//! The audit's grab-bag coverage: which runbooks serve each theme of the LGA
//! Cyber Incident Grab Bag at each stage of a response, when each was last
//! exercised, and which cells no runbook serves.
//!
//! Built from what each runbook declares (`themes`, `stages`: it serves every
//! theme it names at every stage it names) and the audit's reading of the
//! exercise runs. A council reads the empty cells as the plans it does not
//! have; a theme with no runbook at all is an audit finding. A library whose
//! runbooks declare nothing gets no finding, only a line saying so: it has
//! not mapped itself, which is not the same as having gaps.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::html::{self, escape};
use crate::runbook::{Runbook, Stage, Theme};

/// A runbook in a cell, with when an exercise run last opened it.
#[derive(Debug, Clone, Serialize)]
pub struct Serving {
    /// Runbook id.
    pub runbook: String,
    /// When an exercise run last opened it.
    pub last_exercised: Option<DateTime<Utc>>,
}

/// One theme at one stage.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The theme.
    pub theme: Theme,
    /// The stage.
    pub stage: Stage,
    /// The runbooks that serve it, by id.
    pub runbooks: Vec<Serving>,
}

/// The themes-by-stages table.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Every theme at every stage, themes in the grab bag's order.
    pub cells: Vec<Cell>,
    /// Cells no runbook serves, as `theme at stage`.
    pub empty_cells: Vec<String>,
    /// Themes no runbook serves at any stage.
    pub empty_themes: Vec<Theme>,
    /// Runbooks that declare no theme.
    pub undeclared: Vec<String>,
}

impl Coverage {
    /// The coverage of `runbooks`, each with when it was last exercised.
    pub fn of<'r>(
        runbooks: impl IntoIterator<Item = (&'r Runbook, Option<DateTime<Utc>>)>,
    ) -> Self {
        let mut cells: Vec<Cell> = Theme::ALL
            .iter()
            .flat_map(|&theme| {
                Stage::ALL.iter().map(move |&stage| Cell {
                    theme,
                    stage,
                    runbooks: Vec::new(),
                })
            })
            .collect();
        let mut undeclared = Vec::new();
        for (rb, last_exercised) in runbooks {
            if rb.themes.is_empty() {
                undeclared.push(rb.id.clone());
            }
            for cell in cells
                .iter_mut()
                .filter(|c| rb.themes.contains(&c.theme) && rb.stages.contains(&c.stage))
            {
                cell.runbooks.push(Serving {
                    runbook: rb.id.clone(),
                    last_exercised,
                });
            }
        }
        for cell in &mut cells {
            cell.runbooks.sort_by(|a, b| a.runbook.cmp(&b.runbook));
        }
        let empty_cells = cells
            .iter()
            .filter(|c| c.runbooks.is_empty())
            .map(|c| format!("{} at {}", c.theme.as_str(), c.stage.as_str()))
            .collect();
        let empty_themes = Theme::ALL
            .into_iter()
            .filter(|&t| cells.iter().all(|c| c.theme != t || c.runbooks.is_empty()))
            .collect();
        Self {
            cells,
            empty_cells,
            empty_themes,
            undeclared,
        }
    }

    /// True when no runbook declares any theme: nothing is mapped.
    fn unmapped(&self) -> bool {
        self.cells.iter().all(|c| c.runbooks.is_empty())
    }

    /// The audit's findings: themes no runbook serves (none when nothing is
    /// mapped at all).
    pub fn findings(&self) -> Vec<String> {
        if self.unmapped() || self.empty_themes.is_empty() {
            return Vec::new();
        }
        let names: Vec<&str> = self.empty_themes.iter().map(|t| t.as_str()).collect();
        vec![format!(
            "Grab-bag themes no runbook serves ({}): {}",
            names.len(),
            names.join(", ")
        )]
    }

    fn cell(&self, theme: Theme, stage: Stage) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.theme == theme && c.stage == stage)
    }

    /// One row per theme: its label, then per stage how many runbooks serve
    /// it and how many of those were exercised, or EMPTY.
    fn matrix_rows(&self) -> Vec<Vec<String>> {
        Theme::ALL
            .iter()
            .map(|&theme| {
                std::iter::once(theme.label().to_owned())
                    .chain(Stage::ALL.iter().map(|&stage| {
                        let runbooks = self.cell(theme, stage).map_or(&[][..], |c| &c.runbooks);
                        if runbooks.is_empty() {
                            return "EMPTY".to_owned();
                        }
                        let exercised = runbooks.iter().filter(|s| s.last_exercised.is_some());
                        format!("{} ({} exercised)", runbooks.len(), exercised.count())
                    }))
                    .collect()
            })
            .collect()
    }

    /// One row per cell: theme, stage, and its runbooks with the date each
    /// was last exercised (or "never").
    fn cell_rows(&self) -> Vec<Vec<String>> {
        self.cells
            .iter()
            .map(|c| {
                let runbooks = if c.runbooks.is_empty() {
                    "EMPTY: no runbook".to_owned()
                } else {
                    c.runbooks
                        .iter()
                        .map(|s| {
                            let when = s
                                .last_exercised
                                .map_or_else(|| "never".to_owned(), |t| t.date_naive().to_string());
                            format!("{} ({when})", s.runbook)
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                vec![
                    c.theme.label().to_owned(),
                    c.stage.label().to_owned(),
                    runbooks,
                ]
            })
            .collect()
    }

    fn matrix_head() -> Vec<&'static str> {
        std::iter::once("Theme \\ stage")
            .chain(Stage::ALL.iter().map(|s| s.label()))
            .collect()
    }

    /// Lines saying what is empty and what is not mapped.
    fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.unmapped() {
            out.push("No runbook declares grab-bag themes and stages: the library is not mapped (docs/runbook-format.md).".to_owned());
            return out;
        }
        if self.empty_cells.is_empty() {
            out.push("Every theme is served at every stage.".to_owned());
        } else {
            out.push(format!(
                "Empty cells ({}): {}",
                self.empty_cells.len(),
                self.empty_cells.join(", ")
            ));
        }
        if !self.undeclared.is_empty() {
            out.push(format!(
                "Runbooks that declare no theme ({}): {}",
                self.undeclared.len(),
                self.undeclared.join(", ")
            ));
        }
        out
    }

    /// The table for a terminal, appended to `o`.
    pub fn text(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "\nGRAB-BAG THEMES BY STAGE (LGA Cyber Incident Grab Bag: runbooks serving each cell, how many exercised)"
        );
        super::audit::text_table(o, &Self::matrix_head(), &self.matrix_rows());
        for line in self.summary() {
            let _ = writeln!(o, "  {}", crate::text::printable_line(&line));
        }
        if !self.unmapped() {
            let _ = writeln!(
                o,
                "\nGRAB-BAG CELLS (each runbook with the date an exercise run last opened it)"
            );
            super::audit::text_table(o, &["THEME", "STAGE", "RUNBOOKS"], &self.cell_rows());
        }
    }

    /// The table as HTML, appended to `o`: the matrix of counts fits across
    /// A4, the runbooks per cell follow as a list.
    pub fn html(&self, o: &mut String) {
        o.push_str("<h2>Grab-bag coverage: themes by stage</h2>\n<p class=\"muted\">LGA Cyber Incident Grab Bag: how many runbooks serve each theme at each stage, and how many of them were exercised.</p>\n");
        html::table(o, &Self::matrix_head(), &self.matrix_rows());
        for line in self.summary() {
            let class = if line.starts_with("Empty") {
                "bad"
            } else {
                "muted"
            };
            let _ = writeln!(o, "<p class=\"{class}\">{}</p>", escape(&line));
        }
        if !self.unmapped() {
            html::table(
                o,
                &["Theme", "Stage", "Runbooks (last exercised)"],
                &self.cell_rows(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(id: &str, themes: &[Theme], stages: &[Stage]) -> Runbook {
        let text = format!(
            "title = \"T\"\nkind = \"cyber\"\nseverity = \"low\"\nowner = \"O\"\nreviewed = 2026-01-01\nsummary = \"S\"\nthemes = [{}]\nstages = [{}]\n[[steps]]\nid = \"a\"\ntitle = \"A\"\n",
            themes
                .iter()
                .map(|t| format!("\"{}\"", t.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            stages
                .iter()
                .map(|s| format!("\"{}\"", s.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let checked = crate::runbook::check("t.toml", &text, id, today);
        checked
            .runbook
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    #[test]
    fn each_theme_is_served_at_each_stage_named_and_empty_cells_are_named() {
        let data = runbook(
            "cyber/data",
            &[Theme::ProtectingData, Theme::InformingAndSupporting],
            &[Stage::FirstSteps, Stage::BuildConfidence],
        );
        let dr = runbook(
            "cyber/dr",
            &[Theme::RestoringSystems],
            &[Stage::RecoveryPath],
        );
        let drilled = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        let cov = Coverage::of([(&data, drilled), (&dr, None)]);
        let cell = cov
            .cell(Theme::ProtectingData, Stage::BuildConfidence)
            .expect("cell");
        assert_eq!(cell.runbooks.len(), 1);
        assert_eq!(cell.runbooks[0].runbook, "cyber/data");
        assert!(
            cov.cell(Theme::ProtectingData, Stage::Identify)
                .expect("cell")
                .runbooks
                .is_empty()
        );
        assert_eq!(cov.empty_cells.len(), 28 - 5);
        assert!(
            cov.empty_cells
                .contains(&"protecting-data at identify".to_owned())
        );
        assert_eq!(
            cov.empty_themes,
            [
                Theme::HealthyTeaming,
                Theme::DeliveringServices,
                Theme::ElectedMembers,
                Theme::GovernmentAndLawEnforcement
            ]
        );
        assert_eq!(
            cov.findings(),
            [
                "Grab-bag themes no runbook serves (4): healthy-teaming, delivering-services, elected-members, government-and-law-enforcement"
            ]
        );
        let mut text = String::new();
        cov.text(&mut text);
        assert!(text.contains("Protecting data"), "{text}");
        assert!(text.contains("1 (1 exercised)"), "{text}");
        assert!(
            text.contains("cyber/data (2026-05-01)") && text.contains("cyber/dr (never)"),
            "{text}"
        );
        assert!(
            text.contains("Empty cells (23): healthy-teaming at identify"),
            "{text}"
        );
        let mut page = String::new();
        cov.html(&mut page);
        assert!(page.contains("<td>EMPTY</td>"), "{page}");
    }

    #[test]
    fn the_sample_library_serves_every_theme_and_declares_coverage_in_every_runbook() {
        let samples = crate::samples::parsed_runbooks();
        assert!(samples.len() >= 23, "{} samples", samples.len());
        let cov = Coverage::of(samples.iter().map(|r| (r, None)));
        assert!(cov.undeclared.is_empty(), "{:?}", cov.undeclared);
        assert!(cov.empty_themes.is_empty(), "{:?}", cov.empty_themes);
        assert!(cov.findings().is_empty(), "{:?}", cov.findings());
    }

    #[test]
    fn a_library_that_declares_nothing_is_unmapped_not_full_of_findings() {
        let rb = runbook("cyber/plain", &[], &[]);
        let cov = Coverage::of([(&rb, None)]);
        assert!(cov.findings().is_empty());
        assert_eq!(cov.undeclared, ["cyber/plain"]);
        let mut text = String::new();
        cov.text(&mut text);
        assert!(text.contains("the library is not mapped"), "{text}");
        assert!(!text.contains("GRAB-BAG CELLS"), "{text}");
    }
}
