//! `grabbag init DIR` and `grabbag keygen`: libraries and identities.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use age::secrecy::SecretString;
use anyhow::{Context as _, anyhow, bail};

use super::Context;
use crate::config::{self, Config};
use crate::crypto::{self, Identities, Identity};
use crate::library::{Library, RECIPIENTS_FILE};

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to make the library.
    pub dir: PathBuf,
    /// Protect a newly made identity with a passphrase (asked twice).
    #[arg(long)]
    pub passphrase: bool,
    /// More recipients (`age1...`) who may decrypt the library.
    #[arg(long = "recipient", value_name = "AGE_PUBLIC_KEY")]
    pub recipients: Vec<String>,
}

/// Arguments of `keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Write the identity to this new file (0600). Without it the identity is printed.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Protect the identity with a passphrase (asked twice).
    #[arg(long)]
    pub passphrase: bool,
}

/// Asks for a new passphrase twice (or takes GRABBAG_PASSPHRASE).
fn new_passphrase(path: &Path) -> anyhow::Result<SecretString> {
    const EMPTY: &str =
        "an empty passphrase protects nothing; leave out --passphrase for an unprotected identity";
    if let Ok(p) = std::env::var("GRABBAG_PASSPHRASE") {
        if p.is_empty() {
            bail!("GRABBAG_PASSPHRASE is set but empty: {EMPTY}");
        }
        return Ok(SecretString::from(p));
    }
    let first = rpassword::prompt_password(format!("New passphrase for {}: ", path.display()))?;
    if first.is_empty() {
        bail!("{EMPTY}");
    }
    let second = rpassword::prompt_password("Same passphrase again: ")?;
    if first != second {
        bail!("the two passphrases differ");
    }
    Ok(SecretString::from(first))
}

/// Writes a fresh identity to `path`.
fn make_identity(path: &Path, passphrase: bool) -> anyhow::Result<Identity> {
    let identity = Identity::generate();
    let secret = if passphrase {
        Some(new_passphrase(path)?)
    } else {
        None
    };
    identity.write(path, secret.as_ref())?;
    Ok(identity)
}

/// Runs `keygen`.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    match args.output {
        Some(path) => {
            if path.exists() {
                bail!(
                    "{} already exists: refusing to overwrite an identity",
                    path.display()
                );
            }
            let identity = make_identity(&path, args.passphrase)?;
            outln!("Wrote identity to {} (owner-only)", path.display())?;
            outln!("Public key: {}", identity.public_key())?;
        }
        None => {
            if args.passphrase {
                bail!("--passphrase needs --output FILE");
            }
            let identity = Identity::generate();
            eprintln!("Public key: {}", identity.public_key());
            out!("{}", identity.file_text().as_str())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The library in `dir`, when an earlier `init` made it (its first commit
/// holds recipients listing every one of `recipients`) and was stopped
/// before saving it as the default.
fn finished_earlier(
    dir: &Path,
    recipients: &[String],
    config: &Config,
    ctx: &Context,
) -> Option<Library> {
    if config.library.is_some() || ctx.library.is_some() {
        return None;
    }
    let library = Library::open(dir).ok()?;
    library.head_blob(Path::new(RECIPIENTS_FILE)).ok()??;
    let listed = library.recipients().ok()?;
    recipients
        .iter()
        .all(|r| listed.contains(r))
        .then_some(library)
}

/// Runs `init`.
pub fn init(ctx: &Context, args: InitArgs) -> anyhow::Result<ExitCode> {
    let (identity_path, public_key) = match ctx.identity.clone() {
        Some(path) if path.exists() => {
            let ids = ctx.identities()?;
            (path, ids.public_keys().join("\n"))
        }
        Some(path) => {
            let identity = make_identity(&path, args.passphrase)?;
            outln!("Made a new identity: {} (owner-only)", path.display())?;
            (path, identity.public_key())
        }
        None => {
            let path = config::default_identity_path().ok_or_else(|| {
                anyhow!("no config directory on this system: pass --identity FILE")
            })?;
            if path.exists() {
                let ids = Identities::load(&path, &mut crypto::passphrase_from_env_or_tty)?;
                outln!("Using your existing identity {}", path.display())?;
                (path, ids.public_keys().join("\n"))
            } else {
                let identity = make_identity(&path, args.passphrase)?;
                outln!("Made a new identity: {} (owner-only)", path.display())?;
                (path, identity.public_key())
            }
        }
    };
    let mut recipients: Vec<String> = public_key.lines().map(str::to_owned).collect();
    recipients.extend(args.recipients);
    if recipients.is_empty() {
        return Err(anyhow!(
            "{} holds plugin identities without their recipient (no `# recipient: age1...` line): pass it with --recipient",
            identity_path.display()
        ));
    }
    let mut config = Config::load()?;
    let library = match Library::init(&args.dir, &recipients, None) {
        Ok(library) => library,
        // An earlier init finished the library but was stopped before saving
        // the config: this run finishes it.
        Err(e) => match finished_earlier(&args.dir, &recipients, &config, ctx) {
            Some(library) => {
                outln!(
                    "{} was made by an earlier `grabbag init` that did not finish: finishing it",
                    args.dir.display()
                )?;
                library
            }
            None => {
                return Err(e)
                    .with_context(|| format!("making a library in {}", args.dir.display()));
            }
        },
    };
    let root = library
        .root()
        .canonicalize()
        .unwrap_or_else(|_| library.root().to_owned());
    outln!(
        "Made library {} (git repository, branch main)",
        root.display()
    )?;
    outln!(
        "Recipients ({}): {}",
        RECIPIENTS_FILE,
        recipients.join(", ")
    )?;

    if config.library.is_none() && ctx.library.is_none() {
        config.library = Some(root.clone());
        if config.identity.is_none()
            && Some(&identity_path) != config::default_identity_path().as_ref()
        {
            config.identity = Some(identity_path.clone());
        }
        crate::fault::point("config")?;
        let saved = config.save()?;
        outln!("Saved as your default library in {}", saved.display())?;
    }
    outln!(
        "\nNext: write runbooks as .toml files in {}, then `grabbag seal FILE...`",
        root.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
