//! The `kiln` binary: arguments → [`kiln::cli::run`] → exit code.

// The pipeline builds and drops many small JSON nodes; mimalloc does that at about half
// the cost of glibc's malloc (docs/performance.md).
#[global_allocator]
static GLOBAL: kiln::alloc::Allocator = kiln::alloc::Allocator;

fn main() -> std::process::ExitCode {
    kiln::cli::run()
}
