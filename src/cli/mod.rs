//! The `fluxdb` command line: a thin shell over the engine (the README's
//! "The `fluxdb` command line" says what each command prints). Every command
//! parses its arguments, makes one or two engine calls and prints the answer;
//! nothing here is logic the app would need.
//!
//! Output is made for pipes: documents as JSON Lines (`_id` first, the other
//! fields in stored order), one value per line otherwise. Exit status: 0 on
//! success (a printed `false` included), 1 when the operation failed, 2 for a
//! usage error; `diff` alone exits as diff(1) does (0 same, 1 different, 2
//! failed). Every failure is one line on stderr.

mod args;
mod commands;
mod common;
mod copy;
mod diff;
mod failure;
mod lines;
mod parse;
mod server;
mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use failure::Failure;

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let args::Command::Diff {
        ref backup,
        ref collection,
    } = cli.command
    {
        return run_diff(&cli, backup, collection.as_deref(), &mut out);
    }
    if let args::Command::Copy {
        ref source,
        ref destination,
        ref collection,
    } = cli.command
    {
        let copied = copy::copy(source, destination, collection, &mut out)
            .and_then(|()| out.flush().map_err(Into::into));
        return exit_code(copied);
    }
    let result = match cli.command {
        // Runs until interrupted, following the folder or the server's
        // change stream (watch.rs).
        args::Command::Watch {
            ref collection,
            ref filter,
            interval,
            ref since,
        } => {
            let watch = watch::Watch {
                collection,
                filter: filter.as_deref(),
                interval_ms: interval,
                since: since.as_deref(),
            };
            match commands::database_location(&cli) {
                Ok(crate::backend::Location::Folder(dir)) => watch::watch(&dir, &watch, &mut out),
                Ok(crate::backend::Location::Server(uri)) => {
                    watch::watch_server(&uri, &watch, &mut out)
                }
                Err(failure) => Err(failure),
            }
        }
        _ => commands::run(cli, &mut out),
    }
    .and_then(|()| out.flush().map_err(Into::into));
    exit_code(result)
}

/// 0, or 1 with the failure as one line on stderr.
fn exit_code(result: failure::Outcome) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::NotFound(message)) | Err(Failure::Message(message)) => {
            let _ = writeln!(std::io::stderr(), "fluxdb: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Engine(e)) => {
            let _ = writeln!(std::io::stderr(), "fluxdb: {e}");
            ExitCode::from(1)
        }
    }
}

/// `diff` exits as diff(1) does: 0 same, 1 different, 2 trouble.
fn run_diff(
    cli: &Cli,
    backup: &std::path::Path,
    collection: Option<&str>,
    out: &mut impl Write,
) -> ExitCode {
    let result = commands::database_folder(cli, "diff")
        .and_then(|dir| diff::diff(&dir, backup, collection, out))
        .and_then(|differ| out.flush().map(|()| differ).map_err(Into::into));
    match result {
        Ok(false) => ExitCode::SUCCESS,
        // The reader went away after a line: there were differences.
        Ok(true) | Err(Failure::BrokenPipe) => ExitCode::from(1),
        Err(Failure::NotFound(message)) | Err(Failure::Message(message)) => {
            let _ = writeln!(std::io::stderr(), "fluxdb: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Engine(e)) => {
            let _ = writeln!(std::io::stderr(), "fluxdb: {e}");
            ExitCode::from(2)
        }
    }
}
