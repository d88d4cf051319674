//! Bars: a field's values as categories, each with the records holding it
//! and the sum and count of a measured field's numbers in those records.
//! At most [`TRACKED_CATEGORIES`] distinct values are followed (values
//! first seen after that count in "other" only); the chart shows the
//! largest few and puts the rest in one "other" bar.

use hashbrown::HashMap;
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::bins::Tally;
use super::path::FieldPath;
use super::spec::{BarOrder, Measure};
use crate::engine::Document;

/// Distinct category values followed exactly.
pub const TRACKED_CATEGORIES: usize = 10_000;
/// A value longer than this (as text) is a category, but its bar cannot be
/// clicked to filter (its value is not kept).
const KEPT_VALUE_BYTES: usize = 256;
/// Characters of a category's label.
const LABEL_CHARS: usize = 48;

/// What a bar stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Category {
    /// Records whose field holds this value.
    Value(Value),
    /// Records without the field.
    Missing,
    /// A value too long to keep; the label describes it.
    Long,
    /// Every category not shown: how many, and whether more were not
    /// followed (past [`TRACKED_CATEGORIES`]).
    Other { categories: usize, at_least: bool },
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct BarValue {
    pub category: Category,
    pub label: String,
    pub tally: Tally,
}

/// The bars of a chart, "other" last.
#[derive(Clone, Debug, PartialEq)]
pub struct Bars {
    pub bars: Vec<BarValue>,
    /// Distinct categories seen (a lower bound when `categories_cut`).
    pub distinct: usize,
    pub categories_cut: bool,
}

#[derive(Debug)]
pub(super) struct BarsBuilder {
    category: FieldPath,
    /// A plain path (no `[]`): a record without it is "missing".
    plain: bool,
    measure: Measure,
    measure_path: Option<FieldPath>,
    top: usize,
    order: BarOrder,
    index: HashMap<u128, usize>,
    categories: Vec<BarValue>,
    /// Records in categories first seen past the cap.
    untracked: Tally,
    categories_cut: bool,
    /// This record's category keys (a record counts once per category).
    seen: Vec<u128>,
    text: String,
}

/// The key of "missing" (no value hashes to it in practice).
const MISSING_KEY: u128 = 0;

impl BarsBuilder {
    pub fn new(category: &str, measure: &Measure, top: usize, order: BarOrder) -> BarsBuilder {
        BarsBuilder {
            category: FieldPath::parse(category),
            plain: !category.contains("[]"),
            measure: measure.clone(),
            measure_path: measure.field().map(FieldPath::parse),
            top: top.max(1),
            order,
            index: HashMap::new(),
            categories: Vec::new(),
            untracked: Tally::default(),
            categories_cut: false,
            seen: Vec::new(),
            text: String::new(),
        }
    }

    pub fn add(&mut self, doc: &Document) {
        let mut tally = Tally {
            count: 1,
            ..Tally::default()
        };
        if let Some(path) = &self.measure_path {
            path.for_each(doc, &mut |value| {
                if let Some(n) = value.as_f64() {
                    tally.sum += n;
                    tally.numbers += 1;
                }
            });
        }
        let mut values = Vec::new();
        self.category.for_each(doc, &mut |value| values.push(value));
        self.seen.clear();
        if values.is_empty() {
            if self.plain {
                self.count(MISSING_KEY, None, &tally);
            }
            return;
        }
        for value in values {
            let key = self.key_of(value);
            if !self.seen.contains(&key) {
                self.seen.push(key);
                self.count(key, Some(value), &tally);
            }
        }
    }

    fn count(&mut self, key: u128, value: Option<&Value>, tally: &Tally) {
        if let Some(&at) = self.index.get(&key) {
            self.categories[at].tally.merge(tally);
            return;
        }
        if self.categories.len() >= TRACKED_CATEGORIES {
            self.untracked.merge(tally);
            self.categories_cut = true;
            return;
        }
        let bar = match value {
            None => BarValue {
                category: Category::Missing,
                label: "(missing)".to_owned(),
                tally: *tally,
            },
            Some(value) => new_bar(value, *tally),
        };
        self.index.insert(key, self.categories.len());
        self.categories.push(bar);
    }

