//! The Schema tab's plain data: which collection and filter it analysed
//! (or is analysing), how far it got, and the result; and the filters its
//! clicks run (a type, "missing", a frequent value).
//!
//! `schema_actions` has the state's side: what runs the analysis and what
//! takes its answers.
//!
//! The tab analyses the query bar's applied filter whenever it is on
//! screen and that filter or the collection changed; a write to the
//! collection marks the result outdated instead of starting over on its
//! own, since an analysis of millions of records takes seconds.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::engine::schema::{FieldSchema, Schema};
use crate::studio::format::read_share;
use crate::studio::worker::RequestId;
use crate::studio::worker::jobs::CancelHandle;

/// What the analysis is of: a collection and the filter applied to it.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaKey {
    pub collection: String,
    pub filter: Value,
}

/// Where the analysis stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SchemaStatus {
    #[default]
    Idle,
    Running {
        id: RequestId,
        /// Records read so far, of the collection's total.
        read: usize,
        total: usize,
        cancel: CancelHandle,
    },
    Done {
        schema: Box<Schema>,
        elapsed: Duration,
    },
    Cancelled,
    Failed(String),
}

/// The Schema tab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchemaTab {
    /// What `status` is about; `None` before the first analysis.
    pub key: Option<SchemaKey>,
    pub status: SchemaStatus,
    /// The collection was written since the result was made.
    pub outdated: bool,
    /// The field whose details are shown below the table.
    pub selected: Option<String>,
}

impl SchemaTab {
    pub fn is_running(&self) -> bool {
        matches!(self.status, SchemaStatus::Running { .. })
    }

    pub fn schema(&self) -> Option<&Schema> {
        match &self.status {
            SchemaStatus::Done { schema, .. } => Some(schema),
            _ => None,
        }
    }

    /// The share of the records read, while running.
    pub fn progress(&self) -> Option<f32> {
        match self.status {
            SchemaStatus::Running { read, total, .. } => Some(read_share(read, total)),
            _ => None,
        }
    }

    pub fn selected_field(&self) -> Option<&FieldSchema> {
        let path = self.selected.as_deref()?;
        self.schema()?.fields.iter().find(|f| f.path == path)
    }
}

/// A click in the Schema tab: the records it asks to see.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemaPick {
    /// Records whose `path` holds a value of this `$type`.
    Type { path: String, type_name: String },
    /// Records without `path`.
    Missing { path: String },
    /// Records whose `path` holds `value`.
    Value { path: String, value: Value },
}

impl SchemaPick {
    /// The filter that shows those records, in MongoDB's terms: a schema
    /// path's `[]` steps become dotted paths, which match inside arrays;
    /// the elements of an array itself (`tags[]`) are asked of with
    /// `$elemMatch`, so `array` and `null` mean the elements, not the field.
    pub fn filter(&self) -> Value {
        match self {
            SchemaPick::Type { path, type_name } => match path.strip_suffix("[]") {
                Some(array) => single(
                    &query_path(array),
                    json!({"$elemMatch": {"$type": type_name}}),
                ),
                None => single(&query_path(path), json!({"$type": type_name})),
            },
            SchemaPick::Missing { path } => single(&query_path(path), json!({"$exists": false})),
            // null matches a missing field too in MongoDB: ask for the type.
            SchemaPick::Value {
                path,
                value: Value::Null,
            } => SchemaPick::Type {
                path: path.clone(),
                type_name: "null".into(),
            }
            .filter(),
            SchemaPick::Value { path, value } => match path.strip_suffix("[]") {
                Some(array) => single(&query_path(array), value.clone()),
                None => single(&query_path(path), value.clone()),
            },
        }
    }
}

/// `items[].sku` → `items.sku`.
fn query_path(path: &str) -> String {
    path.replace("[]", "")
}

fn single(path: &str, test: Value) -> Value {
    let mut filter = Map::new();
    filter.insert(path.to_owned(), test);
    Value::Object(filter)
}

/// `pick` added to the filter already applied: the two objects' fields
/// together when they do not share one, else both under `$and`.
pub fn narrowed(applied: &Value, pick: Value) -> Value {
    match (applied, &pick) {
        (Value::Object(current), _) if current.is_empty() => pick,
        (Value::Object(current), Value::Object(added))
            if added
                .keys()
                .all(|key| !current.contains_key(key) && !key.starts_with('$')) =>
        {
            let mut both = current.clone();
            both.extend(added.clone());
            Value::Object(both)
        }
        _ => json!({"$and": [applied, pick]}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick_type(path: &str, type_name: &str) -> Value {
        SchemaPick::Type {
            path: path.into(),
            type_name: type_name.into(),
        }
        .filter()
    }

    #[test]
    fn picks_become_mongodb_filters() {
        assert_eq!(
            pick_type("age", "string"),
            json!({"age": {"$type": "string"}})
        );
        assert_eq!(
            pick_type("items[].sku", "double"),
            json!({"items.sku": {"$type": "double"}})
        );
        assert_eq!(
            pick_type("tags[]", "array"),
            json!({"tags": {"$elemMatch": {"$type": "array"}}})
        );
        let missing = SchemaPick::Missing {
            path: "addr.city".into(),
        };
        assert_eq!(missing.filter(), json!({"addr.city": {"$exists": false}}));
        let value = |path: &str, value: Value| {
            SchemaPick::Value {
                path: path.into(),
                value,
            }
            .filter()
        };
        assert_eq!(value("city", json!("Oslo")), json!({"city": "Oslo"}));
        assert_eq!(value("tags[]", json!("a")), json!({"tags": "a"}));
        assert_eq!(
            value("city", Value::Null),
            json!({"city": {"$type": "null"}})
        );
    }

    #[test]
    fn a_pick_narrows_the_applied_filter() {
        let pick = json!({"age": {"$type": "string"}});
        assert_eq!(narrowed(&json!({}), pick.clone()), pick);
        assert_eq!(
            narrowed(&json!({"city": "Oslo"}), pick.clone()),
            json!({"city": "Oslo", "age": {"$type": "string"}})
        );
        assert_eq!(
            narrowed(&json!({"age": {"$gt": 3}}), pick.clone()),
            json!({"$and": [{"age": {"$gt": 3}}, {"age": {"$type": "string"}}]})
        );
    }
}
