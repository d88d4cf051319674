//! Update behaviour through its public API: parse, apply, and the errors a
//! bad update gets (which leave the document unchanged).

use serde_json::{Value, json};

use super::Update;
use crate::engine::test_doc as doc;
use crate::error::Error;

fn updated(update: Value, before: Value) -> Value {
    let parsed = Update::parse(&update).unwrap_or_else(|e| panic!("{update}: {e}"));
    let mut d = doc(before);
    parsed
        .apply(&mut d)
        .unwrap_or_else(|e| panic!("{update}: {e}"));
    Value::Object(d)
}

fn apply_error(update: Value, before: Value) -> String {
    let parsed = Update::parse(&update).unwrap_or_else(|e| panic!("{update}: {e}"));
    let mut d = doc(before.clone());
    let result = parsed.apply(&mut d);
    assert_eq!(
        Value::Object(d),
        before,
        "a failed update must leave the document unchanged"
    );
    match result {
        Err(Error::InvalidUpdate(message)) => message,
        other => panic!("{update}: expected InvalidUpdate, got {other:?}"),
    }
}

#[test]
fn plain_object_merges_top_level_fields() {
    assert_eq!(
        updated(
            json!({"status": "inactive", "n": {"x": 1}}),
            json!({"_id": "1", "status": "active", "n": {"y": 2}, "k": 1})
        ),
        json!({"_id": "1", "status": "inactive", "n": {"x": 1}, "k": 1})
    );
    assert_eq!(
        updated(json!({"_id": "1", "a": 2}), json!({"_id": "1", "a": 1})),
        json!({"_id": "1", "a": 2})
    );
    assert!(apply_error(json!({"_id": "2"}), json!({"_id": "1"})).contains("_id"));
}

