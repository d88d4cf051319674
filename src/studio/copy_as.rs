//! "Copy query as ▸": the query on screen (filter, sort, projection, skip
//! and limit, or the aggregation pipeline) written as code to paste
//! elsewhere: a `fluxdb` command line, Rust on the engine's API, Python on
//! the Python package's (the original library's API), or the MongoDB shell.
//! Pure text from plain data, so every form is tested without a window.

use std::path::Path;

use serde_json::Value;

/// What is copied.
#[derive(Clone, Debug, PartialEq)]
pub enum CopiedQuery {
    Find {
        collection: String,
        filter: Value,
        sort: Option<Value>,
        projection: Option<Value>,
        skip: usize,
        limit: Option<usize>,
    },
    Aggregate {
        collection: String,
        pipeline: Value,
    },
}

/// The languages a query is copied as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeForm {
    CommandLine,
    Rust,
    Python,
    MongoShell,
}

impl CodeForm {
    pub const ALL: [CodeForm; 4] = [
        CodeForm::CommandLine,
        CodeForm::Rust,
        CodeForm::Python,
        CodeForm::MongoShell,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CodeForm::CommandLine => "fluxdb command line",
            CodeForm::Rust => "Rust",
            CodeForm::Python => "Python",
            CodeForm::MongoShell => "MongoDB shell",
        }
    }
}

impl CopiedQuery {
    /// The query as `form`, for the database in `folder`.
    pub fn as_code(&self, form: CodeForm, folder: &Path) -> String {
        match form {
            CodeForm::CommandLine => self.command_line(folder),
            CodeForm::Rust => self.rust(folder),
            CodeForm::Python => self.python(folder),
            CodeForm::MongoShell => self.mongo_shell(),
        }
    }

    /// A `fluxdb` command, each argument quoted for a POSIX shell.
    fn command_line(&self, folder: &Path) -> String {
        let mut words = vec![
            "fluxdb".to_owned(),
            "--db".to_owned(),
            shell_quote(&folder.to_string_lossy()),
        ];
        match self {
            CopiedQuery::Find {
                collection,
                filter,
                sort,
                projection,
                skip,
                limit,
            } => {
                words.extend(["find".to_owned(), shell_quote(collection)]);
                words.push(shell_quote(&filter.to_string()));
                if let Some(sort) = sort {
                    words.extend(["--sort".to_owned(), shell_quote(&sort.to_string())]);
                }
                if *skip > 0 {
                    words.extend(["--skip".to_owned(), skip.to_string()]);
                }
                if let Some(limit) = limit {
                    words.extend(["--limit".to_owned(), limit.to_string()]);
                }
                if let Some(projection) = projection {
                    words.extend(["--project".to_owned(), shell_quote(&projection.to_string())]);
                }
            }
            CopiedQuery::Aggregate {
                collection,
                pipeline,
            } => {
                words.extend(["aggregate".to_owned(), shell_quote(collection)]);
                words.push(shell_quote(&pipeline.to_string()));
            }
        }
        words.join(" ")
    }

    /// Rust on the engine: `FluxDB::find` with a `Find`, or `aggregate`.
    fn rust(&self, folder: &Path) -> String {
        let open = format!(
            "let db = fluxdb::engine::FluxDB::open_read_only({})?;\n",
            rust_string(&folder.to_string_lossy())
        );
        match self {
            CopiedQuery::Find {
                collection,
                filter,
                sort,
                projection,
                skip,
                limit,
            } => {
                let mut find = format!("Find::new(json!({filter}))");
                if let Some(sort) = sort {
                    find.push_str(&format!("\n    .sort(json!({sort}))"));
                }
                if *skip > 0 {
                    find.push_str(&format!("\n    .skip({skip})"));
                }
                if let Some(limit) = limit {
                    find.push_str(&format!("\n    .limit({limit})"));
                }
                if let Some(projection) = projection {
                    find.push_str(&format!("\n    .projection(json!({projection}))"));
                }
                format!(
                    "use fluxdb::engine::Find;\nuse serde_json::json;\n\n{open}let docs = db.find({}, &{find})?;",
                    rust_string(collection)
                )
            }
            CopiedQuery::Aggregate {
                collection,
                pipeline,
            } => format!(
                "use serde_json::json;\n\n{open}let docs = db.aggregate({}, &json!({pipeline}))?;",
                rust_string(collection)
            ),
        }
    }

