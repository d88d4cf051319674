//! `$group`: documents grouped by an `_id` expression, with accumulators
//! `$sum $count $avg $min $max $first $last $push $addToSet`.
//!
//! Groups are keyed by the index key encoding of their `_id`, so grouping
//! uses MongoDB's equality (`30` and `30.0` are one group) and groups come out
//! in the order they were first seen.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

use super::expression::Expr;
use crate::engine::Document;
use crate::engine::index::key::encode_key;
use crate::engine::query::{ValueMode, compare_values};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) struct Group {
    id: Expr,
    accumulators: Vec<Accumulator>,
}

#[derive(Debug, Clone)]
struct Accumulator {
    name: String,
    op: AccumulatorOp,
    expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccumulatorOp {
    Sum,
    Count,
    Avg,
    Min,
    Max,
    First,
    Last,
    Push,
    AddToSet,
}

/// The running value of one accumulator in one group.
#[derive(Debug)]
enum State {
    Sum {
        integer: i128,
        float: f64,
        saw_float: bool,
    },
    Count(u64),
    Avg {
        total: f64,
        count: u64,
    },
    Min(Option<Value>),
    Max(Option<Value>),
    First(Option<Value>),
    Last(Value),
    Push(Vec<Value>),
    AddToSet {
        values: Vec<Value>,
        seen: HashSet<Vec<u8>>,
    },
}

/// The groups of one `$group` run, in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct GroupState {
    index: HashMap<Vec<u8>, usize>,
    groups: Vec<(Value, Vec<State>)>,
}

impl Group {
    /// The top-level fields the group reads, or `None` if it needs whole documents.
    pub(crate) fn input_fields(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let all = self.id.collect_roots(&mut out)
            && self
                .accumulators
                .iter()
                .all(|a| a.expr.collect_roots(&mut out));
        all.then_some(out)
    }

    pub(crate) fn parse(spec: &Value, context: &str) -> Result<Group> {
        let Value::Object(fields) = spec else {
            return Err(Error::InvalidPipeline(format!(
                "{context} needs an object such as {{\"_id\": \"$field\", \"count\": {{\"$sum\": 1}}}}"
            )));
        };
        let id = fields.get("_id").ok_or_else(|| {
            Error::InvalidPipeline(format!(
                "{context} needs an _id (null, \"$field\" or an object)"
            ))
        })?;
        let id = Expr::parse(id, &format!("{context} _id"))?;
        let accumulators = fields
            .iter()
            .filter(|(name, _)| *name != "_id")
            .map(|(name, spec)| Accumulator::parse(name, spec, context))
            .collect::<Result<Vec<_>>>()?;
        Ok(Group { id, accumulators })
    }

    pub(crate) fn add(&self, state: &mut GroupState, doc: &Document, mode: ValueMode) {
        let key = self.id.eval(doc).unwrap_or(Value::Null);
        let encoded = encode_key(&key);
        let position = match state.index.get(&encoded) {
            Some(&position) => position,
            None => {
                let fresh = self.accumulators.iter().map(|a| a.op.start()).collect();
                state.groups.push((key, fresh));
                state.index.insert(encoded, state.groups.len() - 1);
                state.groups.len() - 1
            }
        };
        let (_, states) = &mut state.groups[position];
        for (accumulator, state) in self.accumulators.iter().zip(states.iter_mut()) {
            let value = match accumulator.op {
                AccumulatorOp::Count => None,
                _ => accumulator.expr.eval(doc),
            };
            state.add(value, mode);
        }
    }

    pub(crate) fn finish(&self, state: GroupState) -> Vec<Document> {
        state
            .groups
            .into_iter()
            .map(|(key, states)| {
                let mut out = Map::new();
                out.insert("_id".to_string(), key);
                for (accumulator, state) in self.accumulators.iter().zip(states) {
                    out.insert(accumulator.name.clone(), state.finish());
                }
                out
            })
            .collect()
    }
}

