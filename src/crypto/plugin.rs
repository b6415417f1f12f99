//! age plugins: recipients (`age1NAME1...`) and identities
//! (`AGE-PLUGIN-NAME-1...`) whose keys live in a program, `age-plugin-NAME`
//! on `PATH`, usually in front of hardware (a YubiKey through
//! `age-plugin-yubikey`, a TPM). The age crate speaks the protocol; this
//! module adds what a responder under stress needs around it:
//!
//! - **Prompts reach the user.** A plugin asks for a PIN, a touch or a
//!   confirmation through the [`Prompter`] in effect for the process: the
//!   terminal by default, the interface's own while it owns the screen (it
//!   lends the terminal and takes it back, see `tui::lend`). Whoever draws
//!   the screen is process-wide, so the prompter is too.
//! - **One prompt per process.** An answer to a secret request (a PIN) is
//!   kept in memory for the rest of the process and given again when the
//!   plugin asks the same question for the next file, so a library of thirty
//!   runbooks asks once, as a passphrase does.
//! - **A failure is not repeated.** Once a plugin has failed (wrong PIN, token
//!   absent, crashed, hung), the process does not run it again: the next
//!   file fails at once with the first reason. A YubiKey locks after three
//!   wrong PINs; thirty files must not try the same wrong PIN thirty times.
//! - **A hung plugin does not hang grabbag.** Every operation that runs a
//!   plugin runs on a worker thread while the caller waits for at most the
//!   time-out of plugin silence. Time spent waiting for the user (typing a
//!   PIN) does not count. On time-out the caller gets an error and goes on;
//!   the plugin is left to end when its pipe closes (at the latest when
//!   grabbag exits), since age does not hand out the child process.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use age::secrecy::{ExposeSecret as _, SecretString};

use super::CryptoError;

/// How long a plugin may stay silent, outside prompts, before grabbag stops
/// waiting for it: long enough for a token's own touch time-out (15 s on a
/// YubiKey) and a slow smart-card service to start.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How a plugin's requests reach the user.
pub trait Prompter: Send + Sync {
    /// Shows a message from `plugin` (e.g. "touch your YubiKey").
    fn message(&self, plugin: &str, message: &str);
    /// Asks a yes/no question; `None` when it cannot be asked.
    fn confirm(&self, plugin: &str, message: &str, yes: &str, no: Option<&str>) -> Option<bool>;
    /// Asks for a value that may be shown as typed.
    fn request_public(&self, plugin: &str, message: &str) -> Option<String>;
    /// Asks for a secret (a PIN), not echoed.
    fn request_secret(&self, plugin: &str, message: &str) -> Option<SecretString>;
    /// The plugin operation that prompted is over (success or not): a front
    /// end that lent its screen takes it back.
    fn finished(&self) {}
}

/// Prompts on the terminal: messages on standard error, answers read from
/// the terminal itself (`/dev/tty` on Unix, as age does), never from a
/// standard input that may be a pipe of data.
pub struct TerminalPrompter;

impl TerminalPrompter {
    fn read_line(prompt: &str) -> Option<String> {
        use std::io::BufRead as _;
        let mut err = std::io::stderr();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        #[cfg(unix)]
        let mut input = std::io::BufReader::new(std::fs::File::open("/dev/tty").ok()?);
        #[cfg(not(unix))]
        let mut input = std::io::stdin().lock();
        let mut line = String::new();
        input.read_line(&mut line).ok().filter(|n| *n > 0)?;
        Some(line.trim_end_matches(['\n', '\r']).to_owned())
    }
}

impl Prompter for TerminalPrompter {
    fn message(&self, plugin: &str, message: &str) {
        eprintln!("{plugin}: {}", crate::text::printable_line(message));
    }

    fn confirm(&self, plugin: &str, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        let no = no.unwrap_or("no");
        let answer = Self::read_line(&format!(
            "{plugin}: {} [{yes}/{no}]: ",
            crate::text::printable_line(message)
        ))?;
        let answer = answer.trim();
        Some(answer.eq_ignore_ascii_case(yes) || answer.eq_ignore_ascii_case("y"))
    }

    fn request_public(&self, plugin: &str, message: &str) -> Option<String> {
        Self::read_line(&format!(
            "{plugin}: {}: ",
            crate::text::printable_line(message)
        ))
    }

    fn request_secret(&self, plugin: &str, message: &str) -> Option<SecretString> {
        rpassword::prompt_password(format!(
            "{plugin}: {}: ",
            crate::text::printable_line(message)
        ))
        .ok()
        .map(SecretString::from)
    }
}

type Shared<T> = LazyLock<Mutex<T>>;

static PROMPTER: LazyLock<RwLock<Arc<dyn Prompter>>> =
    LazyLock::new(|| RwLock::new(Arc::new(TerminalPrompter)));
