//! The command line: clap definitions, dispatch, exit codes and output.
