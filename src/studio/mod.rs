//! FluxDB Studio, the desktop browser. Layers, each using only those below:
//!
//! - `format`, `report`, `query`, `settings`, `edit`: small shared pieces (how
//!   numbers read, what went wrong, the query form, saved settings, edits' data).
//! - `worker/`: the one thread that owns the engine; the UI sends requests and
//!   polls events, never waits (`database` is the seam, `engine` the real one);
//!   `sample` builds the sample database through that seam.
//! - `state/`: the plain data the UI draws, changed by actions and the
//!   worker's events, testable without a window (`EditState` is its edit half).
//! - `panels/`, `dialogs/`, `widgets/`: draw the state and change it through
//!   its actions; `app` arranges them and pumps messages to and from the worker.

pub mod app;
pub mod copy_as;
pub mod dialogs;
pub mod edit;
pub mod format;
pub mod panels;
pub mod query;
pub mod report;
pub mod sample;
pub mod settings;
pub mod state;
pub mod widgets;
pub mod worker;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub use app::{StudioApp, StudioConfig};

/// The app id: the `.desktop` file's name, and where eframe keeps its state.
pub const APP_ID: &str = "io.fluxdb.Studio";

const USAGE: &str = "\
FluxDB Studio: browse and query FluxDB database folders.

Usage: fluxdb-studio [FOLDER | mongodb://HOST:PORT/DATABASE]
       fluxdb-studio --sample

  FOLDER          open this database folder (without it: the start screen)
  mongodb://…     open this database of a MongoDB server
  --sample        open the sample database (made on first use)
  -h, --help      show this help
  -V, --version   show the version
";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run { folder: Option<PathBuf> },
    Sample,
    Help,
    Version,
}

fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, String> {
    let mut folder = None;
    for arg in args {
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(Command::Help),
            Some("-V" | "--version") => return Ok(Command::Version),
            Some("--sample") => return Ok(Command::Sample),
            Some(flag) if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("unknown option {flag}\n\n{USAGE}"));
            }
            _ => {
                if folder.is_some() {
                    return Err(format!("only one FOLDER can be opened\n\n{USAGE}"));
                }
                folder = Some(PathBuf::from(arg));
            }
        }
    }
    Ok(Command::Run { folder })
}

/// Starts the app with the process arguments.
pub fn main() -> ExitCode {
    match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("fluxdb-studio {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(command @ (Command::Run { .. } | Command::Sample)) => match run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fluxdb-studio: {e}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("fluxdb-studio: {message}");
            ExitCode::from(2)
        }
    }
}

/// The folder Studio keeps its own data in (settings, the sample database).
pub fn data_dir() -> PathBuf {
    eframe::storage_dir(APP_ID).unwrap_or_else(|| std::env::temp_dir().join(APP_ID))
}

/// The app's own icon (assets/icon), for window managers and task bars.
fn with_window_icon(viewport: egui::ViewportBuilder) -> egui::ViewportBuilder {
    const ICON: &[u8] = include_bytes!("../../assets/icon/png/fluxdb-studio-256.png");
    match eframe::icon_data::from_png_bytes(ICON) {
        Ok(icon) => viewport.with_icon(std::sync::Arc::new(icon)),
        // The icon is ours and checked by packaging/linux/validate.sh; a
        // window without it is still a working window.
        Err(_) => viewport,
    }
}

fn run(command: Command) -> Result<(), eframe::Error> {
    let (folder, open_sample) = match command {
        Command::Run { folder } => (folder, false),
        Command::Sample => (None, true),
        Command::Help | Command::Version => (None, false),
    };
    // A relative path means the folder the user ran the command in; a
    // mongodb:// URI is a server, kept as given.
    let folder = folder.map(|f| match crate::backend::Location::parse(&f) {
        crate::backend::Location::Server(_) => f,
        crate::backend::Location::Folder(_) => std::path::absolute(&f).unwrap_or(f),
    });
    let options = eframe::NativeOptions {
        viewport: with_window_icon(
            egui::ViewportBuilder::default()
                .with_app_id(APP_ID)
                .with_title("FluxDB Studio")
                .with_inner_size([1200.0, 780.0])
                .with_min_inner_size([640.0, 400.0]),
        ),
        ..Default::default()
    };
    let config = StudioConfig {
        data_dir: data_dir(),
        open_at_start: folder,
        open_sample_at_start: open_sample,
        sample_on_first_run: true,
        settings: None,
    };
    eframe::run_native(
        "FluxDB Studio",
        options,
        Box::new(move |cc| {
            Ok(Box::new(StudioApp::new(
                cc,
                config,
                Arc::new(worker::EngineOpener),
                Arc::new(sample::build_sample),
            )))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn command_line_cases() {
        assert_eq!(parse(&[]), Ok(Command::Run { folder: None }));
        assert_eq!(
            parse(&["/data/shop"]),
            Ok(Command::Run {
                folder: Some(PathBuf::from("/data/shop"))
            })
        );
        assert_eq!(parse(&["--version"]), Ok(Command::Version));
        assert_eq!(parse(&["--sample"]), Ok(Command::Sample));
        assert_eq!(parse(&["-V"]), Ok(Command::Version));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert!(parse(&["--bogus"]).is_err_and(|e| e.contains("--bogus")));
        assert!(parse(&["a", "b"]).is_err());
    }
}
