//! FluxDB Studio, the desktop browser: worker, state and panels.

/// Starts the app with the process arguments.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