    /// A value's identity: numbers by value (`3` and `3.0` are one
    /// category, as they are one to a filter), others by type and text.
    fn key_of(&mut self, value: &Value) -> u128 {
        let text = &mut self.text;
        text.clear();
        let (seed, bytes): (u64, &[u8]) = match value {
            Value::Null => (1, b""),
            Value::Bool(b) => (2, if *b { b"t" } else { b"f" }),
            Value::Number(_) => {
                *text = number_text(value);
                (3, text.as_bytes())
            }
            Value::String(s) => (4, s.as_bytes()),
            other => {
                *text = other.to_string();
                (5, text.as_bytes())
            }
        };
        // Never MISSING_KEY: the seed is folded into the low bits.
        xxh3_128_with_seed(bytes, seed) | 1
    }

    pub fn finish(self) -> Bars {
        let measure = self.measure.clone();
        let rank = |bar: &BarValue| match measure {
            // An average of few records is not a reason to show a bar.
            Measure::Count | Measure::Average(_) => bar.tally.count as f64,
            Measure::Sum(_) => bar.tally.sum,
        };
        let distinct = self.categories.len();
        let mut ranked: Vec<(usize, BarValue)> = self.categories.into_iter().enumerate().collect();
        // Largest first, ties by first seen.
        ranked.sort_by(|(ia, a), (ib, b)| rank(b).total_cmp(&rank(a)).then(ia.cmp(ib)));
        let rest = ranked.split_off(self.top.min(ranked.len()));
        let mut bars: Vec<BarValue> = ranked.into_iter().map(|(_, bar)| bar).collect();
        match self.order {
            BarOrder::Value => bars.sort_by(|a, b| {
                let value = |bar: &BarValue| measure.of(&bar.tally).unwrap_or(f64::MIN);
                value(b).total_cmp(&value(a))
            }),
            BarOrder::Category => bars.sort_by(category_order),
        }
        let mut other = self.untracked;
        for (_, bar) in &rest {
            other.merge(&bar.tally);
        }
        if other.count > 0 {
            let at_least = self.categories_cut;
            let label = format!(
                "other ({}{} values)",
                if at_least { "over " } else { "" },
                rest.len()
            );
            bars.push(BarValue {
                category: Category::Other {
                    categories: rest.len(),
                    at_least,
                },
                label,
                tally: other,
            });
        }
        Bars {
            bars,
            distinct,
            categories_cut: self.categories_cut,
        }
    }
}

fn new_bar(value: &Value, tally: Tally) -> BarValue {
    let label = match value {
        Value::String(s) => shortened(s),
        Value::Number(_) => number_text(value),
        other => shortened(&other.to_string()),
    };
    let long = match value {
        Value::String(s) => s.len() > KEPT_VALUE_BYTES,
        Value::Array(_) | Value::Object(_) => value.to_string().len() > KEPT_VALUE_BYTES,
        _ => false,
    };
    BarValue {
        category: if long {
            Category::Long
        } else {
            Category::Value(value.clone())
        },
        label,
        tally,
    }
}

/// A whole number as an integer (`3.0` → `3`), any other as JSON writes it.
fn number_text(value: &Value) -> String {
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => format!("{}", n as i64),
        _ => value.to_string(),
    }
}

fn shortened(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(LABEL_CHARS - 1).collect();
    short.push('…');
    short
}

/// Missing first, then null, numbers by value, strings, other values, and
/// values too long to keep, as MongoDB sorts types.
fn category_order(a: &BarValue, b: &BarValue) -> std::cmp::Ordering {
    fn rank(bar: &BarValue) -> u8 {
        match &bar.category {
            Category::Missing => 0,
            Category::Value(Value::Null) => 1,
            Category::Value(Value::Number(_)) => 2,
            Category::Value(Value::String(_)) => 3,
            Category::Value(Value::Object(_)) => 4,
            Category::Value(Value::Array(_)) => 5,
            Category::Value(Value::Bool(_)) => 6,
            Category::Long => 7,
            Category::Other { .. } => 8,
        }
    }
    rank(a)
        .cmp(&rank(b))
        .then_with(|| match (&a.category, &b.category) {
            (Category::Value(Value::Number(x)), Category::Value(Value::Number(y))) => x
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&y.as_f64().unwrap_or(0.0)),
            (Category::Value(Value::String(x)), Category::Value(Value::String(y))) => x.cmp(y),
            (Category::Value(Value::Bool(x)), Category::Value(Value::Bool(y))) => x.cmp(y),
            _ => a.label.cmp(&b.label),
        })
}
