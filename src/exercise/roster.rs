//! Who may sign in as what: the roles (`[[participants]]`) and teams
//! (`teams`) an exercise declares.
//!
//! When an exercise declares roles, a sign-in must name one of them, and
//! when it declares teams, a sign-in's team (still optional) must be one of
//! them; an inject aimed at someone (`to`) must name a declared team or role
//! once either list exists. A name is matched without case or surrounding
//! space and journaled as the exercise spells it, so the report groups
//! "team a" with "Team A". An exercise that declares neither keeps free
//! text. Capacities (player, facilitator, observer) are the core's
//! (`response::CAPACITIES`), not the roster's.
//!
//! The core's `decide` sees only the journal, not the exercise definition,
//! so the front ends that hold the definition (the TUI's exercise screen,
//! `grabbag act`) ask here before they build the command, and both refuse
//! with the same words and the list to choose from.

use thiserror::Error;

use super::Exercise;

/// A name the exercise does not declare.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{given:?} is not a {what} of this exercise: choose one of {}",
    quoted(known)
)]
pub struct Unknown {
    /// What was asked for: `role`, `team`, `team or role`.
    pub what: &'static str,
    /// What was typed (trimmed).
    pub given: String,
    /// What the exercise declares.
    pub known: Vec<String>,
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Exercise {
    /// The roles of `[[participants]]`, each once, in file order.
    pub fn roles(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.participants {
            if !out.contains(&p.role) {
                out.push(p.role.clone());
            }
        }
        out
    }

    /// The role a sign-in names, as the exercise spells it; `typed` as it
    /// is when the exercise declares no role (or nothing was typed: the
    /// core says a role is needed).
    pub fn sign_in_role(&self, typed: &str) -> Result<String, Unknown> {
        Ok(pick("role", typed, &self.roles())?.unwrap_or_else(|| typed.trim().to_owned()))
    }

    /// The team a sign-in names, as the exercise spells it; `None` when
    /// none was given (a team stays optional).
    pub fn sign_in_team(&self, typed: Option<&str>) -> Result<Option<String>, Unknown> {
        match typed.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(team) => Ok(Some(
                pick("team", team, &self.teams)?.unwrap_or_else(|| team.to_owned()),
            )),
        }
    }

    /// Whom an inject is aimed at: a declared team or role, as the exercise
    /// spells it; `None` when aimed at everyone.
    pub fn audience(&self, to: Option<&str>) -> Result<Option<String>, Unknown> {
        let Some(to) = to.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        Ok(Some(
            pick("team or role", to, &self.audiences())?.unwrap_or_else(|| to.to_owned()),
        ))
    }

    /// Whom an inject may be aimed at: the teams, then the roles, each once.
    pub fn audiences(&self) -> Vec<String> {
        let mut out = self.teams.clone();
        for role in self.roles() {
            if !out.contains(&role) {
                out.push(role);
            }
        }
        out
    }
}

/// `typed` as `known` spells it; `Ok(None)` when nothing is declared (free
/// text) or nothing was typed.
fn pick(what: &'static str, typed: &str, known: &[String]) -> Result<Option<String>, Unknown> {
    let typed = typed.trim();
    if known.is_empty() || typed.is_empty() {
        return Ok(None);
    }
    known
        .iter()
        .find(|k| k.trim().eq_ignore_ascii_case(typed))
        .map(|k| Some(k.clone()))
        .ok_or_else(|| Unknown {
            what,
            given: typed.to_owned(),
            known: known.to_vec(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::{Participant, ParticipantKind, testkit};

    fn declared() -> Exercise {
        let mut ex = testkit::exercise();
        ex.participants = vec![
            Participant {
                role: "Incident Lead (Silver)".to_owned(),
                kind: ParticipantKind::Player,
                who: None,
            },
            Participant {
                role: "Observer".to_owned(),
                kind: ParticipantKind::Observer,
                who: None,
            },
        ];
        ex.teams = vec!["Team A".to_owned(), "Team B".to_owned()];
        ex
    }

    #[test]
    fn a_declared_role_or_team_is_taken_as_the_exercise_spells_it() {
        let ex = declared();
        assert_eq!(
            ex.sign_in_role(" incident lead (silver) ").as_deref(),
            Ok("Incident Lead (Silver)")
        );
        assert_eq!(
            ex.sign_in_team(Some("team b")),
            Ok(Some("Team B".to_owned()))
        );
        assert_eq!(ex.sign_in_team(Some("  ")), Ok(None));
        assert_eq!(
            ex.audience(Some("observer")),
            Ok(Some("Observer".to_owned()))
        );
        assert_eq!(ex.audience(None), Ok(None));
    }

    #[test]
    fn an_unknown_role_or_team_is_refused_with_the_list() {
        let ex = declared();
        let role = ex.sign_in_role("Incident Lead").unwrap_err();
        assert_eq!(
            role.to_string(),
            "\"Incident Lead\" is not a role of this exercise: choose one of \"Incident Lead (Silver)\", \"Observer\""
        );
        let team = ex.sign_in_team(Some("Team C")).unwrap_err();
        assert_eq!(team.known, ["Team A", "Team B"]);
        let to = ex.audience(Some("Gold")).unwrap_err();
        assert_eq!(
            to.known,
            ["Team A", "Team B", "Incident Lead (Silver)", "Observer"]
        );
    }

    #[test]
    fn an_exercise_that_declares_none_keeps_free_text() {
        let mut ex = testkit::exercise();
        ex.participants.clear();
        ex.teams.clear();
        assert_eq!(ex.sign_in_role(" Anyone ").as_deref(), Ok("Anyone"));
        assert_eq!(ex.sign_in_team(Some("Blue")), Ok(Some("Blue".to_owned())));
        assert_eq!(ex.audience(Some("Gold")), Ok(Some("Gold".to_owned())));
    }
}