#[test]
fn operators_table() {
    let cases = [
        (
            json!({"$set": {"a": 5}}),
            json!({"a": 1, "b": 2}),
            json!({"a": 5, "b": 2}),
        ),
        (
            json!({"$set": {"c.d": 5}}),
            json!({"a": 1}),
            json!({"a": 1, "c": {"d": 5}}),
        ),
        (
            json!({"$set": {"arr.1": "x"}}),
            json!({"arr": [1, 2, 3]}),
            json!({"arr": [1, "x", 3]}),
        ),
        (
            json!({"$set": {"arr.4": "x"}}),
            json!({"arr": [1]}),
            json!({"arr": [1, null, null, null, "x"]}),
        ),
        (
            json!({"$set": {"arr.0.p": 9}}),
            json!({"arr": [{"p": 1}]}),
            json!({"arr": [{"p": 9}]}),
        ),
        (
            json!({"$unset": {"a": ""}}),
            json!({"a": 1, "b": 2}),
            json!({"b": 2}),
        ),
        (
            json!({"$unset": {"x.y": 1}}),
            json!({"a": 1}),
            json!({"a": 1}),
        ),
        (
            json!({"$unset": {"arr.0": 1}}),
            json!({"arr": [1, 2]}),
            json!({"arr": [null, 2]}),
        ),
        (json!({"$inc": {"n": 2}}), json!({"n": 1}), json!({"n": 3})),
        (
            json!({"$inc": {"n": 0.5}}),
            json!({"n": 1}),
            json!({"n": 1.5}),
        ),
        (json!({"$inc": {"n": -1}}), json!({}), json!({"n": -1})),
        (
            json!({"$inc": {"a.b": 1}}),
            json!({"a": {"b": 1}}),
            json!({"a": {"b": 2}}),
        ),
        (
            json!({"$inc": {"n": 1}}),
            json!({"n": i64::MAX}),
            json!({"n": 9_223_372_036_854_775_808_u64}),
        ),
        (json!({"$mul": {"n": 3}}), json!({"n": 2}), json!({"n": 6})),
        (json!({"$mul": {"n": 3}}), json!({}), json!({"n": 0})),
        (json!({"$mul": {"n": 1.5}}), json!({}), json!({"n": 0.0})),
        (json!({"$min": {"n": 3}}), json!({"n": 5}), json!({"n": 3})),
        (json!({"$min": {"n": 7}}), json!({"n": 5}), json!({"n": 5})),
        (json!({"$min": {"n": 7}}), json!({}), json!({"n": 7})),
        (json!({"$max": {"n": 7}}), json!({"n": 5}), json!({"n": 7})),
        (
            json!({"$max": {"n": "a"}}),
            json!({"n": 5}),
            json!({"n": "a"}),
        ),
        (
            json!({"$rename": {"a": "b"}}),
            json!({"a": 1, "c": 2}),
            json!({"c": 2, "b": 1}),
        ),
        (
            json!({"$rename": {"a": "x.y"}}),
            json!({"a": 1}),
            json!({"x": {"y": 1}}),
        ),
        (
            json!({"$rename": {"nope": "b"}}),
            json!({"b": 1}),
            json!({"b": 1}),
        ),
        (
            json!({"$push": {"t": 3}}),
            json!({"t": [1]}),
            json!({"t": [1, 3]}),
        ),
        (json!({"$push": {"t": 3}}), json!({}), json!({"t": [3]})),
        (
            json!({"$push": {"t": [3]}}),
            json!({"t": []}),
            json!({"t": [[3]]}),
        ),
        (
            json!({"$push": {"t": {"k": 1}}}),
            json!({"t": []}),
            json!({"t": [{"k": 1}]}),
        ),
        (
            json!({"$push": {"t": {"$each": [3, 4]}}}),
            json!({"t": [1]}),
            json!({"t": [1, 3, 4]}),
        ),
        (
            json!({"$push": {"t": {"$each": [0], "$position": 0}}}),
            json!({"t": [1]}),
            json!({"t": [0, 1]}),
        ),
        (
            json!({"$push": {"t": {"$each": [5, 2], "$sort": 1, "$slice": 3}}}),
            json!({"t": [4, 1]}),
            json!({"t": [1, 2, 4]}),
        ),
        (
            json!({"$push": {"t": {"$each": [9], "$slice": -2}}}),
            json!({"t": [1, 2]}),
            json!({"t": [2, 9]}),
        ),
        (
            json!({"$push": {"t": {"$each": [{"s": 2}], "$sort": {"s": -1}}}}),
            json!({"t": [{"s": 1}, {"s": 3}]}),
            json!({"t": [{"s": 3}, {"s": 2}, {"s": 1}]}),
        ),
        (
            json!({"$addToSet": {"t": 2}}),
            json!({"t": [1, 2]}),
            json!({"t": [1, 2]}),
        ),
        (
            json!({"$addToSet": {"t": 2.0}}),
            json!({"t": [1, 2]}),
            json!({"t": [1, 2]}),
        ),
        (
            json!({"$addToSet": {"t": 3}}),
            json!({"t": [1, 2]}),
            json!({"t": [1, 2, 3]}),
        ),
        (
            json!({"$addToSet": {"t": {"$each": [1, 4, 4]}}}),
            json!({"t": [1]}),
            json!({"t": [1, 4]}),
        ),
        (
            json!({"$addToSet": {"t": "x"}}),
            json!({}),
            json!({"t": ["x"]}),
        ),
        (
            json!({"$pull": {"t": 2}}),
            json!({"t": [1, 2, 3, 2]}),
            json!({"t": [1, 3]}),
        ),
        (
            json!({"$pull": {"t": {"$gte": 2}}}),
            json!({"t": [1, 2, 3]}),
            json!({"t": [1]}),
        ),
        (
            json!({"$pull": {"t": {"$in": ["a", "b"]}}}),
            json!({"t": ["a", "c", "b"]}),
            json!({"t": ["c"]}),
        ),
        (
            json!({"$pull": {"i": {"p": {"$gt": 3}}}}),
            json!({"i": [{"p": 1}, {"p": 5, "q": 1}, 7]}),
            json!({"i": [{"p": 1}, 7]}),
        ),
        (json!({"$pull": {"t": 1}}), json!({}), json!({})),
        (
            json!({"$pullAll": {"t": [1, 3]}}),
            json!({"t": [1, 2, 3]}),
            json!({"t": [2]}),
        ),
        (
            json!({"$pop": {"t": 1}}),
            json!({"t": [1, 2]}),
            json!({"t": [1]}),
        ),
        (
            json!({"$pop": {"t": -1}}),
            json!({"t": [1, 2]}),
            json!({"t": [2]}),
        ),
        (
            json!({"$set": {"_id": "1"}}),
            json!({"_id": "1"}),
            json!({"_id": "1"}),
        ),
        (
            json!({"$set": {"a": 1}, "$inc": {"b": 1}}),
            json!({}),
            json!({"a": 1, "b": 1}),
        ),
    ];
    for (update, before, want) in cases {
        assert_eq!(
            updated(update.clone(), before.clone()),
            want,
            "{update} on {before}"
        );
    }
}

