//! BSON ↔ JSON: how a server's documents become FluxDB's JSON documents
//! and back. `docs/mongodb.md` ("Types") lists each rule for users.
//!
//! BSON → JSON follows MongoDB's relaxed Extended JSON v2, which is plain
//! JSON wherever JSON has the type:
//! - strings, booleans, null, arrays and documents are themselves (field
//!   order kept); 32- and 64-bit integers are JSON integers; finite
//!   doubles are JSON numbers written as floats (`2.0` stays `2.0`);
//! - a top-level ObjectId `_id` becomes its 24-digit hex string, since a
//!   FluxDB `_id` is a string; any other ObjectId is `{"$oid": HEX}`;
//! - every other type is its relaxed Extended JSON object: `{"$date":
//!   ISO-8601}` (or `{"$date": {"$numberLong": MS}}` outside 1970–9999),
//!   `{"$numberDecimal": TEXT}`, `{"$numberDouble": "NaN" | "Infinity" |
//!   "-Infinity"}`, `{"$binary": {"base64", "subType"}}`,
//!   `{"$regularExpression": {"pattern", "options"}}`, `{"$timestamp":
//!   {"t", "i"}}`, `{"$minKey": 1}`, `{"$maxKey": 1}`, `{"$code": …}`,
//!   `{"$symbol": …}`, `{"$undefined": true}`, `{"$dbPointer": …}`.
//!
//! JSON → BSON reads Extended JSON: those same objects become their BSON
//! types again (so a copy server → folder → server keeps dates and
//! decimals), an integer is an Int32 when it fits, else an Int64; an
//! integer above `i64::MAX` (which BSON cannot hold) and every float is a
//! double.

use mongodb::bson::{Bson, Document as BsonDocument, oid::ObjectId};
use serde_json::{Map, Number, Value};

use crate::engine::Document;
use crate::error::{Error, Result};

/// A server's document as a FluxDB document: `_id` first, an ObjectId
/// `_id` as its hex string.
pub fn document_to_json(document: BsonDocument) -> Document {
    let mut out = Map::with_capacity(document.len());
    let mut rest = Vec::with_capacity(document.len());
    for (key, value) in document {
        if key == "_id" {
            let id = match value {
                Bson::ObjectId(oid) => Value::String(oid.to_hex()),
                other => bson_to_json(other),
            };
            out.insert(key, id);
        } else {
            rest.push((key, value));
        }
    }
    for (key, value) in rest {
        out.insert(key, bson_to_json(value));
    }
    out
}

/// One BSON value as JSON (relaxed Extended JSON for the types JSON lacks).
pub fn bson_to_json(value: Bson) -> Value {
    match value {
        Bson::Double(f) if f.is_finite() => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Bson::String(s) => Value::String(s),
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Null => Value::Null,
        Bson::Int32(i) => Value::from(i),
        Bson::Int64(i) => Value::from(i),
        Bson::Array(items) => Value::Array(items.into_iter().map(bson_to_json).collect()),
        Bson::Document(doc) => Value::Object(
            doc.into_iter()
                .map(|(key, value)| (key, bson_to_json(value)))
                .collect(),
        ),
        // NaN, the infinities, ObjectId, dates, decimals, binary, regular
        // expressions, timestamps and the rest: their relaxed form.
        other => other.into_relaxed_extjson(),
    }
}

/// A JSON value (Extended JSON objects included) as BSON; `what` names it
/// in the error ("filter", "document 3").
pub fn json_to_bson(value: &Value, what: &str) -> Result<Bson> {
    Bson::try_from(value.clone()).map_err(|e| {
        Error::InvalidDocument(format!("{what} cannot be sent to a MongoDB server: {e}"))
    })
}

/// A JSON object (a filter, a document, an update) as a BSON document.
pub fn json_to_document(value: &Value, what: &str) -> Result<BsonDocument> {
    match json_to_bson(value, what)? {
        Bson::Document(doc) => Ok(doc),
        other => Err(Error::InvalidDocument(format!(
            "{what} must be a JSON object, not {}",
            bson_type_name(&other)
        ))),
    }
}

/// A FluxDB document as a BSON document, for an insert.
pub fn json_map_to_document(doc: &Document, what: &str) -> Result<BsonDocument> {
    let mut out = BsonDocument::new();
    for (key, value) in doc {
        out.insert(key.clone(), json_to_bson(value, what)?);
    }
    Ok(out)
}

