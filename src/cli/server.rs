//! The commands on a MongoDB server (`--db mongodb://HOST:PORT/DATABASE`):
//! those a folder and a server share run through `common.rs`; those only
//! a folder has say so in one line.

use std::io::Write;

use super::args::Command;
use super::failure::{Failure, Outcome};
use crate::Error;

/// Runs `command` on the server `uri` names.
#[cfg(feature = "mongodb")]
pub(super) fn run(uri: &str, command: Command, out: &mut impl Write) -> Outcome {
    if let Some(what) = folder_only_name(&command) {
        return Err(folder_only(&what));
    }
    let mut server = crate::mongo::MongoServer::connect(uri)?;
    super::common::run_common(&mut server, command, out)
}

/// Without the `mongodb` feature a URI cannot be opened: say why.
#[cfg(not(feature = "mongodb"))]
pub(super) fn run(_uri: &str, _command: Command, _out: &mut impl Write) -> Outcome {
    Err(no_server_support())
}

/// The one line for a build without the `mongodb` feature.
pub(super) fn no_server_support() -> Failure {
    Failure::Message(
        "this fluxdb was built without MongoDB support (the `mongodb` cargo feature), so a mongodb:// URI cannot be opened"
            .to_owned(),
    )
}

/// The error for a command only a folder has, run on a server.
pub(super) fn folder_only(what: &str) -> Failure {
    if cfg!(not(feature = "mongodb")) {
        return no_server_support();
    }
    Failure::Engine(Error::Unsupported {
        what: what.to_owned(),
        place: "a MongoDB server (it works on a folder)".to_owned(),
    })
}

/// The name of a command (or option) only a folder has, if `command` is one.
#[cfg(feature = "mongodb")]
fn folder_only_name(command: &Command) -> Option<String> {
    let name = match command {
        Command::Compact { .. } => "compact",
        Command::Compress { .. } => "compress",
        Command::Backup { .. } => "backup",
        Command::Restore { .. } => "restore",
        Command::Verify { .. } => "verify",
        Command::Info { .. } => "info",
        Command::Migrate { .. } => "migrate",
        Command::Diff { .. } => "diff",
        Command::Collections { format: true } => "collections --format",
        Command::Create { compress, .. } if compress != "none" => "create --compress",
        _ => return None,
    };
    Some(name.to_owned())
}

#[cfg(test)]
mod tests {
    #[cfg(not(feature = "mongodb"))]
    #[test]
    fn without_the_feature_a_uri_says_the_build_lacks_mongodb_support() {
        let command = super::Command::Collections { format: false };
        let outcome = super::run("mongodb://127.0.0.1:27017/shop", command, &mut Vec::new());
        let message = match outcome {
            Err(super::Failure::Message(message)) => message,
            other => format!("{other:?}"),
        };
        assert!(message.contains("without MongoDB support"), "{message}");
    }

    #[cfg(feature = "mongodb")]
    #[test]
    fn a_folder_only_command_on_a_server_is_one_line_before_any_connection() {
        let command = super::Command::Compact { collection: None };
        let outcome = super::run("mongodb://127.0.0.1:1/shop", command, &mut Vec::new());
        let message = match outcome {
            Err(super::Failure::Engine(error)) => error.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            message,
            "compact has no meaning on a MongoDB server (it works on a folder)"
        );
    }
}
