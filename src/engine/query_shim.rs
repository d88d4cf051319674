//! Interim query pieces until the query module lands (removed on merge).
#![allow(dead_code)]
use std::cmp::Ordering;

use serde_json::Value;

use crate::engine::Document;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueMode {
    Typed,
    LegacyText,
}

pub struct Filter(Vec<(String, Value)>);

impl Filter {
    pub fn parse(v: &Value) -> Result<Filter> {
        match v {
            Value::Object(m) => Ok(Filter(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())),
            _ => Err(Error::InvalidQuery("a filter must be an object".into())),
        }
    }
    pub fn is_match_all(&self) -> bool {
        self.0.is_empty()
    }
    pub fn matches(&self, doc: &Document) -> bool {
        self.matches_in(doc, ValueMode::Typed)
    }
    pub fn matches_in(&self, doc: &Document, _m: ValueMode) -> bool {
        self.0.iter().all(|(k, cond)| {
            let v = doc.get(k);
            match cond {
                Value::Object(ops) if ops.keys().all(|k| k.starts_with('$')) => ops.iter().all(|(op, arg)| match (op.as_str(), v) {
                    ("$gt", Some(v)) => cmp(v, arg) == Some(Ordering::Greater),
                    ("$lt", Some(v)) => cmp(v, arg) == Some(Ordering::Less),
                    ("$in", Some(v)) => arg.as_array().is_some_and(|a| a.contains(v)),
                    _ => false,
                }),
                _ => v == Some(cond),
            }
        })
    }
}

fn cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

pub struct Sort(Vec<(String, i64)>);
impl Sort {
    pub fn parse(v: &Value) -> Result<Sort> {
        match v {
            Value::Object(m) => Ok(Sort(m.iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(1))).collect())),
            _ => Err(Error::InvalidQuery("a sort must be an object".into())),
        }
    }
    pub fn compare_in(&self, a: &Document, b: &Document, _m: ValueMode) -> Ordering {
        for (k, d) in &self.0 {
            let o = match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => cmp(x, y).unwrap_or(Ordering::Equal),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                _ => Ordering::Equal,
            };
            let o = if *d < 0 { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

pub struct Projection;
impl Projection {
    pub fn parse(_v: &Value) -> Result<Projection> {
        Ok(Projection)
    }
    pub fn apply(&self, d: &Document) -> Document {
        d.clone()
    }
}

pub struct Update(Document);
impl Update {
    pub fn parse(v: &Value) -> Result<Update> {
        match v {
            Value::Object(m) => Ok(Update(m.clone())),
            _ => Err(Error::InvalidUpdate("an update must be an object".into())),
        }
    }
    pub fn apply(&self, doc: &mut Document) -> Result<()> {
        for (k, v) in &self.0 {
            doc.insert(k.clone(), v.clone());
        }
        Ok(())
    }
}
