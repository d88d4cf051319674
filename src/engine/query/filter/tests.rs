//! Filter behaviour through its public API: parse, then match documents in
//! typed and legacy-text mode, and the errors a bad filter gets.

use serde_json::{Value, json};

use super::Filter;
use crate::engine::query::value_mode::ValueMode;
use crate::engine::test_doc as doc;
use crate::error::Error;

fn filter(v: Value) -> Filter {
    Filter::parse(&v).unwrap_or_else(|e| panic!("{v} should parse: {e}"))
}

/// (filter, document, expected) in typed mode.
fn check(cases: &[(Value, Value, bool)]) {
    for (f, d, want) in cases {
        assert_eq!(
            filter(f.clone()).matches(&doc(d.clone())),
            *want,
            "filter {f} on {d}"
        );
    }
}

fn parse_error(v: Value) -> String {
    match Filter::parse(&v) {
        Err(Error::InvalidQuery(message)) => message,
        Err(other) => panic!("{v}: wrong error kind {other}"),
        Ok(_) => panic!("{v} should not parse"),
    }
}

#[test]
fn equality_matches_values_arrays_elements_and_numbers_by_value() {
    check(&[
        (json!({"name": "Alice"}), json!({"name": "Alice"}), true),
        (json!({"name": "Alice"}), json!({"name": "alice"}), false),
        (json!({"name": "Alice"}), json!({}), false),
        (json!({"age": 30}), json!({"age": 30.0}), true),
        (json!({"age": 30.0}), json!({"age": 30}), true),
        (json!({"age": 30}), json!({"age": "30"}), false),
        (json!({"tags": "x"}), json!({"tags": ["y", "x"]}), true),
        (
            json!({"tags": ["y", "x"]}),
            json!({"tags": ["y", "x"]}),
            true,
        ),
        (
            json!({"tags": ["x", "y"]}),
            json!({"tags": ["y", "x"]}),
            false,
        ),
        (json!({"tags": ["x"]}), json!({"tags": [["x"], "z"]}), true),
        (
            json!({"a": {"b": 1, "c": 2}}),
            json!({"a": {"b": 1, "c": 2}}),
            true,
        ),
        (
            json!({"a": {"b": 1, "c": 2}}),
            json!({"a": {"c": 2, "b": 1}}),
            false,
        ),
        (json!({"a": {}}), json!({"a": {}}), true),
        (json!({"active": true}), json!({"active": 1}), false),
        (
            json!({"name": "Alice", "age": 30}),
            json!({"name": "Alice", "age": 31}),
            false,
        ),
        (json!({}), json!({"anything": 1}), true),
    ]);
}

#[test]
fn null_equality_matches_null_and_missing_but_not_scalar_arrays() {
    check(&[
        (json!({"f": null}), json!({"f": null}), true),
        (json!({"f": null}), json!({}), true),
        (json!({"f": null}), json!({"f": 0}), false),
        (json!({"f": null}), json!({"f": [1, null]}), true),
        (json!({"a.b": null}), json!({"a": {"c": 1}}), true),
        (json!({"a.b": null}), json!({"a": 5}), true),
        // MongoDB's jstests/core/null2.js
        (json!({"a.b": null}), json!({"a": [{"b": 5}]}), false),
        (json!({"a.b": null}), json!({"a": [{}]}), true),
        (json!({"a.b": null}), json!({"a": []}), false),
        (json!({"a.b": null}), json!({"a": [{}, {"b": 5}]}), true),
        (json!({"a.b": null}), json!({"a": [5, {"b": 5}]}), false),
        (json!({"a.b": {"$in": [null]}}), json!({"a": [{}]}), true),
        (json!({"f": {"$ne": null}}), json!({}), false),
        (json!({"f": {"$ne": null}}), json!({"f": 1}), true),
        (json!({"f": {"$gte": null}}), json!({}), true),
        (json!({"f": {"$gt": null}}), json!({"f": null}), false),
    ]);
}