/// The `_id` filter for a FluxDB `_id` string: a 24-digit hex string may
/// be the text of a server's ObjectId (as `find` prints it), so it matches
/// either the ObjectId or the string.
pub fn id_filter(id: &str) -> BsonDocument {
    let mut filter = BsonDocument::new();
    match ObjectId::parse_str(id) {
        Ok(oid) if id.len() == 24 => {
            let mut any = BsonDocument::new();
            any.insert(
                "$in",
                vec![Bson::ObjectId(oid), Bson::String(id.to_owned())],
            );
            filter.insert("_id", any);
        }
        _ => {
            filter.insert("_id", id);
        }
    }
    filter
}

/// A filter as BSON, with a top-level `_id` equal to a 24-digit hex string
/// matching the ObjectId too ([`id_filter`]).
pub fn filter_to_bson(filter: &Value) -> Result<BsonDocument> {
    let mut doc = json_to_document(filter, "the filter")?;
    if let Some(Bson::String(id)) = doc.get("_id")
        && id.len() == 24
        && ObjectId::parse_str(id).is_ok()
    {
        let id = id.clone();
        doc.extend(id_filter(&id));
    }
    Ok(doc)
}

/// The text of a new document's `_id` as `insert` prints it.
pub fn id_text(id: &Bson) -> String {
    match id {
        Bson::ObjectId(oid) => oid.to_hex(),
        Bson::String(s) => s.clone(),
        other => bson_to_json(other.clone()).to_string(),
    }
}

fn bson_type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Array(_) => "an array",
        Bson::String(_) => "a string",
        Bson::Boolean(_) => "a boolean",
        Bson::Null => "null",
        Bson::Document(_) => "an object",
        _ => "a number or another value",
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{DateTime, Decimal128, doc};
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_types_stay_plain_and_an_object_id_becomes_its_hex_at_the_top() {
        let oid = ObjectId::parse_str("64b7f0c2a1b2c3d4e5f60718").unwrap_or_default();
        let server = doc! {
            "n": 7_i32, "big": 9_000_000_000_i64, "f": 2.0, "s": "x", "ok": true,
            "none": Bson::Null, "nested": {"a": [1_i32, 2.5, {"b": "c"}]},
            "ref": oid, "_id": oid,
        };
        let json = document_to_json(server);
        assert_eq!(
            serde_json::to_string(&json).unwrap_or_default(),
            r#"{"_id":"64b7f0c2a1b2c3d4e5f60718","n":7,"big":9000000000,"f":2.0,"s":"x","ok":true,"none":null,"nested":{"a":[1,2.5,{"b":"c"}]},"ref":{"$oid":"64b7f0c2a1b2c3d4e5f60718"}}"#
        );
    }

    #[test]
    fn types_json_lacks_are_relaxed_extended_json_and_come_back() {
        let date = DateTime::from_millis(1_700_000_000_123);
        let decimal: Decimal128 = "12.50".parse().unwrap_or(Decimal128::from_bytes([0; 16]));
        let server = doc! { "when": date, "price": decimal, "inf": f64::INFINITY };
        let json = Value::Object(document_to_json(server.clone()));
        assert_eq!(
            json,
            json!({"when": {"$date": "2023-11-14T22:13:20.123Z"},
                   "price": {"$numberDecimal": "12.50"},
                   "inf": {"$numberDouble": "Infinity"}})
        );
        assert_eq!(json_to_document(&json, "doc").ok(), Some(server));
    }

    #[test]
    fn json_numbers_keep_integers_and_floats_apart() {
        let doc = json_to_document(
            &json!({"a": 1, "b": 5_000_000_000_i64, "c": 1.0, "d": u64::MAX}),
            "doc",
        )
        .unwrap_or_default();
        assert_eq!(doc.get("a"), Some(&Bson::Int32(1)));
        assert_eq!(doc.get("b"), Some(&Bson::Int64(5_000_000_000)));
        assert_eq!(doc.get("c"), Some(&Bson::Double(1.0)));
        assert_eq!(doc.get("d"), Some(&Bson::Double(u64::MAX as f64)));
        assert!(json_to_document(&json!([1]), "the filter").is_err());
        assert!(json_to_document(&json!({"x": {"$oid": "nothex"}}), "doc").is_err());
    }

    #[test]
    fn a_hex_id_matches_the_object_id_or_the_string() {
        let hex = "64b7f0c2a1b2c3d4e5f60718";
        let filter = filter_to_bson(&json!({"_id": hex, "a": 1})).unwrap_or_default();
        let oid = ObjectId::parse_str(hex).unwrap_or_default();
        assert_eq!(
            filter,
            doc! {"_id": {"$in": [oid, hex]}, "a": 1_i32},
            "the _id keeps its place"
        );
        assert_eq!(id_filter("plain"), doc! {"_id": "plain"});
    }
}
