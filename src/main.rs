//! The `minxin` binary: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    minxin::cli::main()
}