    /// Python on the package with the original library's API.
    fn python(&self, folder: &Path) -> String {
        let open = format!(
            "from fluxdb import FluxDB\n\ndb = FluxDB({})\n",
            python_value(&Value::String(folder.to_string_lossy().into_owned()))
        );
        match self {
            CopiedQuery::Find {
                collection,
                filter,
                sort,
                projection,
                skip,
                limit,
            } => {
                let mut args = vec![
                    python_value(&Value::String(collection.clone())),
                    format!("query={}", python_value(filter)),
                ];
                if let Some(sort) = sort {
                    args.push(format!("sort={}", python_value(sort)));
                }
                if *skip > 0 {
                    args.push(format!("skip={skip}"));
                }
                if let Some(limit) = limit {
                    args.push(format!("limit={limit}"));
                }
                let mut code = format!("{open}docs = db.find({})", args.join(", "));
                if let Some(projection) = projection {
                    // The original API has no projection: keep its fields.
                    code.push_str(&python_projection(projection));
                }
                code
            }
            CopiedQuery::Aggregate {
                collection,
                pipeline,
            } => format!(
                "{open}docs = db.aggregate({}, {})",
                python_value(&Value::String(collection.clone())),
                python_value(pipeline)
            ),
        }
    }

    /// The MongoDB shell (mongosh): `find` with a projection, then sort,
    /// skip and limit; or `aggregate`.
    fn mongo_shell(&self) -> String {
        match self {
            CopiedQuery::Find {
                collection,
                filter,
                sort,
                projection,
                skip,
                limit,
            } => {
                let mut code = format!("{}.find({filter}", mongo_collection(collection));
                if let Some(projection) = projection {
                    code.push_str(&format!(", {projection}"));
                }
                code.push(')');
                if let Some(sort) = sort {
                    code.push_str(&format!(".sort({sort})"));
                }
                if *skip > 0 {
                    code.push_str(&format!(".skip({skip})"));
                }
                if let Some(limit) = limit {
                    code.push_str(&format!(".limit({limit})"));
                }
                code
            }
            CopiedQuery::Aggregate {
                collection,
                pipeline,
            } => format!("{}.aggregate({pipeline})", mongo_collection(collection)),
        }
    }
}

/// `text` as one word of a POSIX shell: bare when it is plainly safe,
/// otherwise in single quotes, each `'` written `'\''`.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A Rust string literal (JSON's escapes are Rust's, but for `\u`).
fn rust_string(text: &str) -> String {
    format!("{text:?}")
}

