//! `grabbag review JOURNAL...`: the read-only review screen (see
//! `crate::tui::review`) on one or more journals or merged timelines, with
//! each runbook version followed compared with the library's HEAD when a
//! library is configured (see `journal::read_timeline`). For a journal of
//! an exercise, its definition is found as `exercise score` finds it (the
//! `exercises/` folder above `runs/`, then the library's) and the run scored
//! for the Scores view. Nothing is written.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Context;
use super::exercise::find_recorded;
use super::journal::{Checks, gather};
use super::run::LookArgs;
use crate::exercise;
use crate::journal::STEP_BYTES;
use crate::lessons::{self, Evidence, JournalLessons, Register, Status, TrackedLesson};
use crate::report::Timeline;
use crate::report::audit::exercise_definitions;
use crate::tui::review::{self, ExerciseScores, Review};

/// Arguments of `review`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journals or merged timelines; several show on one merged timeline.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Witness codes and signers, checked in the banner.
    #[command(flatten)]
    pub checks: Checks,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `review`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let gathered = gather(ctx, &args.files, args.checks)?;
    // The first entries show at once; the whole is read, verified and
    // compared on another thread, and replaces them when it is in.
    let first = gathered.first_part(usize::try_from(STEP_BYTES).unwrap_or(usize::MAX));
    let mut first = Review::new(first, args.look.look(ctx.theme));
    first.reading = true;
    let ok = std::thread::scope(|s| {
        let (send, rest) = std::sync::mpsc::channel();
        s.spawn(move || {
            // The screen may have gone already; then it is waited for below.
            let _ = send.send(gathered.timeline());
        });
        let extras = |timeline: &Timeline| (scores(ctx, timeline), overdue_lessons(ctx, timeline));
        match review::run_reading(first, rest, extras)? {
            Ok(ok) => Ok::<_, anyhow::Error>(ok),
            // Left before it was all read: the verdict still decides the exit status.
            Err(rest) => Ok(rest
                .recv()
                .map_err(|_| anyhow::anyhow!("reading the journals stopped before it finished"))??
                .ok()),
        }
    })?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The lessons of the journals on the timeline that are past their due
/// date, checked against the library's register as `audit` checks them;
/// none without a library (closures live in its register).
fn overdue_lessons(ctx: &Context, timeline: &Timeline) -> Vec<TrackedLesson> {
    let Ok(library) = ctx.library() else {
        return Vec::new();
    };
    let Ok(identities) = ctx.identities_if_any() else {
        return Vec::new();
    };
    let register = Register::read(library.root(), identities).unwrap_or_default();
    let runbook_files: Vec<PathBuf> = library.discover().0.into_iter().map(|f| f.path).collect();
    let exercises: Vec<_> = exercise_definitions(library.root(), identities)
        .parsed
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let evidence = Evidence {
        library: &library,
        runbook_files: &runbook_files,
        exercises: &exercises,
        identities,
    };
    let journals: Vec<JournalLessons<'_>> = timeline
        .sources
        .iter()
        .filter_map(|source| {
            Some(JournalLessons {
                file: &timeline.files.get(source.file)?.report.file,
                state: &source.state,
            })
        })
        .collect();
    let mut lessons = lessons::track(&journals, &register, &evidence, super::today());
    lessons.retain(|l| l.status == Status::Overdue);
    lessons
}

/// The scores of each exercise journal on the timeline, by source index.
fn scores(ctx: &Context, timeline: &Timeline) -> Vec<(usize, ExerciseScores)> {
    let mut out = Vec::new();
    for (index, source) in timeline.sources.iter().enumerate() {
        let state = &source.state;
        let Some(id) = state.exercise_id() else {
            continue;
        };
        let Some(file) = timeline.files.get(source.file) else {
            continue;
        };
        let scores = if state.unreadable > 0 {
            // Scoring part of a run would report expectations missed that
            // were met in the entries it could not read.
            ExerciseScores::Unavailable(format!(
                "{} of {} entries could not be decrypted (pass --identity)",
                state.unreadable, state.entries
            ))
        } else {
            match find_recorded(ctx, &file.report.file, id, "") {
                Ok((found, definition)) => ExerciseScores::Scored {
                    card: Box::new(exercise::score(&definition, state)),
                    same: state
                        .exercise_start
                        .as_ref()
                        .is_some_and(|s| s.digest == exercise::digest(&found.text)),
                    file: found.shown,
                },
                Err(e) => ExerciseScores::Unavailable(format!("{e:#}")),
            }
        };
        out.push((index, scores));
    }
    out
}
