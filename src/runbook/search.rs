//! Finding a runbook by what a responder types: the ranking behind the library
//! screen's search.
//!
//! Under stress a responder types a runbook's id (`payments`), a word of its
//! title (`paying`), or either with a slip of a key (`ransonware`), and presses
//! Enter on whatever is highlighted. So the order is by *where* the text
//! matched before *how well*: every runbook mentions something in its summary,
//! and a fuzzy match there must never outrank a plain match on the id or the
//! title. The tiers, best first:
//!
//! 1. the id, or its last segment (`payments` for `continuity/payments`);
//! 2. every typed word starts a word of the id or the title;
//! 3. a fuzzy (subsequence) match on the id or the title;
//! 4. every typed word is one edit (a typo, a swap) from a word of the id or
//!    the title;
//! 5. a match on the tags;
//! 6. a match anywhere, summary included.
//!
//! Within a tier the fuzzy score decides, then the library's own order, so the
//! same query always gives the same list.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::Runbook;

/// The indices of `runbooks` that match `query`, best first; every index, in
/// order, for an empty query.
pub fn rank(runbooks: &[&Runbook], query: &str) -> Vec<usize> {
    let query = query.trim();
    if query.is_empty() {
        return (0..runbooks.len()).collect();
    }
    let typed: Vec<String> = words(query).collect();
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut fuzzy = |text: &str| pattern.score(Utf32Str::new(text, &mut buf), &mut matcher);

    let mut ranked: Vec<(u8, u32, usize)> = Vec::new();
    for (index, runbook) in runbooks.iter().enumerate() {
        let named = format!("{} {}", runbook.id, runbook.title);
        let name_score = fuzzy(&named).unwrap_or(0);
        let name_words: Vec<String> = words(&named).collect();
        let tier = if is_id(runbook, query) {
            Some(0)
        } else if every_word(&typed, &name_words, |t, w| w.starts_with(t)) {
            Some(1)
        } else if name_score > 0 {
            Some(2)
        } else if every_word(&typed, &name_words, one_edit_away) {
            Some(3)
        } else if fuzzy(&runbook.tags.join(" ")).is_some() {
            Some(4)
        } else {
            let all = format!("{named} {} {}", runbook.tags.join(" "), runbook.summary);
            fuzzy(&all).map(|_| 5)
        };
        if let Some(tier) = tier {
            ranked.push((tier, name_score, index));
        }
    }
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    ranked.into_iter().map(|(_, _, index)| index).collect()
}

/// Whether the query names the runbook's id, whole or by its last segment.
fn is_id(runbook: &Runbook, query: &str) -> bool {
    let query = query.to_lowercase().replace(' ', "-");
    let id = runbook.id.to_lowercase();
    id == query || id.rsplit('/').next() == Some(query.as_str())
}

/// The lower-case words of a text (letters and digits; `-`, `/`, `'` and
/// spaces separate them).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Whether each typed word matches some word of the text.
fn every_word(typed: &[String], text: &[String], matches: impl Fn(&str, &str) -> bool) -> bool {
    !typed.is_empty() && typed.iter().all(|t| text.iter().any(|w| matches(t, w)))
}

/// A typed word is a slip of the keys away from a word (or the start of a
/// longer word): one letter wrong, missing, extra, or two letters swapped.
/// Short words are left out: at three letters one edit matches half the
/// dictionary.
fn one_edit_away(typed: &str, word: &str) -> bool {
    if typed.chars().count() < 4 {
        return false;
    }
    let close = |w: &str| strsim::damerau_levenshtein(typed, w) <= 1;
    if close(word) {
        return true;
    }
    // "ransonw" is a typo of the start of "ransomware".
    let n = typed.chars().count();
    [n.saturating_sub(1), n, n + 1].into_iter().any(|len| {
        let prefix: String = word.chars().take(len).collect();
        prefix.chars().count() == len && len < word.chars().count() && close(&prefix)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    fn library() -> Vec<Runbook> {
        samples::parsed_runbooks()
    }

    fn first(runbooks: &[Runbook], query: &str) -> String {
        let refs: Vec<&Runbook> = runbooks.iter().collect();
        let ranked = rank(&refs, query);
        let best = ranked
            .first()
            .unwrap_or_else(|| panic!("{query:?} found nothing"));
        runbooks[*best].id.clone()
    }

    #[test]
    fn each_sample_is_first_for_its_id_its_last_segment_and_a_typo() {
        let runbooks = library();
        assert!(runbooks.len() >= 16);
        for runbook in &runbooks {
            let id = runbook.id.clone();
            let last = id.rsplit('/').next().unwrap_or(&id).to_owned();
            assert_eq!(first(&runbooks, &id), id, "query {id:?}");
            assert_eq!(first(&runbooks, &last), id, "query {last:?}");
            // One letter of the last segment dropped: a typo.
            let mut typo: Vec<char> = last.chars().collect();
            typo.remove(typo.len() / 2);
            let typo: String = typo.into_iter().collect();
            assert_eq!(first(&runbooks, &typo), id, "typo {typo:?}");
        }
    }

    #[test]
    fn a_distinctive_word_of_the_title_finds_the_runbook() {
        let runbooks = library();
        for (query, id) in [
            ("paying", "continuity/payments"),
            ("command", "continuity/command-and-control"),
            ("homeless", "continuity/homelessness"),
            ("births", "continuity/registration"),
            ("invoice", "cyber/phishing-bec"),
            ("stolen", "cyber/lost-device"),
            ("ransom", "cyber/ransomware"),
            ("denial", "cyber/ddos-website"),
            ("referrals", "continuity/childrens-safeguarding"),
            ("telephony", "continuity/contact-centre"),
        ] {
            assert_eq!(first(&runbooks, query), id, "query {query:?}");
        }
    }

    #[test]
    fn typos_of_a_title_word_still_find_it() {
        let runbooks = library();
        for (query, id) in [
            ("ransonware", "cyber/ransomware"),
            ("paymnets", "continuity/payments"),
            ("homelesness", "continuity/homelessness"),
            ("phisihng", "cyber/phishing-bec"),
        ] {
            assert_eq!(first(&runbooks, query), id, "query {query:?}");
        }
    }

    #[test]
    fn a_summary_match_never_outranks_a_title_match() {
        let runbooks = library();
        let refs: Vec<&Runbook> = runbooks.iter().collect();
        let ranked = rank(&refs, "payments");
        assert_eq!(runbooks[ranked[0]].id, "continuity/payments");
        assert!(ranked.len() > 1, "others mention payments too");
    }

    #[test]
    fn an_empty_query_keeps_the_library_order() {
        let runbooks = library();
        let refs: Vec<&Runbook> = runbooks.iter().collect();
        assert_eq!(rank(&refs, "  "), (0..runbooks.len()).collect::<Vec<_>>());
    }

    #[test]
    fn one_edit_away_is_a_typo_not_a_different_word() {
        assert!(one_edit_away("ransonware", "ransomware"));
        assert!(one_edit_away("paymnets", "payments"));
        assert!(one_edit_away("ransonw", "ransomware"));
        assert!(!one_edit_away("pay", "day"));
        assert!(!one_edit_away("waste", "wrestle"));
    }
}
