//! The command line: clap arguments, one function per command, printing and exit codes.

use std::process::ExitCode;

/// Parses arguments, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    ExitCode::SUCCESS
}
