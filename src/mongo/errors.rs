//! The driver's errors as FluxDB's [`Error::Server`], each one short line
//! that says what happened: the driver's own text for an unreachable
//! server lists its whole topology, which is kept out of the line.

use mongodb::error::{Error as DriverError, ErrorKind, WriteFailure};

use crate::error::Error;

/// How much of a message from the driver a line keeps.
const MAX_MESSAGE_CHARS: usize = 300;

/// The driver's error `e` at `place` (`host:port/database`): a server that
/// cannot be reached (or a connection that failed) is
/// [`Error::ServerUnreachable`], anything else [`Error::Server`].
pub(super) fn server_error(place: &str, e: &DriverError) -> Error {
    let server = place.to_owned();
    let message = describe(e.kind.as_ref());
    let unreachable = matches!(
        e.kind.as_ref(),
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
    );
    if unreachable {
        Error::ServerUnreachable { server, message }
    } else {
        Error::Server { server, message }
    }
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ServerSelection { message, .. } => {
            format!("cannot reach the server: {}", selection_cause(message))
        }
        ErrorKind::Io(e) => format!("the connection failed: {e}"),
        ErrorKind::ConnectionPoolCleared { .. } => {
            "the connection was lost (the server went away or restarted)".to_owned()
        }
        ErrorKind::Authentication { message, .. } => format!("authentication failed: {message}"),
        ErrorKind::DnsResolve { message, .. } => format!("cannot resolve the host: {message}"),
        ErrorKind::Command(command) => format!(
            "{} (code {} {})",
            short(&command.message),
            command.code,
            command.code_name
        ),
        ErrorKind::Write(WriteFailure::WriteError(write)) => {
            write_message(write.code, &write.message)
        }
        ErrorKind::Write(WriteFailure::WriteConcernError(concern)) => {
            format!("write concern failed: {}", short(&concern.message))
        }
        ErrorKind::InsertMany(insert) => match insert.write_errors.as_ref().and_then(|w| w.first())
        {
            Some(first) => format!(
                "document {} of the insert: {}",
                first.index + 1,
                write_message(first.code, &first.message)
            ),
            None => "the insert failed on a write concern".to_owned(),
        },
        ErrorKind::InvalidTlsConfig { message, .. } => format!("TLS: {message}"),
        other => short(&other.to_string()),
    }
}

/// `error` with `note` added to what it says (a server's error keeps its
/// kind; another becomes a transaction error).
pub(super) fn with_note(error: Error, note: &str) -> Error {
    match error {
        Error::Server { server, message } => Error::Server {
            server,
            message: format!("{message}{note}"),
        },
        Error::ServerUnreachable { server, message } => Error::ServerUnreachable {
            server,
            message: format!("{message}{note}"),
        },
        other => Error::Transaction(format!("{other}{note}")),
    }
}

/// Whether the driver or the server said that this deployment runs no
/// transactions: the driver where the server has no sessions, a standalone
/// server with IllegalOperation (code 20, "Transaction numbers are only
/// allowed on a replica set member or mongos"), another with
/// OperationNotSupportedInTransaction (263).
pub(super) fn refuses_transactions(e: &DriverError) -> bool {
    match e.kind.as_ref() {
        ErrorKind::SessionsNotSupported => true,
        ErrorKind::Transaction { message, .. } => message.contains("not supported"),
        ErrorKind::Command(command) => matches!(command.code, 20 | 263),
        _ => false,
    }
}

/// How many documents of an ordered insert the server stored before the
/// one it refused, if the error says (a write error names its document).
pub(super) fn inserted_before(e: &DriverError) -> Option<usize> {
    match e.kind.as_ref() {
        ErrorKind::InsertMany(insert) => insert
            .write_errors
            .as_ref()
            .and_then(|errors| errors.iter().map(|w| w.index).min()),
        ErrorKind::Write(WriteFailure::WriteError(_)) => Some(0),
        _ => None,
    }
}

/// Duplicate keys (code 11000) say so plainly.
fn write_message(code: i32, message: &str) -> String {
    if code == 11000 {
        format!("duplicate key: {}", short(message))
    } else {
        format!("{} (code {code})", short(message))
    }
}

/// Why no server could be selected, from the driver's topology text: the
/// first server error it lists, in a few words where they are known.
fn selection_cause(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let known = [
        ("connection refused", "connection refused"),
        ("timed out", "the connection timed out"),
        ("no route to host", "no route to host"),
        (
            "failed to lookup address",
            "the host name cannot be resolved",
        ),
        (
            "name or service not known",
            "the host name cannot be resolved",
        ),
        ("authentication", "authentication failed"),
        ("tls", "the TLS handshake failed"),
        ("connection reset", "the connection was reset"),
    ];
    for (needle, said) in known {
        if lower.contains(needle) {
            return said.to_owned();
        }
    }
    short(message)
}

fn short(message: &str) -> String {
    let message = message.trim();
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a standalone server (code 20) and the driver (no sessions) say
    /// about transactions means "none here"; a refused write does not.
    #[test]
    fn a_servers_refusal_of_transactions_is_told_from_other_errors() {
        let command = |code: i32, message: &str| {
            let error: mongodb::error::CommandError = mongodb::bson::from_document(
                mongodb::bson::doc! {"code": code, "codeName": "X", "errmsg": message},
            )
            .expect("a command error");
            DriverError::from(ErrorKind::Command(error))
        };
        let standalone = command(
            20,
            "Transaction numbers are only allowed on a replica set member or mongos",
        );
        assert!(refuses_transactions(&standalone));
        assert!(refuses_transactions(&DriverError::from(
            ErrorKind::SessionsNotSupported
        )));
        assert!(!refuses_transactions(&command(11000, "duplicate key")));
        assert!(!refuses_transactions(&command(112, "WriteConflict")));
    }

    #[test]
    fn an_unreachable_server_is_said_in_a_few_words() {
        let topology = "Server selection timeout: No available servers. Topology: { Type: Unknown, Servers: [ { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: I/O error: Connection refused (os error 111), labels: {} } ] }";
        assert_eq!(selection_cause(topology), "connection refused");
        assert_eq!(
            short(&"x".repeat(400)).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }
}