static TIMEOUT_MS: AtomicU64 = AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64);
/// Answers to secret requests, by plugin and question.
static SECRETS: Shared<HashMap<(String, String), SecretString>> = LazyLock::new(Default::default);
/// Held while a plugin runs. The library loads runbooks on several threads;
/// plugins run one after the other, so a token is not asked twice at once,
/// and a PIN is known right or wrong before the next file uses it: a wrong
/// one is tried once, not once per thread.
static RUNNING: Mutex<()> = Mutex::new(());
/// Held while the user is asked something, so age's "waiting for the
/// plugin" message does not write over a PIN prompt.
static PROMPTING: Mutex<()> = Mutex::new(());
/// Plugins that failed in this process, with the first reason.
static FAILED: Shared<HashMap<String, String>> = LazyLock::new(Default::default);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes `prompter` the one plugins talk to; returns the one it replaces,
/// for the caller to put back.
pub fn set_prompter(prompter: Arc<dyn Prompter>) -> Arc<dyn Prompter> {
    let mut slot = PROMPTER.write().unwrap_or_else(PoisonError::into_inner);
    std::mem::replace(&mut *slot, prompter)
}

fn prompter() -> Arc<dyn Prompter> {
    Arc::clone(&PROMPTER.read().unwrap_or_else(PoisonError::into_inner))
}

/// Sets how long a plugin may stay silent (outside prompts) for the rest of
/// the process.
pub fn set_timeout(timeout: Duration) {
    let ms = u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    TIMEOUT_MS.store(ms, Ordering::Relaxed);
}

fn timeout() -> Duration {
    Duration::from_millis(TIMEOUT_MS.load(Ordering::Relaxed))
}

/// The program that serves plugin `name`.
pub fn binary_name(name: &str) -> String {
    format!("age-plugin-{name}")
}

/// How long the plugins of one operation have been silent, not counting the
/// time the user is asked something.
struct Watch {
    state: Mutex<(usize, Instant)>,
}

impl Watch {
    fn new() -> Self {
        Self {
            state: Mutex::new((0, Instant::now())),
        }
    }

    /// Runs `ask` (waiting on the user) with the clock stopped.
    fn waiting_on_user<T>(&self, ask: impl FnOnce() -> T) -> T {
        lock(&self.state).0 += 1;
        let answer = ask();
        let mut state = lock(&self.state);
        state.0 -= 1;
        state.1 = Instant::now();
        answer
    }

    /// Starts the clock again (when the plugin starts).
    fn restart(&self) {
        lock(&self.state).1 = Instant::now();
    }

    fn expired(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        state.0 == 0 && state.1.elapsed() >= timeout
    }
}

/// The age callbacks of one operation with one plugin.
#[derive(Clone)]
pub(super) struct Callbacks {
    binary: String,
    watch: Arc<Watch>,
    prompter: Arc<dyn Prompter>,
    /// Whether a prompt was shown (so the prompter is told when it is over).
    prompted: Arc<Mutex<bool>>,
    /// The caller stopped waiting (the operation ended or timed out): a
    /// plugin left running, or age's "waiting for the plugin" timer, must
    /// not take the terminal any more.
    over: Arc<AtomicBool>,
    /// Questions answered from (or into) the cache during this operation:
    /// forgotten if the operation fails, since the answer may be why.
    answered: Arc<Mutex<Vec<(String, String)>>>,
}

impl Callbacks {
    /// Asks the user, one question at a time in the process, with the
    /// time-out clock stopped (waiting for another question counts as the
    /// user's time too).
    fn ask<T>(&self, ask: impl FnOnce(&dyn Prompter) -> Option<T>) -> Option<T> {
        self.watch.waiting_on_user(|| {
            let _one_at_a_time = lock(&PROMPTING);
            if self.over.load(Ordering::SeqCst) {
                return None;
            }
            *lock(&self.prompted) = true;
            ask(self.prompter.as_ref())
        })
    }
}

impl age::Callbacks for Callbacks {
    fn display_message(&self, message: &str) {
        self.ask(|p| {
            p.message(&self.binary, &plain(message));
            Some(())
        });
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        self.ask(|p| p.confirm(&self.binary, &plain(message), yes, no))
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        self.ask(|p| p.request_public(&self.binary, &plain(description)))
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        let key = (self.binary.clone(), description.to_owned());
        lock(&self.answered).push(key.clone());
        // The cache is read inside the one-at-a-time section: a second
        // plugin asking while the first question is open gets its answer.
        self.ask(|p| {
            if let Some(known) = lock(&SECRETS).get(&key) {
                return Some(SecretString::from(known.expose_secret().to_owned()));
            }
            let answer = p.request_secret(&self.binary, &plain(description))?;
            lock(&SECRETS).insert(
                key.clone(),
                SecretString::from(answer.expose_secret().to_owned()),
            );
            Some(answer)
        })
    }
}

/// One operation that may run plugins: hands out their callbacks, and runs
/// the work with the time-out.
pub(super) struct Operation {
    plugins: BTreeSet<String>,
    callbacks: Callbacks,
}

