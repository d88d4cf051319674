//! The record editor's text: pretty JSON of one record, read back with the
//! line and column of any problem. Bad JSON and a changed `_id` are refused
//! here, so they never reach the pending changes or the engine.

use serde_json::Value;

use crate::Document;
use crate::studio::report::line_column;

/// Why the editor's text cannot be staged, at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}:{}: {}", self.line, self.column, self.message)
    }
}

/// A record as the editor shows it.
pub fn record_text(doc: &Document) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".to_owned())
}

/// Reads the editor's text as the record `id`: a JSON object whose `_id`,
/// if given, is `id` (an `_id` left out is put back, first).
pub fn parse_record(text: &str, id: &str) -> Result<Document, TextProblem> {
    let value = serde_json::from_str::<Value>(text).map_err(|e| TextProblem {
        line: e.line().max(1),
        column: e.column().max(1),
        message: without_position(&e.to_string()),
    })?;
    let Value::Object(mut doc) = value else {
        let start = text.len() - text.trim_start().len();
        let (line, column) = line_column(text, start);
        return Err(TextProblem {
            line,
            column,
            message: "a record must be a JSON object ({…})".to_owned(),
        });
    };
    match doc.get("_id") {
        Some(Value::String(given)) if given == id => Ok(doc),
        Some(_) => {
            let at = text.find("\"_id\"").unwrap_or(0);
            let (line, column) = line_column(text, at);
            Err(TextProblem {
                line,
                column,
                message: format!(
                    "_id cannot be changed (it is {id:?}); Duplicate makes a copy with a new _id"
                ),
            })
        }
        None => {
            let mut with_id = Document::new();
            with_id.insert("_id".to_owned(), Value::String(id.to_owned()));
            with_id.append(&mut doc);
            Ok(with_id)
        }
    }
}

/// serde_json appends " at line L column C"; the editor shows the position itself.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_json_is_refused_with_its_line_and_column() {
        let problem = parse_record("{\n  \"_id\": \"a\",\n  \"n\": x\n}", "a").err();
        assert_eq!(problem.as_ref().map(|p| (p.line, p.column)), Some((3, 8)));
    }

    #[test]
    fn a_changed_id_is_refused_where_it_is() {
        let problem = parse_record("{\n  \"_id\": \"b\"\n}", "a").err();
        assert_eq!(problem.as_ref().map(|p| (p.line, p.column)), Some((2, 3)));
        assert!(problem.is_some_and(|p| p.message.contains("_id cannot be changed")));
    }

    #[test]
    fn a_record_that_is_not_an_object_is_refused() {
        assert!(parse_record("[1]", "a").is_err());
    }

    #[test]
    fn a_left_out_id_is_put_back_first() {
        let doc = parse_record(r#"{"n": 1}"#, "a").ok();
        let keys: Option<Vec<String>> = doc.map(|d| d.keys().cloned().collect());
        assert_eq!(keys, Some(vec!["_id".to_owned(), "n".to_owned()]));
    }

    #[test]
    fn the_pretty_text_reads_back_as_the_same_record() {
        let doc = match json!({"_id": "a", "n": 1.5, "s": "1.5"}) {
            Value::Object(map) => map,
            _ => Document::new(),
        };
        assert_eq!(parse_record(&record_text(&doc), "a"), Ok(doc));
    }
}
