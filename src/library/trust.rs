//! Trust: SSH-signed commits checked against `.grabbag/allowed_signers`.
