fn main() -> std::process::ExitCode {
    fluxdb::studio::main()
}
