//! Diagnostics: problems found in a file, rendered like cargo reports errors.
