fn main() -> std::process::ExitCode {
    fluxdb::cli::main()
}
