//! The runbook model, TOML parsing with spans, and lint.
