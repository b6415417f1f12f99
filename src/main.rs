//! The `grabbag` binary: everything is in the library; see [`grabbag::cli`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    grabbag::cli::main()
}
