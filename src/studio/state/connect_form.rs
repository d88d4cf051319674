//! [`ConnectDialog`], the plain data of File → Connect to MongoDB… (its
//! actions are in `connect.rs`).

/// The Connect to MongoDB dialog.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConnectDialog {
    /// `mongodb://HOST:PORT` (a database in its path is taken as chosen).
    pub uri: String,
    /// The database to open, typed or chosen from `databases`.
    pub database: String,
    /// The server's databases, once tested.
    pub databases: Vec<String>,
    /// Waiting for the worker's answer to Test.
    pub testing: bool,
    /// What Test found, for the dialog ("Connected: 3 databases").
    pub tested: Option<String>,
}

impl ConnectDialog {
    /// A dialog for `uri` (a recent connection, kept without its password:
    /// the user types it again in place of `****`).
    pub fn new(uri: &str) -> ConnectDialog {
        let (server, database) = split_database(uri);
        ConnectDialog {
            uri: server,
            database,
            ..ConnectDialog::default()
        }
    }

    /// The URI to open: the server's with the chosen database in its path.
    pub fn target(&self) -> Option<String> {
        let database = self.database.trim();
        if self.uri.trim().is_empty() || database.is_empty() {
            return None;
        }
        let (server, _) = split_database(self.uri.trim());
        let (base, query) = match server.split_once('?') {
            Some((base, query)) => (base.trim_end_matches('/').to_owned(), format!("?{query}")),
            None => (server.trim_end_matches('/').to_owned(), String::new()),
        };
        Some(format!("{base}/{database}{query}"))
    }
}

/// `mongodb://h:1/shop?x=1` → (`mongodb://h:1/?x=1`, `shop`).
fn split_database(uri: &str) -> (String, String) {
    let Some(scheme_end) = uri.find("://").map(|at| at + 3) else {
        return (uri.to_owned(), String::new());
    };
    let rest = &uri[scheme_end..];
    let Some(slash) = rest.find('/') else {
        return (uri.to_owned(), String::new());
    };
    let path = &rest[slash + 1..];
    let (database, query) = match path.split_once('?') {
        Some((database, query)) => (database, format!("?{query}")),
        None => (path, String::new()),
    };
    let server = format!("{}{}/{query}", &uri[..scheme_end], &rest[..slash]);
    (server, database.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_split_off_and_put_back_before_the_options() {
        let dialog = ConnectDialog::new("mongodb://ann:****@h:1/shop?authSource=admin");
        assert_eq!(dialog.uri, "mongodb://ann:****@h:1/?authSource=admin");
        assert_eq!(dialog.database, "shop");
        assert_eq!(
            dialog.target().as_deref(),
            Some("mongodb://ann:****@h:1/shop?authSource=admin")
        );
        let plain = ConnectDialog::new("mongodb://h:1");
        assert_eq!(
            (plain.uri.as_str(), plain.target()),
            ("mongodb://h:1", None)
        );
    }
}
