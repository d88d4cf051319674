//! The `fluxdb` command line: a thin shell over the engine (../shared/spec/cli.md).

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
