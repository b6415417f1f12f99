//! age encryption in memory: identities, recipients files, encrypt and decrypt.