#[test]
fn comparisons_stay_within_the_type_bracket() {
    check(&[
        (json!({"age": {"$gt": 20}}), json!({"age": 30}), true),
        (json!({"age": {"$gt": 20}}), json!({"age": 20}), false),
        (json!({"age": {"$gte": 20}}), json!({"age": 20.0}), true),
        (json!({"age": {"$lt": 20}}), json!({"age": -5.5}), true),
        (json!({"age": {"$lte": 20}}), json!({"age": 21}), false),
        (json!({"age": {"$gt": 20}}), json!({"age": "30"}), false),
        (json!({"age": {"$lt": 20}}), json!({"age": null}), false),
        (json!({"age": {"$lt": 20}}), json!({}), false),
        (json!({"name": {"$gt": "B"}}), json!({"name": "Bob"}), true),
        (json!({"name": {"$gt": "B"}}), json!({"name": 5}), false),
        (json!({"name": {"$lt": "b"}}), json!({"name": "B"}), true),
        (json!({"flag": {"$gt": false}}), json!({"flag": true}), true),
        (json!({"flag": {"$gt": false}}), json!({"flag": 1}), false),
        (
            json!({"age": {"$gt": 20, "$lt": 30}}),
            json!({"age": 25}),
            true,
        ),
        (
            json!({"age": {"$gt": 20, "$lt": 30}}),
            json!({"age": 35}),
            false,
        ),
        // each operator may be met by a different element
        (
            json!({"age": {"$gt": 20, "$lt": 30}}),
            json!({"age": [10, 40]}),
            true,
        ),
        (
            json!({"scores": {"$gt": 90}}),
            json!({"scores": [50, 95]}),
            true,
        ),
        (
            json!({"scores": {"$gt": 90}}),
            json!({"scores": [50, 60]}),
            false,
        ),
        (
            json!({"n": {"$gt": 9_007_199_254_740_992_u64}}),
            json!({"n": 9_007_199_254_740_993_u64}),
            true,
        ),
        (
            json!({"n": {"$gt": 9_007_199_254_740_992.0}}),
            json!({"n": 9_007_199_254_740_993_u64}),
            true,
        ),
    ]);
}

#[test]
fn ne_eq_in_nin_semantics() {
    check(&[
        (json!({"a": {"$eq": 1}}), json!({"a": [0, 1]}), true),
        (json!({"a": {"$ne": 1}}), json!({"a": 2}), true),
        (json!({"a": {"$ne": 1}}), json!({}), true),
        (json!({"a": {"$ne": 1}}), json!({"a": [0, 1]}), false),
        (json!({"a": {"$ne": 1}}), json!({"a": 1.0}), false),
        (
            json!({"s": {"$in": ["active", "pending"]}}),
            json!({"s": "pending"}),
            true,
        ),
        (
            json!({"s": {"$in": ["active", "pending"]}}),
            json!({"s": "closed"}),
            false,
        ),
        (
            json!({"s": {"$in": ["active"]}}),
            json!({"s": ["x", "active"]}),
            true,
        ),
        (json!({"s": {"$in": []}}), json!({"s": 1}), false),
        (
            json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x", null]}}),
            json!({"s": 6.0}),
            true,
        ),
        (
            json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x", null]}}),
            json!({}),
            true,
        ),
        (
            json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x"]}}),
            json!({"s": "y"}),
            false,
        ),
        (json!({"s": {"$in": [[1, 2]]}}), json!({"s": [1, 2]}), true),
    ]);
    let big = json!({"s": {"$in": ["a", "b", "c", "d", "e", 1, 2.5, 7, 9, [1], [2], {"k": 1}, {"k": 2}, true, null]}});
    check(&[
        (big.clone(), json!({"s": "d"}), true),
        (big.clone(), json!({"s": "dd"}), false),
        (big.clone(), json!({"s": 2.5}), true),
        (big.clone(), json!({"s": 9.0}), true),
        (big.clone(), json!({"s": 2}), false),
        (big.clone(), json!({"s": [1]}), true),
        (big.clone(), json!({"s": [3, 1]}), true),
        (big.clone(), json!({"s": [[2]]}), true),
        (big.clone(), json!({"s": [[3]]}), false),
        (big.clone(), json!({"s": {"k": 2}}), true),
        (big.clone(), json!({"s": {"k": 3}}), false),
        (big.clone(), json!({"s": true}), true),
        (big.clone(), json!({"s": false}), false),
        (big.clone(), json!({}), true),
        (json!({"s": {"$nin": ["a", "b"]}}), json!({"s": "c"}), true),
        (json!({"s": {"$nin": ["a", "b"]}}), json!({}), true),
        (
            json!({"s": {"$nin": ["a", "b"]}}),
            json!({"s": ["c", "a"]}),
            false,
        ),
    ]);
}

