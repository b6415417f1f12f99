//! `age-plugin-gbtest`: a small age plugin, for grabbag's plugin tests, that
//! stands in for a hardware token. It speaks the real plugin protocol (through
//! the `age-plugin` crate), so grabbag and the Go `age` CLI both drive it.
//!
//! The "token" is a key file: it holds an X25519 secret key and, optionally,
//! a PIN the plugin asks for before it unwraps. The identity names the key
//! file; the recipient carries the X25519 public key. Stanzas are X25519
//! stanzas under the tag `gbtest`, so only this plugin opens them.
//!
//! ```text
//! age-plugin-gbtest --generate KEYFILE [--pin PIN] [--touch]   # prints an identity file
//! ```
//!
//! A missing key file is a token that is not plugged in: the plugin asks the
//! user to insert it (a confirmation, as age-plugin-yubikey does) and looks
//! again if they say it is in. A wrong PIN is refused. `AGE_PLUGIN_GBTEST_FAULT=crash` makes the plugin exit at once
//! with status 3, `=hang` makes it read its input to the end and never
//! answer (it ends when the client closes the pipe).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::Identity as _;
use age::Recipient as _;
use age::secrecy::ExposeSecret;
use age_core::format::{FileKey, Stanza};
use age_plugin::{Callbacks, PluginHandler, identity, recipient, run_state_machine};

const NAME: &str = "gbtest";
/// The stanza tag: an X25519 stanza renamed, so no plain age key opens it.
const TAG: &str = "gbtest";
const X25519_TAG: &str = "X25519";

/// A key file: the token.
struct Token {
    secret: age::x25519::Identity,
    pin: Option<String>,
    touch: bool,
}

impl Token {
    fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                format!(
                    "gbtest token not present ({} is missing): insert it",
                    path.display()
                )
            } else {
                format!("{}: {e}", path.display())
            }
        })?;
        let mut secret = None;
        let mut pin = None;
        let mut touch = false;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("secret", value)) => {
                    secret = Some(
                        age::x25519::Identity::from_str(value.trim())
                            .map_err(|e| format!("{}: bad secret: {e}", path.display()))?,
                    );
                }
                Some(("pin", value)) => pin = Some(value.trim().to_owned()),
                _ if line.trim() == "touch" => touch = true,
                _ => {}
            }
        }
        let secret = secret.ok_or_else(|| format!("{}: no secret= line", path.display()))?;
        Ok(Self { secret, pin, touch })
    }
}

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = RecipientPlugin;
    type IdentityV1 = IdentityPlugin;

    fn recipient_v1(self) -> io::Result<Self::RecipientV1> {
        Ok(RecipientPlugin::default())
    }

    fn identity_v1(self) -> io::Result<Self::IdentityV1> {
        Ok(IdentityPlugin::default())
    }
}

#[derive(Default)]
struct RecipientPlugin {
    recipients: Vec<age::x25519::Recipient>,
}

impl recipient::RecipientPluginV1 for RecipientPlugin {
    fn add_recipient(
        &mut self,
        index: usize,
        _plugin_name: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        let parsed = std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| age::x25519::Recipient::from_str(s).ok());
        match parsed {
            Some(r) => {
                self.recipients.push(r);
                Ok(())
            }
            None => Err(recipient::Error::Recipient {
                index,
                message: "not a gbtest recipient".to_owned(),
            }),
        }
    }

    fn add_identity(
        &mut self,
        index: usize,
        _plugin_name: &str,
        _bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        Err(recipient::Error::Identity {
            index,
            message: "gbtest encrypts to recipients only".to_owned(),
        })
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        _callbacks: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        let mut files = Vec::new();
        for file_key in &file_keys {
            let mut stanzas = Vec::new();
            for r in &self.recipients {
                let (wrapped, _) = r
                    .wrap_file_key(file_key)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                stanzas.extend(wrapped.into_iter().map(|mut s| {
                    s.tag = TAG.to_owned();
                    s
                }));
            }
            files.push(stanzas);
        }
        Ok(Ok(files))
    }
}

#[derive(Default)]
struct IdentityPlugin {
    /// Key files named by the identities, with their index.
    tokens: Vec<(usize, PathBuf)>,
}

