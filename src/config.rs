//! The user's settings: where the library and the identity are.
//!
//! Each value comes from, in order: a command-line flag, an environment variable
//! (`GRABBAG_LIBRARY`, `GRABBAG_IDENTITY`), or the config file
//! `<config dir>/grabbag/config.toml` (on Linux `~/.config/grabbag/config.toml`).
//! The CLI applies flags and environment; this module reads and writes the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors reading or writing the config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The config file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not valid config TOML.
    #[error("{path}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
}

/// The contents of the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The library folder.
    pub library: Option<PathBuf>,
    /// The identity file.
    pub identity: Option<PathBuf>,
}

/// grabbag's folder in the user's config directory.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("GRABBAG_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("grabbag")))
}

/// The default identity file made by `grabbag init`.
pub fn default_identity_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("identity.txt"))
}

impl Config {
    /// The config file's path.
    pub fn path() -> Option<PathBuf> {
        config_dir().map(|d| d.join("config.toml"))
    }

    /// Reads the config file; a missing file is an empty config.
    pub fn load() -> Result<Self, ConfigError> {
        match Self::path() {
            Some(path) => Self::load_from(&path),
            None => Ok(Self::default()),
        }
    }

    /// Reads a config file at `path`.
    pub fn load_from(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Writes the config file (owner-only), creating its folder.
    pub fn save(&self) -> Result<PathBuf, ConfigError> {
        save_private_toml(Self::path(), "config.toml", self)
    }
}

/// The last answers to "which incident, who is at the keyboard", offered
/// again the next time a response starts (`<config dir>/last-session.toml`).
/// Names and roles only: nothing about the incident's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LastSession {
    /// The incident's name.
    pub incident: String,
    /// Who was at the keyboard.
    pub name: String,
    /// Their role.
    pub role: String,
}

impl LastSession {
    /// The file's path.
    pub fn path() -> Option<PathBuf> {
        config_dir().map(|d| d.join("last-session.toml"))
    }

    /// The last answers; missing or unreadable means none (they are a
    /// convenience, never a reason to stop).
    pub fn load() -> Self {
        Self::path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Remembers these answers (owner-only file).
    pub fn save(&self) -> Result<PathBuf, ConfigError> {
        save_private_toml(Self::path(), "last-session.toml", self)
    }
}

/// Writes `value` as TOML to `path` (owner-only, atomically), creating its
/// folder; `name` names the file when the system has no config directory.
fn save_private_toml(
    path: Option<PathBuf>,
    name: &str,
    value: &impl Serialize,
) -> Result<PathBuf, ConfigError> {
    let path = path.ok_or_else(|| ConfigError::Io {
        path: PathBuf::from(name),
        source: std::io::Error::other("no config directory on this system"),
    })?;
    let io = |source| ConfigError::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir).map_err(io)?;
    }
    let text = toml::to_string_pretty(value).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })?;
    crate::fsutil::replace_atomically(&path, text.as_bytes()).map_err(io)?;
    Ok(path)
}