#[test]
fn exists_and_type() {
    check(&[
        (json!({"a": {"$exists": true}}), json!({"a": null}), true),
        (json!({"a": {"$exists": true}}), json!({}), false),
        (json!({"a": {"$exists": false}}), json!({}), true),
        (json!({"a": {"$exists": false}}), json!({"a": 1}), false),
        (
            json!({"a.b": {"$exists": true}}),
            json!({"a": [{"c": 1}, {"b": 2}]}),
            true,
        ),
        (
            json!({"a.b": {"$exists": false}}),
            json!({"a": [{"c": 1}, {"b": 2}]}),
            false,
        ),
        (json!({"a": {"$exists": 1}}), json!({"a": 0}), true),
        (json!({"a": {"$type": "string"}}), json!({"a": "x"}), true),
        (json!({"a": {"$type": "string"}}), json!({"a": 1}), false),
        (json!({"a": {"$type": "number"}}), json!({"a": 1.5}), true),
        (json!({"a": {"$type": "int"}}), json!({"a": 7}), true),
        (json!({"a": {"$type": "int"}}), json!({"a": 7.5}), false),
        (
            json!({"a": {"$type": "long"}}),
            json!({"a": 5_000_000_000_i64}),
            true,
        ),
        (json!({"a": {"$type": "double"}}), json!({"a": 7.5}), true),
        (json!({"a": {"$type": "null"}}), json!({"a": null}), true),
        (json!({"a": {"$type": "null"}}), json!({}), false),
        (json!({"a": {"$type": "bool"}}), json!({"a": false}), true),
        (json!({"a": {"$type": "object"}}), json!({"a": {}}), true),
        (json!({"a": {"$type": "array"}}), json!({"a": []}), true),
        (json!({"a": {"$type": "array"}}), json!({"a": {}}), false),
        (
            json!({"a": {"$type": "string"}}),
            json!({"a": [1, "x"]}),
            true,
        ),
        (
            json!({"a": {"$type": ["string", "null"]}}),
            json!({"a": null}),
            true,
        ),
        (json!({"a": {"$type": 2}}), json!({"a": "x"}), true),
        (
            json!({"a": {"$type": "date"}}),
            json!({"a": "2024-01-01"}),
            false,
        ),
    ]);
}

