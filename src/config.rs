//! The user's settings: where the library and the identity are, who is at the
//! keyboard, and how the interface looks.
//!
//! Each value comes from, in order: a command-line flag, an environment variable
//! (`GRABBAG_LIBRARY`, `GRABBAG_IDENTITY`, `GRABBAG_ACTOR_NAME`,
//! `GRABBAG_ACTOR_ROLE`, `GRABBAG_THEME`), or the config file
//! `<config dir>/grabbag/config.toml` (on Linux `~/.config/grabbag/config.toml`;
//! `GRABBAG_CONFIG_DIR` moves the folder). The CLI applies flags and
//! environment; this module reads and writes the file (see `docs/config.md`).

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
    /// The file is not valid config TOML, or a value is not allowed.
    #[error("{path}{place}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// `:line:column` of the problem, or empty when it has no place.
        place: String,
        /// What is wrong.
        message: String,
    },
}

/// How the interface looks (the `theme` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Normal colours.
    #[default]
    Default,
    /// Strong colours on black, for bright rooms and projectors.
    HighContrast,
    /// No colour at all (as `NO_COLOR` does): meaning carried by words and bold.
    NoColor,
}

/// The contents of the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The library folder.
    pub library: Option<PathBuf>,
    /// The identity file.
    pub identity: Option<PathBuf>,
    /// Who is at the keyboard: the name offered when a response starts and
    /// written by `grabbag note`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// Their role (e.g. "ICT on-call engineer").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_role: Option<String>,
    /// How the interface looks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    /// Seconds an age plugin may stay silent, outside its prompts, before
    /// grabbag stops waiting for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_timeout: Option<std::num::NonZeroU64>,
}

/// The largest config or last-session file read (64 KiB: a few lines are
/// expected). With the check that it is a regular file, a link to
/// `/dev/zero` or a FIFO in its place is an error naming it, not a command
/// that runs out of memory or hangs.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

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
        let text = match crate::fsutil::read_text_followed(path, MAX_CONFIG_BYTES) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text, path)
    }

    /// Parses config text read from `path` (named in errors, with the line
    /// and column of the problem: an unknown key, a value of the wrong type).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let name = path.display().to_string();
            let place = e
                .span()
                .map(|span| {
                    let d = crate::diagnostic::Source::new(&name, text).error(span, "");
                    format!(":{}:{}", d.line.unwrap_or(1), d.column.unwrap_or(1))
                })
                .unwrap_or_default();
            ConfigError::Invalid {
                path: path.to_owned(),
                place,
                message: crate::text::printable_line(e.message().trim()).into_owned(),
            }
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
            .and_then(|p| crate::fsutil::read_text_followed(&p, MAX_CONFIG_BYTES).ok())
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Remembers these answers in `path`, normally [`LastSession::path`]
    /// (owner-only file).
    pub fn save_to(&self, path: &Path) -> Result<PathBuf, ConfigError> {
        save_private_toml(Some(path.to_owned()), "last-session.toml", self)
    }
}

/// The name the user logged in with: `USER`, `LOGNAME` or `USERNAME`, else
/// (on Linux) the password-file name of the process's user.
pub fn login_name() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.trim().is_empty())
        .or_else(passwd_name)
}

#[cfg(target_os = "linux")]
fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(not(target_os = "linux"))]
fn passwd_name() -> Option<String> {
    None
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
        place: String::new(),
        message: e.to_string(),
    })?;
    crate::fsutil::replace_atomically(&path, text.as_bytes()).map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TOML block of `docs/config.md`'s example.
    fn documented_example() -> String {
        let doc = include_str!("../docs/config.md");
        let start = doc
            .find("```toml\n")
            .expect("docs/config.md has a TOML example")
            + 8;
        let len = doc[start..].find("```").expect("the example ends");
        doc[start..start + len].to_owned()
    }

    #[test]
    fn documented_example_parses() {
        let config = Config::parse(&documented_example(), Path::new("config.toml")).unwrap();
        assert_eq!(
            config,
            Config {
                library: Some(PathBuf::from("/home/sam/grabbag/library")),
                identity: Some(PathBuf::from("/home/sam/.config/grabbag/identity.txt")),
                actor_name: Some("Sam Okafor".to_owned()),
                actor_role: Some("ICT on-call engineer".to_owned()),
                theme: Some(Theme::HighContrast),
                plugin_timeout: std::num::NonZeroU64::new(90),
            }
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_column() {
        let text = "library = \"/lib\"\ncolour = \"red\"\n";
        let err = Config::parse(text, Path::new("/cfg/config.toml")).unwrap_err();
        let said = err.to_string();
        assert!(
            said.starts_with("/cfg/config.toml:2:1: unknown field `colour`"),
            "{said}"
        );
        assert!(said.contains("`actor_name`"), "{said}");
    }

    #[test]
    fn bad_theme_is_refused_with_its_place() {
        let text = "theme = \"dark\"\n";
        let said = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            said.starts_with("c.toml:1:9: unknown variant `dark`"),
            "{said}"
        );
    }

    #[test]
    fn a_plugin_timeout_of_zero_is_refused_with_its_place() {
        let said = Config::parse("plugin_timeout = 0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(said.starts_with("c.toml:1:18: invalid value"), "{said}");
    }

    #[test]
    fn hostile_text_in_an_error_is_inert() {
        let text = "\"\u{1b}]0;x\u{7}\" = 1\n";
        let said = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(!said.contains('\u{1b}'), "{said}");
    }

    #[test]
    fn save_round_trips_and_leaves_out_unset_values() {
        let config = Config {
            library: Some(PathBuf::from("/lib")),
            theme: Some(Theme::NoColor),
            ..Config::default()
        };
        let text = toml::to_string_pretty(&config).unwrap();
        assert!(!text.contains("actor"), "{text}");
        assert_eq!(Config::parse(&text, Path::new("c.toml")).unwrap(), config);
    }
}
