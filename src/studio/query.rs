//! A query as Studio holds it: [`QueryForm`], the query bar's text as typed,
//! and [`ParsedQuery`], the checked form the state applies, the export
//! dialog keeps and the worker receives. [`ParsedQuery::to_find`] is the one
//! place it becomes the engine's [`Find`].

use serde_json::Value;

use crate::engine::Find;
use crate::studio::report::line_column;

/// The text of the query bar, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryForm {
    pub filter: String,
    pub sort: String,
    pub projection: String,
}

impl Default for QueryForm {
    fn default() -> Self {
        QueryForm {
            filter: "{}".to_owned(),
            sort: String::new(),
            projection: String::new(),
        }
    }
}

/// Which query-bar field a JSON error is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryField {
    Filter,
    Sort,
    Projection,
}

impl QueryField {
    pub fn name(self) -> &'static str {
        match self {
            QueryField::Filter => "filter",
            QueryField::Sort => "sort",
            QueryField::Projection => "projection",
        }
    }
}

/// Invalid JSON in the query bar, at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonProblem {
    pub field: QueryField,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}:{}: {}",
            self.field.name(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Parses one query-bar field. An empty sort or projection means none; the
/// filter may not be empty-but-invalid, and all three must be JSON objects.
pub fn parse_query_field(field: QueryField, text: &str) -> Result<Option<Value>, JsonProblem> {
    if text.trim().is_empty() {
        return Ok(match field {
            QueryField::Filter => Some(Value::Object(Default::default())),
            QueryField::Sort | QueryField::Projection => None,
        });
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        Ok(_) => {
            let start = text.len() - text.trim_start().len();
            let (line, column) = line_column(text, start);
            Err(JsonProblem {
                field,
                line,
                column,
                message: format!("the {} must be a JSON object ({{…}})", field.name()),
            })
        }
        Err(e) => Err(JsonProblem {
            field,
            line: e.line().max(1),
            column: e.column().max(1),
            message: strip_position(&e.to_string()),
        }),
    }
}

/// serde_json appends " at line L column C"; the UI shows the position itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

impl QueryForm {
    /// All three fields parsed, or the first problem found.
    pub fn parse(&self) -> Result<ParsedQuery, JsonProblem> {
        let filter = parse_query_field(QueryField::Filter, &self.filter)?
            .unwrap_or_else(|| Value::Object(Default::default()));
        Ok(ParsedQuery {
            filter,
            sort: parse_query_field(QueryField::Sort, &self.sort)?,
            projection: parse_query_field(QueryField::Projection, &self.projection)?,
        })
    }
}

/// The query bar's query, checked: the filter, and the sort and projection
/// (`None` for none), each a JSON object. The state applies it, the export
/// dialog keeps it, a page request carries it to the worker.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedQuery {
    pub filter: Value,
    pub sort: Option<Value>,
    pub projection: Option<Value>,
}

impl ParsedQuery {
    /// The records `filter` matches, unsorted and whole.
    pub fn matching(filter: Value) -> ParsedQuery {
        ParsedQuery {
            filter,
            sort: None,
            projection: None,
        }
    }

    /// The engine's query: the filter, sort and projection, with no skip
    /// or limit (a page adds its own).
    pub fn to_find(&self) -> Find {
        let mut find = Find::new(self.filter.clone());
        if let Some(sort) = &self.sort {
            find = find.sort(sort.clone());
        }
        if let Some(projection) = &self.projection {
            find = find.projection(projection.clone());
        }
        find
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_filter_that_is_not_an_object_is_refused() {
        let problem = parse_query_field(QueryField::Filter, "  [1, 2]").err();
        assert_eq!(problem.map(|p| (p.line, p.column)), Some((1, 3)));
    }

    #[test]
    fn an_empty_sort_or_projection_means_none() {
        assert_eq!(parse_query_field(QueryField::Sort, "  "), Ok(None));
        assert_eq!(parse_query_field(QueryField::Projection, ""), Ok(None));
        assert_eq!(
            parse_query_field(QueryField::Filter, ""),
            Ok(Some(json!({})))
        );
    }
}
