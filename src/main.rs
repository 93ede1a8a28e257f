//! The `minxin` binary: a thin shell over the library's CLI.

/// mimalloc instead of the C library's allocator: bulk loads hand millions of small strings
/// from a reading thread to writing threads, where glibc's allocator spent about a quarter of
/// the client's time (docs/PERFORMANCE.md, run D); the server's many short-lived request
/// allocations gain too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    minxin::cli::main()
}