#[test]
fn type_errors_name_the_field_and_leave_the_document() {
    let cases = [
        (
            json!({"$inc": {"name": 1}}),
            json!({"name": "x"}),
            "\"name\"",
        ),
        (
            json!({"$mul": {"a.b": 2}}),
            json!({"a": {"b": true}}),
            "\"a.b\"",
        ),
        (json!({"$push": {"t": 1}}), json!({"t": 5}), "not an array"),
        (
            json!({"$addToSet": {"t": 1}}),
            json!({"t": "x"}),
            "not an array",
        ),
        (json!({"$pull": {"t": 1}}), json!({"t": {}}), "not an array"),
        (json!({"$set": {"a.b": 1}}), json!({"a": 5}), "\"a.b\""),
        (json!({"$set": {"arr.x": 1}}), json!({"arr": [1]}), "array"),
        (
            json!({"$set": {"_id": "2", "a": 1}}),
            json!({"_id": "1"}),
            "_id",
        ),
        (json!({"$inc": {"n": 1e308}}), json!({"n": 1e308}), "finite"),
        (
            json!({"$set": {"arr.99999999999": 1}}),
            json!({"arr": []}),
            "position",
        ),
    ];
    for (update, before, needle) in cases {
        let message = apply_error(update.clone(), before);
        assert!(
            message.contains(needle),
            "{update}: {message:?} lacks {needle:?}"
        );
    }
}

#[test]
fn invalid_updates_are_parse_errors() {
    for bad in [
        json!([1]),
        json!({"$set": {"a": 1}, "b": 2}),
        json!({"$frob": {"a": 1}}),
        json!({"$set": 5}),
        json!({"$inc": {"a": "x"}}),
        json!({"$unset": {"_id": 1}}),
        json!({"$rename": {"_id": "x"}}),
        json!({"$rename": {"a": "_id"}}),
        json!({"$rename": {"a": 5}}),
        json!({"$rename": {"a": "a.b"}}),
        json!({"$set": {"a": 1}, "$inc": {"a": 1}}),
        json!({"$set": {"a": 1, "a.b": 1}}),
        json!({"$set": {"items.$.p": 1}}),
        json!({"$set": {"a..b": 1}}),
        json!({"$push": {"t": {"$each": 1}}}),
        json!({"$push": {"t": {"$slice": 1}}}),
        json!({"$pop": {"t": 2}}),
        json!({"$pull": {"t": {"$bogus": 1}}}),
        json!({"$set": {vec!["a"; 101].join("."): 1}}),
    ] {
        assert!(
            matches!(Update::parse(&bad), Err(Error::InvalidUpdate(_))),
            "{bad}"
        );
    }
}