impl identity::IdentityPluginV1 for IdentityPlugin {
    fn add_identity(
        &mut self,
        index: usize,
        _plugin_name: &str,
        bytes: &[u8],
    ) -> Result<(), identity::Error> {
        let path = std::str::from_utf8(bytes).map_err(|_| identity::Error::Identity {
            index,
            message: "not a gbtest identity".to_owned(),
        })?;
        self.tokens.push((index, PathBuf::from(path)));
        Ok(())
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        mut callbacks: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        let mut out: HashMap<usize, Result<FileKey, Vec<identity::Error>>> = HashMap::new();
        // An identity that cannot be used is an error for every file not yet
        // opened by another identity.
        let refuse = |out: &mut HashMap<_, Result<_, Vec<_>>>, index: usize, message: &str| {
            for file in 0..files.len() {
                if let Err(errors) = out.entry(file).or_insert_with(|| Err(vec![])) {
                    errors.push(identity::Error::Identity {
                        index,
                        message: message.to_owned(),
                    });
                }
            }
        };
        for (index, path) in &self.tokens {
            let mut token = Token::load(path);
            if token.is_err() && !path.exists() {
                let inserted = callbacks.confirm(
                    "Insert the gbtest token, then choose Done",
                    "Done",
                    Some("Skip"),
                )?;
                if matches!(inserted, Ok(true)) {
                    token = Token::load(path);
                }
            }
            let token = match token {
                Ok(token) => token,
                Err(message) => {
                    refuse(&mut out, *index, &message);
                    continue;
                }
            };
            if let Some(pin) = &token.pin {
                match callbacks.request_secret("Enter the PIN of the gbtest token")? {
                    Ok(given) if given.expose_secret() == pin => {}
                    Ok(_) => {
                        refuse(&mut out, *index, "wrong PIN");
                        continue;
                    }
                    Err(_) => {
                        refuse(&mut out, *index, "no PIN was given");
                        continue;
                    }
                }
            }
            if token.touch {
                let _ = callbacks.message("Touch the gbtest token")?;
            }
            for (file, stanzas) in files.iter().enumerate() {
                if matches!(out.get(&file), Some(Ok(_))) {
                    continue;
                }
                for stanza in stanzas.iter().filter(|s| s.tag == TAG) {
                    let as_x25519 = Stanza {
                        tag: X25519_TAG.to_owned(),
                        args: stanza.args.clone(),
                        body: stanza.body.clone(),
                    };
                    if let Some(Ok(key)) = token.secret.unwrap_stanza(&as_x25519) {
                        out.insert(file, Ok(key));
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `--generate KEYFILE [--pin PIN] [--touch]`: writes a token and prints its
/// identity file (with the recipient in a comment, as real plugins do).
fn generate(args: &[String]) -> Result<(), String> {
    let mut path = None;
    let mut pin = None;
    let mut touch = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--pin" => pin = rest.next().cloned(),
            "--touch" => touch = true,
            other => path = Some(PathBuf::from(other)),
        }
    }
    let path = path.ok_or("usage: age-plugin-gbtest --generate KEYFILE [--pin PIN] [--touch]")?;
    let path = std::path::absolute(&path).map_err(|e| e.to_string())?;
    let secret = age::x25519::Identity::generate();
    let mut text = format!("secret={}\n", secret.to_string().expose_secret());
    if let Some(pin) = pin {
        text.push_str(&format!("pin={pin}\n"));
    }
    if touch {
        text.push_str("touch\n");
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    let identity = path.to_str().ok_or("the key file's path is not UTF-8")?;
    age_plugin::print_new_identity(
        NAME,
        identity.as_bytes(),
        secret.to_public().to_string().as_bytes(),
    );
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(state_machine) = args.iter().find_map(|a| a.strip_prefix("--age-plugin=")) {
        match std::env::var("AGE_PLUGIN_GBTEST_FAULT").as_deref() {
            Ok("crash") => std::process::exit(3),
            Ok("hang") => {
                io::copy(&mut io::stdin(), &mut io::sink())?;
                return Ok(());
            }
            _ => {}
        }
        return run_state_machine(state_machine, Handler);
    }
    if args.first().map(String::as_str) == Some("--generate") {
        return generate(&args[1..]).map_err(io::Error::other);
    }
    Err(io::Error::other(
        "age-plugin-gbtest is started by age clients; to make a token: --generate KEYFILE [--pin PIN] [--touch]",
    ))
}