/// A JSON value as a Python literal: JSON's strings and numbers are
/// Python's; `true`, `false` and `null` are `True`, `False` and `None`.
pub fn python_value(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(_) => value.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_value(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// The projection the Python API lacks, as a line that applies it (top
/// level fields; `_id` is kept unless excluded, as in MongoDB).
fn python_projection(projection: &Value) -> String {
    let Some(fields) = projection.as_object() else {
        return String::new();
    };
    let included = |v: &Value| v.as_bool().unwrap_or_else(|| v.as_f64() != Some(0.0));
    let keep: Vec<&String> = fields.keys().filter(|k| included(&fields[*k])).collect();
    let drop: Vec<&String> = fields.keys().filter(|k| !included(&fields[*k])).collect();
    let names = |names: &[&String]| {
        let quoted: Vec<String> = names
            .iter()
            .map(|n| Value::String((*n).clone()).to_string())
            .collect();
        format!("{{{}}}", quoted.join(", "))
    };
    if keep.is_empty() {
        format!(
            "\ndocs = [{{k: v for k, v in d.items() if k not in {}}} for d in docs]",
            names(&drop)
        )
    } else {
        let mut kept = keep.clone();
        let id = "_id".to_owned();
        if !fields.contains_key("_id") {
            kept.insert(0, &id);
        }
        let kept: Vec<&String> = kept.into_iter().filter(|k| !drop.contains(k)).collect();
        format!(
            "\ndocs = [{{k: v for k, v in d.items() if k in {}}} for d in docs]",
            names(&kept)
        )
    }
}

/// `db.name`, or `db.getCollection("name")` for a name that is not a
/// JavaScript identifier.
fn mongo_collection(name: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        format!("db.{name}")
    } else {
        format!("db.getCollection({})", Value::String(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn find() -> CopiedQuery {
        CopiedQuery::Find {
            collection: "people".into(),
            filter: json!({"city": "Saint-Étienne", "note": "it's", "vip": true, "age": {"$gte": 30}}),
            sort: Some(json!({"age": -1})),
            projection: Some(json!({"name": 1, "age": 1})),
            skip: 50,
            limit: Some(50),
        }
    }

    #[test]
    fn shell_quoting_keeps_every_character() {
        assert_eq!(shell_quote("people"), "people");
        assert_eq!(shell_quote("/tmp/my db"), "'/tmp/my db'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn each_form_carries_filter_sort_projection_skip_and_limit() {
        let folder = Path::new("/data/shop");
        let cli = find().as_code(CodeForm::CommandLine, folder);
        assert_eq!(
            cli,
            r#"fluxdb --db /data/shop find people '{"city":"Saint-Étienne","note":"it'\''s","vip":true,"age":{"$gte":30}}' --sort '{"age":-1}' --skip 50 --limit 50 --project '{"name":1,"age":1}'"#
        );
        let rust = find().as_code(CodeForm::Rust, folder);
        assert!(rust.contains(r#"db.find("people", &Find::new(json!({"city":"Saint-Étienne""#));
        assert!(rust.contains(".sort(json!({\"age\":-1}))") && rust.contains(".skip(50)"));
        assert!(rust.contains(".limit(50)") && rust.contains(".projection(json!("));
        let python = find().as_code(CodeForm::Python, folder);
        assert!(python.contains(
            r#"docs = db.find("people", query={"city": "Saint-Étienne", "note": "it's", "vip": True, "age": {"$gte": 30}}, sort={"age": -1}, skip=50, limit=50)"#
        ), "{python}");
        assert!(
            python.contains(r#"if k in {"_id", "name", "age"}"#),
            "{python}"
        );
        assert_eq!(
            find().as_code(CodeForm::MongoShell, folder),
            r#"db.people.find({"city":"Saint-Étienne","note":"it's","vip":true,"age":{"$gte":30}}, {"name":1,"age":1}).sort({"age":-1}).skip(50).limit(50)"#
        );
    }

    #[test]
    fn a_pipeline_and_odd_names_are_copied_too() {
        let query = CopiedQuery::Aggregate {
            collection: "order-lines".into(),
            pipeline: json!([{"$match": {"paid": null}}, {"$limit": 5}]),
        };
        let folder = Path::new("/d");
        assert_eq!(
            query.as_code(CodeForm::MongoShell, folder),
            r#"db.getCollection("order-lines").aggregate([{"$match":{"paid":null}},{"$limit":5}])"#
        );
        assert_eq!(
            query.as_code(CodeForm::CommandLine, folder),
            r#"fluxdb --db /d aggregate order-lines '[{"$match":{"paid":null}},{"$limit":5}]'"#
        );
        assert!(query.as_code(CodeForm::Python, folder).ends_with(
            r#"db.aggregate("order-lines", [{"$match": {"paid": None}}, {"$limit": 5}])"#
        ));
        assert!(
            query
                .as_code(CodeForm::Rust, folder)
                .contains(r#"db.aggregate("order-lines", &json!("#)
        );
    }

    #[test]
    fn an_excluding_projection_drops_its_fields_in_python() {
        let query = CopiedQuery::Find {
            collection: "c".into(),
            filter: json!({}),
            sort: None,
            projection: Some(json!({"address": 0})),
            skip: 0,
            limit: None,
        };
        let python = query.as_code(CodeForm::Python, Path::new("/d"));
        assert!(
            python.contains(r#"docs = db.find("c", query={})"#),
            "{python}"
        );
        assert!(python.contains(r#"if k not in {"address"}"#), "{python}");
    }
}