#[test]
fn logical_operators() {
    check(&[
        (
            json!({"$and": [{"a": 1}, {"b": 2}]}),
            json!({"a": 1, "b": 2}),
            true,
        ),
        (
            json!({"$and": [{"a": 1}, {"b": 2}]}),
            json!({"a": 1, "b": 3}),
            false,
        ),
        (
            json!({"$or": [{"a": 1}, {"b": 2}]}),
            json!({"a": 0, "b": 2}),
            true,
        ),
        (
            json!({"$or": [{"a": 1}, {"b": 2}]}),
            json!({"a": 0, "b": 0}),
            false,
        ),
        (
            json!({"$nor": [{"a": 1}, {"b": 2}]}),
            json!({"a": 0, "b": 0}),
            true,
        ),
        (
            json!({"$nor": [{"a": 1}, {"b": 2}]}),
            json!({"a": 1}),
            false,
        ),
        (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": 3}), true),
        (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": 9}), false),
        (json!({"a": {"$not": {"$gt": 5}}}), json!({}), true),
        (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": "x"}), true),
        (
            json!({"$or": [{"a": {"$gt": 5}}, {"$and": [{"b": 1}, {"c": {"$exists": false}}]}]}),
            json!({"b": 1}),
            true,
        ),
        (json!({"a": 1, "$comment": "why"}), json!({"a": 1}), true),
    ]);
}

#[test]
fn regex_with_options() {
    check(&[
        (json!({"n": {"$regex": "^Al"}}), json!({"n": "Alice"}), true),
        (
            json!({"n": {"$regex": "^al"}}),
            json!({"n": "Alice"}),
            false,
        ),
        (
            json!({"n": {"$regex": "^al", "$options": "i"}}),
            json!({"n": "Alice"}),
            true,
        ),
        (
            json!({"n": {"$regex": "^b", "$options": "m"}}),
            json!({"n": "a\nb"}),
            true,
        ),
        (json!({"n": {"$regex": "^b"}}), json!({"n": "a\nb"}), false),
        (
            json!({"n": {"$regex": "a.b", "$options": "s"}}),
            json!({"n": "a\nb"}),
            true,
        ),
        (json!({"n": {"$regex": "a.b"}}), json!({"n": "a\nb"}), false),
        (
            json!({"n": {"$regex": "a b # comment", "$options": "x"}}),
            json!({"n": "ab"}),
            true,
        ),
        (json!({"n": {"$regex": "1"}}), json!({"n": 1}), false),
        (
            json!({"n": {"$regex": "^x"}}),
            json!({"n": ["a", "xy"]}),
            true,
        ),
        (
            json!({"n": {"$not": {"$regex": "^x"}}}),
            json!({"n": "abc"}),
            true,
        ),
    ]);
}

#[test]
fn array_operators_size_all_elem_match() {
    check(&[
        (json!({"t": {"$size": 2}}), json!({"t": [1, 2]}), true),
        (json!({"t": {"$size": 2}}), json!({"t": [1]}), false),
        (json!({"t": {"$size": 0}}), json!({"t": []}), true),
        (json!({"t": {"$size": 1}}), json!({"t": "x"}), false),
        (json!({"t": {"$size": 1}}), json!({"t": [[1, 2]]}), true),
        (
            json!({"t": {"$all": ["a", "b"]}}),
            json!({"t": ["b", "c", "a"]}),
            true,
        ),
        (
            json!({"t": {"$all": ["a", "b"]}}),
            json!({"t": ["a", "c"]}),
            false,
        ),
        (json!({"t": {"$all": ["a"]}}), json!({"t": "a"}), true),
        (json!({"t": {"$all": []}}), json!({"t": []}), false),
        (
            json!({"t": {"$all": [["a", "b"]]}}),
            json!({"t": ["a", "b"]}),
            true,
        ),
        (
            json!({"r": {"$elemMatch": {"$gte": 80, "$lt": 85}}}),
            json!({"r": [82, 90]}),
            true,
        ),
        (
            json!({"r": {"$elemMatch": {"$gte": 80, "$lt": 85}}}),
            json!({"r": [79, 90]}),
            false,
        ),
        (
            json!({"r": {"$elemMatch": {"$gte": 80}}}),
            json!({"r": 90}),
            false,
        ),
        (
            json!({"i": {"$elemMatch": {"p": "x", "q": {"$gt": 1}}}}),
            json!({"i": [{"p": "x", "q": 1}, {"p": "y", "q": 5}]}),
            false,
        ),
        (
            json!({"i": {"$elemMatch": {"p": "x", "q": {"$gt": 1}}}}),
            json!({"i": [{"p": "x", "q": 2}]}),
            true,
        ),
        (
            json!({"i": {"p": "x", "q": 1}}),
            json!({"i": [{"p": "x", "q": 1}]}),
            true,
        ),
        (
            json!({"i": {"$elemMatch": {"$or": [{"p": "z"}, {"q": 1}]}}}),
            json!({"i": [{"p": "x", "q": 1}]}),
            true,
        ),
        (
            json!({"t": {"$all": [{"$elemMatch": {"$gt": 5}}, {"$elemMatch": {"$lt": 2}}]}}),
            json!({"t": [1, 9]}),
            true,
        ),
        (
            json!({"t": {"$all": [{"$elemMatch": {"$gt": 5}}, {"$elemMatch": {"$lt": 2}}]}}),
            json!({"t": [3, 9]}),
            false,
        ),
    ]);
}

#[test]
fn dot_paths_into_objects_arrays_and_positions() {
    check(&[
        (
            json!({"address.city": "Oslo"}),
            json!({"address": {"city": "Oslo"}}),
            true,
        ),
        (
            json!({"address.city": "Oslo"}),
            json!({"address": "Oslo"}),
            false,
        ),
        (json!({"tags.0": "x"}), json!({"tags": ["x", "y"]}), true),
        (json!({"tags.1": "x"}), json!({"tags": ["x", "y"]}), false),
        (
            json!({"tags.0": {"$exists": true}}),
            json!({"tags": []}),
            false,
        ),
        (
            json!({"items.price": {"$gt": 10}}),
            json!({"items": [{"price": 5}, {"price": 15}]}),
            true,
        ),
        (
            json!({"items.price": {"$gt": 10}}),
            json!({"items": [{"price": 5}, {"price": 7}]}),
            false,
        ),
        (
            json!({"items.price": 5}),
            json!({"items": {"price": 5}}),
            true,
        ),
        (
            json!({"items.0.price": 5}),
            json!({"items": [{"price": 5}]}),
            true,
        ),
        (json!({"a.b.c": 1}), json!({"a": [{"b": [{"c": 1}]}]}), true),
        (json!({"a.b": 1}), json!({"a": [[{"b": 1}]]}), false),
    ]);
}

#[test]
fn legacy_text_mode_matches_numeric_text_for_number_operands() {
    let cases: &[(Value, Value, bool, bool)] = &[
        // filter, doc, typed, legacy
        (
            json!({"age": {"$gt": 20}}),
            json!({"age": "30"}),
            false,
            true,
        ),
        (json!({"age": 30}), json!({"age": "30"}), false, true),
        (json!({"age": 30}), json!({"age": "30.0"}), false, true),
        (json!({"age": 30}), json!({"age": 30}), true, true),
        (
            json!({"age": {"$lt": 20}}),
            json!({"age": "30"}),
            false,
            false,
        ),
        (
            json!({"age": {"$gt": 20}}),
            json!({"age": "abc"}),
            false,
            false,
        ),
        (
            json!({"age": {"$in": [30, 40]}}),
            json!({"age": "40"}),
            false,
            true,
        ),
        (
            json!({"age": {"$nin": [30, 40]}}),
            json!({"age": "40"}),
            true,
            false,
        ),
        (
            json!({"age": {"$ne": 30}}),
            json!({"age": "30"}),
            true,
            false,
        ),
        (json!({"n": "30"}), json!({"n": "30"}), true, true),
        (
            json!({"big": {"$gt": 1e15}}),
            json!({"big": "1e+16"}),
            false,
            true,
        ),
        (json!({"flag": true}), json!({"flag": "True"}), false, false),
    ];
    for (f, d, typed, legacy) in cases {
        let parsed = filter(f.clone());
        let d = doc(d.clone());
        assert_eq!(
            parsed.matches_in(&d, ValueMode::Typed),
            *typed,
            "typed {f} on {d:?}"
        );
        assert_eq!(
            parsed.matches_in(&d, ValueMode::LegacyText),
            *legacy,
            "legacy {f} on {d:?}"
        );
    }
}

#[test]
fn seed_examples_parse_and_match() {
    let alice = doc(json!({"_id": "1", "name": "Alice", "age": 30, "status": "active"}));
    let cases = [
        json!({"name": "Alice"}),
        json!({"age": {"$gt": 20}}),
        json!({"age": {"$gt": 20, "$lt": 31}}),
        json!({"status": {"$in": ["active", "pending"]}}),
        json!({"age": {"$gt": 20, "$lt": 31}, "status": {"$in": ["active"]}}),
    ];
    for f in cases {
        assert!(filter(f.clone()).matches(&alice), "{f}");
    }
}

#[test]
fn errors_name_the_operator_and_path() {
    let cases: &[(Value, &[&str])] = &[
        (json!([1]), &["JSON object", "an array"]),
        (json!("x"), &["JSON object"]),
        (json!({"age": {"$foo": 1}}), &["$foo", "\"age\""]),
        (json!({"$foo": []}), &["$foo"]),
        (json!({"$where": "x"}), &["$where"]),
        (json!({"a": {"$in": 5}}), &["$in", "\"a\""]),
        (json!({"a": {"$nin": "x"}}), &["$nin"]),
        (json!({"$or": {}}), &["$or"]),
        (json!({"$and": []}), &["$and", "non-empty"]),
        (json!({"$or": [1]}), &["$or", "element 0"]),
        (
            json!({"a": {"$regex": "("}}),
            &["$regex", "\"a\"", "invalid pattern"],
        ),
        (json!({"a": {"$regex": "(?<=x)y"}}), &["$regex"]),
        (
            json!({"a": {"$regex": "x", "$options": "q"}}),
            &["$options", "'q'"],
        ),
        (json!({"a": {"$options": "i"}}), &["$options", "$regex"]),
        (json!({"a": {"$regex": 5}}), &["$regex"]),
        (json!({"a": {"$type": "widget"}}), &["$type", "widget"]),
        (json!({"a": {"$size": -1}}), &["$size"]),
        (json!({"a": {"$size": 1.5}}), &["$size"]),
        (json!({"a": {"$not": 5}}), &["$not", "\"a\""]),
        (json!({"a": {"$not": {}}}), &["$not"]),
        (json!({"a": {"$all": 5}}), &["$all"]),
        (json!({"a": {"$elemMatch": 5}}), &["$elemMatch"]),
        (json!({"a": {"$exists": "yes"}}), &["$exists"]),
        (json!({"a": {"$gt": 1, "b": 2}}), &["mixes", "\"b\""]),
        (json!({"a..b": 1}), &["empty segment"]),
        (json!({"$not": {"a": 1}}), &["$not", "$nor"]),
        (json!({"a": {"$in": [{"$gt": 1}]}}), &["$in"]),
    ];
    for (f, needles) in cases {
        let message = parse_error(f.clone());
        for needle in *needles {
            assert!(
                message.contains(needle),
                "error for {f}: {message:?} lacks {needle:?}"
            );
        }
    }
}

#[test]
fn regex_size_is_bounded() {
    let message = parse_error(json!({"a": {"$regex": "(?:\\w{500}){500}"}}));
    assert!(message.contains("$regex"), "{message}");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut f = json!({"a": 1});
    for _ in 0..300 {
        f = json!({"$and": [f]});
    }
    assert!(parse_error(f).contains("deeper than"));
    let mut f = json!({"$gt": 1});
    for _ in 0..300 {
        f = json!({"$not": f});
    }
    assert!(parse_error(json!({"a": f})).contains("deeper than"));
    let mut f = json!({"b": 1});
    for _ in 0..300 {
        f = json!({"$elemMatch": f});
    }
    assert!(parse_error(json!({"a": f})).contains("deeper than"));
    let mut v = json!(1);
    for _ in 0..500 {
        v = json!([v]);
    }
    assert!(parse_error(json!({"a": v})).contains("deeper than"));
    let mut ok = json!({"a": 1});
    for _ in 0..50 {
        ok = json!({"$or": [ok]});
    }
    assert!(filter(ok).matches(&doc(json!({"a": 1}))));
}

#[test]
fn match_all_is_recognised() {
    assert!(filter(json!({})).is_match_all());
    assert!(Filter::match_all().is_match_all());
    assert!(!filter(json!({"a": 1})).is_match_all());
}
