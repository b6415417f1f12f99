//! Offline sync from a bare repository on removable media or a `git bundle` file.
