//! The LGA Cyber Incident Grab Bag's themes and stages, which a runbook says it
//! serves (`themes = [...]`, `stages = [...]`).
//!
//! The LGA's grab bag for local authorities (2025) organises the first weeks
//! of a serious cyber incident in seven themes over four stages. A council
//! maps its plans onto that grid to see what it has no plan for; the audit's
//! coverage table (`report::coverage`) is built from these declarations. The
//! words are fixed here, not free text, so that a typo is a lint error rather
//! than an empty cell nobody notices.

use serde::Serialize;

/// One of the grab bag's seven themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// The right people on the response, coordinated, at a sustainable pace.
    HealthyTeaming,
    /// Business continuity: services delivered while systems are down.
    DeliveringServices,
    /// Disaster recovery and restoration done safely (rebuild, not restore).
    RestoringSystems,
    /// Personal and sensitive data: containment, the ICO, telling people.
    ProtectingData,
    /// Briefing and involving councillors, and their decisions.
    ElectedMembers,
    /// The NCSC, the NCA and police, the ministry, the LRF.
    GovernmentAndLawEnforcement,
    /// Residents, businesses, partners and staff: communications and support.
    InformingAndSupporting,
}

/// One of the grab bag's four stages of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Recognising the incident for what it is.
    Identify,
    /// The first hours: containment, command, first reports.
    FirstSteps,
    /// Stabilising: services running another way, facts established.
    BuildConfidence,
    /// Designing and walking the path back to normal.
    RecoveryPath,
}

impl Theme {
    /// Every theme, in the grab bag's order.
    pub const ALL: [Theme; 7] = [
        Theme::HealthyTeaming,
        Theme::DeliveringServices,
        Theme::RestoringSystems,
        Theme::ProtectingData,
        Theme::ElectedMembers,
        Theme::GovernmentAndLawEnforcement,
        Theme::InformingAndSupporting,
    ];

    /// The word used in runbook files.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::HealthyTeaming => "healthy-teaming",
            Theme::DeliveringServices => "delivering-services",
            Theme::RestoringSystems => "restoring-systems",
            Theme::ProtectingData => "protecting-data",
            Theme::ElectedMembers => "elected-members",
            Theme::GovernmentAndLawEnforcement => "government-and-law-enforcement",
            Theme::InformingAndSupporting => "informing-and-supporting",
        }
    }

    /// The theme's name as the grab bag gives it.
    pub fn label(self) -> &'static str {
        match self {
            Theme::HealthyTeaming => "Healthy teaming",
            Theme::DeliveringServices => "Delivering services",
            Theme::RestoringSystems => "Safely restoring technology and systems",
            Theme::ProtectingData => "Protecting data",
            Theme::ElectedMembers => "Working with elected members",
            Theme::GovernmentAndLawEnforcement => {
                "Coordination with government and law enforcement"
            }
            Theme::InformingAndSupporting => "Informing and supporting",
        }
    }
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::Identify,
        Stage::FirstSteps,
        Stage::BuildConfidence,
        Stage::RecoveryPath,
    ];

    /// The word used in runbook files.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Identify => "identify",
            Stage::FirstSteps => "first-steps",
            Stage::BuildConfidence => "build-confidence",
            Stage::RecoveryPath => "recovery-path",
        }
    }

    /// The stage's name in words.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Identify => "Identify",
            Stage::FirstSteps => "First steps",
            Stage::BuildConfidence => "Build confidence",
            Stage::RecoveryPath => "Recovery path",
        }
    }
}

/// The (word, value) pairs lint accepts for themes.
pub(crate) fn theme_choices() -> Vec<(&'static str, Theme)> {
    Theme::ALL.iter().map(|t| (t.as_str(), *t)).collect()
}

/// The (word, value) pairs lint accepts for stages.
pub(crate) fn stage_choices() -> Vec<(&'static str, Stage)> {
    Stage::ALL.iter().map(|s| (s.as_str(), *s)).collect()
}
