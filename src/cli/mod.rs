//! The command line: clap arguments, one function per command, printing and exit codes.
//! Everything it computes comes from the library (`kiln::analyze`, `kiln::compile`, the
//! formatter); this module only reads files, prints and chooses exit codes.
//!
//! Exit codes: 0 success; 1 `fmt --check` would change a file (and, later, `diff` found
//! differences); 2 the input has errors; 3 an I/O or internal failure.

mod args;
mod commands;
mod diff;
mod import;
mod init;
mod output;
mod plan;

use clap::Parser;
use std::process::ExitCode;

/// Exit code: the input has errors.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: a check found something to change (`fmt --check`).
pub const EXIT_CHANGES: u8 = 1;
/// Exit code: I/O or internal failure.
pub const EXIT_IO: u8 = 3;

/// Parses arguments, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors to stderr.
            let code = if e.use_stderr() { EXIT_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(commands::dispatch(cli))
}
