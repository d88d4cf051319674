// A window app on Windows: no console window opens beside it. (Debug builds
// keep the console for their logs and panics.)
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    fluxdb::studio::main()
}