impl Accumulator {
    fn parse(name: &str, spec: &Value, context: &str) -> Result<Accumulator> {
        let where_ = format!("{context} field {name:?}");
        if name.starts_with('$') || name.contains('.') {
            return Err(Error::InvalidPipeline(format!(
                "{where_}: output field names cannot start with $ or contain dots"
            )));
        }
        let (op_name, argument) = match spec {
            Value::Object(fields) if fields.len() == 1 => fields
                .iter()
                .next()
                .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v)),
            _ => {
                return Err(Error::InvalidPipeline(format!(
                    "{where_} needs one accumulator such as {{\"$sum\": 1}}, not {spec}"
                )));
            }
        };
        let op = match op_name {
            "$sum" => AccumulatorOp::Sum,
            "$count" => AccumulatorOp::Count,
            "$avg" => AccumulatorOp::Avg,
            "$min" => AccumulatorOp::Min,
            "$max" => AccumulatorOp::Max,
            "$first" => AccumulatorOp::First,
            "$last" => AccumulatorOp::Last,
            "$push" => AccumulatorOp::Push,
            "$addToSet" => AccumulatorOp::AddToSet,
            other => {
                return Err(Error::InvalidPipeline(format!(
                    "{where_}: unknown accumulator {other}"
                )));
            }
        };
        if op == AccumulatorOp::Count {
            // MongoDB's form is {"$count": {}}; the seed wrote {"$count": 1}.
            let counts = match argument {
                Value::Object(o) => o.is_empty(),
                Value::Number(n) => n.as_f64() == Some(1.0),
                _ => false,
            };
            if !counts {
                return Err(Error::InvalidPipeline(format!(
                    "{where_}: $count takes {{}} (or 1), not {argument}; to sum a field use {{\"$sum\": \"$field\"}}"
                )));
            }
        }
        Ok(Accumulator {
            name: name.to_string(),
            op,
            expr: Expr::parse(argument, &format!("{where_} {op_name}"))?,
        })
    }
}

impl AccumulatorOp {
    fn start(self) -> State {
        match self {
            AccumulatorOp::Sum => State::Sum {
                integer: 0,
                float: 0.0,
                saw_float: false,
            },
            AccumulatorOp::Count => State::Count(0),
            AccumulatorOp::Avg => State::Avg {
                total: 0.0,
                count: 0,
            },
            AccumulatorOp::Min => State::Min(None),
            AccumulatorOp::Max => State::Max(None),
            AccumulatorOp::First => State::First(None),
            AccumulatorOp::Last => State::Last(Value::Null),
            AccumulatorOp::Push => State::Push(Vec::new()),
            AccumulatorOp::AddToSet => State::AddToSet {
                values: Vec::new(),
                seen: HashSet::new(),
            },
        }
    }
}

/// `$min`/`$max` keep the extreme in MongoDB's order, ignoring null and missing.
fn keep_extreme(best: &mut Option<Value>, value: Option<Value>, wanted: Ordering) {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return;
    };
    if best
        .as_ref()
        .is_none_or(|b| compare_values(&value, b) == wanted)
    {
        *best = Some(value);
    }
}

/// A number to sum: JSON numbers, and in legacy text mode numeric text.
fn summable(value: &Value, mode: ValueMode) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(text) if mode == ValueMode::LegacyText => {
            crate::engine::query::parse_numeric_text(text)
        }
        _ => None,
    }
}

impl State {
    fn add(&mut self, value: Option<Value>, mode: ValueMode) {
        match self {
            State::Count(n) => *n += 1,
            State::Sum {
                integer,
                float,
                saw_float,
            } => {
                let Some(n) = value.as_ref().and_then(|v| summable(v, mode)) else {
                    return;
                };
                if let Some(i) = n.as_i64() {
                    *integer = integer.saturating_add(i128::from(i));
                } else if let Some(u) = n.as_u64() {
                    *integer = integer.saturating_add(i128::from(u));
                } else {
                    *float += n.as_f64().unwrap_or(0.0);
                    *saw_float = true;
                }
            }
            State::Avg { total, count } => {
                if let Some(n) = value.as_ref().and_then(|v| summable(v, mode)) {
                    *total += n.as_f64().unwrap_or(0.0);
                    *count += 1;
                }
            }
            State::Min(best) => keep_extreme(best, value, Ordering::Less),
            State::Max(best) => keep_extreme(best, value, Ordering::Greater),
            State::First(first) => {
                if first.is_none() {
                    *first = Some(value.unwrap_or(Value::Null));
                }
            }
            State::Last(last) => *last = value.unwrap_or(Value::Null),
            State::Push(values) => values.extend(value),
            State::AddToSet { values, seen } => {
                if let Some(value) = value
                    && seen.insert(encode_key(&value))
                {
                    values.push(value);
                }
            }
        }
    }

    fn finish(self) -> Value {
        match self {
            State::Count(n) => Value::from(n),
            State::Sum {
                integer,
                float,
                saw_float,
            } => {
                let exact = (!saw_float).then_some(integer);
                if let Some(v) = exact {
                    if let Ok(i) = i64::try_from(v) {
                        return Value::from(i);
                    }
                    if let Ok(u) = u64::try_from(v) {
                        return Value::from(u);
                    }
                }
                Number::from_f64(integer as f64 + float).map_or(Value::Null, Value::Number)
            }
            State::Avg { total, count } => {
                if count == 0 {
                    Value::Null
                } else {
                    Number::from_f64(total / count as f64).map_or(Value::Null, Value::Number)
                }
            }
            State::Min(best) | State::Max(best) => best.unwrap_or(Value::Null),
            State::First(first) => first.unwrap_or(Value::Null),
            State::Last(last) => last,
            State::Push(values) | State::AddToSet { values, .. } => Value::Array(values),
        }
    }
}
