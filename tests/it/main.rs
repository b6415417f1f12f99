//! All integration tests, in one binary (one link, one process start-up).

mod act;
mod age_interop;
#[cfg(unix)]
mod age_plugin;
mod attack_files;
mod attack_trust;
mod cacao;
mod config;
mod coverage;
mod demo;
mod docs_gen;
mod exercise;
mod exercise_tui;
mod faults;
mod fuzz;
mod harness;
mod journal;
mod journal_cli;
mod journal_rekey;
mod journal_reliability;
mod journal_vectors;
mod layering;
mod library;
mod lint;
mod markdown_gfm;
mod outputs;
mod paper;
mod report;
mod responder;
mod response;
mod security;
mod support;
mod sync;
mod trust;
mod tui;
mod tui_imports;
