//! The `kiln` binary: arguments → [`kiln::cli::run`] → exit code.

// The pipeline builds and drops many small JSON nodes; mimalloc does that at about half
// the cost of glibc's malloc (docs/performance.md).
#[global_allocator]
static GLOBAL: kiln::alloc::Allocator = kiln::alloc::Allocator;

fn main() -> std::process::ExitCode {
    // Huge pages only once an input is known to be large (`kiln::alloc::huge_pages`).
    kiln::alloc::huge_pages(false);
    kiln::cli::run()
}
