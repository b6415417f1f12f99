//! Helpers the library benches share: generated runbooks and timing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The generated runbooks: (relative path, id, TOML text). Copies of the
/// embedded samples, each with its own `id` (the path without `.toml.age`).
pub fn generate(count: usize) -> Vec<(PathBuf, String, String)> {
    let samples = grabbag::samples::SAMPLE_RUNBOOKS;
    assert!(!samples.is_empty(), "no embedded sample runbooks");
    (0..count)
        .map(|i| {
            let (name, text) = samples[i % samples.len()];
            let stem = name.strip_suffix(".toml").expect("sample is a .toml file");
            let id = format!("{stem}-{i:04}");
            let mut replaced = false;
            let text: String = text
                .lines()
                .map(|line| {
                    if !replaced && line.trim_start().starts_with("id =") {
                        replaced = true;
                        format!("id = \"{id}\"\n")
                    } else {
                        format!("{line}\n")
                    }
                })
                .collect();
            assert!(replaced, "sample {name} has no `id =` line");
            (PathBuf::from(format!("{id}.toml.age")), id, text)
        })
        .collect()
}

/// Median and minimum of timed runs.
pub struct Timing {
    pub median: Duration,
    pub min: Duration,
}

/// Runs `f` once to warm up, then `runs` times timed.
pub fn timed(runs: usize, mut f: impl FnMut()) -> Timing {
    f();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    Timing {
        median: times[times.len() / 2],
        min: times[0],
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
