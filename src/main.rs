//! The `kiln` binary: arguments → [`kiln::cli::run`] → exit code.

fn main() -> std::process::ExitCode {
    kiln::cli::run()
}