impl Operation {
    /// An operation involving the plugins named `names`.
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let plugins: BTreeSet<String> = names.into_iter().map(binary_name).collect();
        let binary = plugins.iter().cloned().collect::<Vec<_>>().join(", ");
        Self {
            plugins,
            callbacks: Callbacks {
                binary,
                watch: Arc::new(Watch::new()),
                prompter: prompter(),
                prompted: Arc::new(Mutex::new(false)),
                over: Arc::new(AtomicBool::new(false)),
                answered: Arc::new(Mutex::new(Vec::new())),
            },
        }
    }

    /// The callbacks for plugin `name`.
    pub(super) fn callbacks(&self, name: &str) -> Callbacks {
        Callbacks {
            binary: binary_name(name),
            ..self.callbacks.clone()
        }
    }

    /// Runs `work` on a worker thread, after any other plugin operation of
    /// the process, and waits for it while the plugins are not silent for
    /// longer than the time-out. Fails at once if one of the plugins failed
    /// earlier; a failure now is recorded so the process does not run that
    /// plugin again.
    pub(super) fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> Result<T, CryptoError> + Send + 'static,
    ) -> Result<T, CryptoError> {
        // Held by this thread, not the worker: a hung plugin's worker never
        // returns, and the next operation must not wait for it.
        let _one_at_a_time = lock(&RUNNING);
        if let Some((binary, reason)) = self
            .plugins
            .iter()
            .find_map(|b| Some((b.clone(), lock(&FAILED).get(b)?.clone())))
        {
            return Err(CryptoError::PluginFailedEarlier { binary, reason });
        }
        self.callbacks.watch.restart();
        let (send, receive) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("age-plugin".to_owned())
            .spawn(move || {
                let _ = send.send(work());
            });
        let result = match spawned {
            Err(e) => Err(CryptoError::PluginFailed {
                binary: self.callbacks.binary.clone(),
                reason: format!("could not start a thread to run it: {e}"),
            }),
            Ok(_) => self.wait(&receive),
        };
        // Taken before `finished`, under the prompt lock: no prompt can
        // start after the prompter is told the operation is over.
        {
            let _no_prompt_now = lock(&PROMPTING);
            self.callbacks.over.store(true, Ordering::SeqCst);
        }
        if *lock(&self.callbacks.prompted) {
            self.callbacks.prompter.finished();
        }
        if let Err(e) = &result {
            self.record_failure(e);
        }
        result
    }

    fn wait<T>(&self, receive: &mpsc::Receiver<Result<T, CryptoError>>) -> Result<T, CryptoError> {
        let limit = timeout();
        let step = limit.min(Duration::from_millis(100));
        loop {
            match receive.recv_timeout(step) {
                Ok(result) => return result,
                Err(RecvTimeoutError::Timeout) if self.callbacks.watch.expired(limit) => {
                    return Err(CryptoError::PluginTimeout {
                        binary: self.callbacks.binary.clone(),
                        seconds: limit.as_secs_f64(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(CryptoError::PluginFailed {
                        binary: self.callbacks.binary.clone(),
                        reason: "the thread running it stopped without an answer".to_owned(),
                    });
                }
            }
        }
    }

    /// Latches a failure of the plugins (not a file that is simply not
    /// ours, nor a damaged file), and forgets answers it was given.
    fn record_failure(&self, error: &CryptoError) {
        let theirs = matches!(
            error,
            CryptoError::PluginFailed { .. }
                | CryptoError::PluginDied { .. }
                | CryptoError::PluginTimeout { .. }
        );
        if !theirs {
            return;
        }
        let mut secrets = lock(&SECRETS);
        for key in lock(&self.callbacks.answered).iter() {
            secrets.remove(key);
        }
        let mut failed = lock(&FAILED);
        for binary in &self.plugins {
            failed
                .entry(binary.clone())
                .or_insert_with(|| error.to_string());
        }
    }

    /// The binaries of this operation, for messages.
    pub(super) fn binaries(&self) -> &str {
        &self.callbacks.binary
    }
}

/// age's own messages are localised with Unicode isolation marks around each
/// value: right in a GUI, noise in a terminal.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
        .collect()
}

/// Describes plugin errors as age words them, less the program's name at
/// their start (the error names it once). age does not export the type.
pub(super) fn describe<E: std::fmt::Display>(errors: &[E], binaries: &str) -> String {
    let reasons: Vec<String> = errors
        .iter()
        .map(|e| {
            let text = plain(&e.to_string());
            let text = binaries
                .split(", ")
                .find_map(|b| text.strip_prefix(&format!("'{b}' ")))
                .unwrap_or(&text);
            crate::text::printable_line(text).into_owned()
        })
        .collect();
    reasons.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_time_does_not_count_towards_the_time_out() {
        let watch = Watch::new();
        // Inside a prompt the watch never expires, however small the limit.
        watch.waiting_on_user(|| assert!(!watch.expired(Duration::ZERO)));
        assert!(watch.expired(Duration::ZERO));
        assert!(!watch.expired(Duration::from_secs(3600)));
    }
}
