//! Updates: the seed's merge of a plain object, or MongoDB update operators
//! (`$set $unset $inc $mul $min $max $rename $push $pull $pullAll $addToSet
//! $pop`) with dot paths. `_id` never changes, and a failed update leaves the
//! document as it was.
//!
//! This file holds the [`Update`] type, its parse entry and its apply entry.
//! Below it: `operation` is what one parsed operator is (a path and an
//! action), `parse` builds those from JSON and checks them, `apply` carries
//! one out on a document, reaching the field through `container`, with the
//! `$inc`/`$mul` arithmetic in `numbers`.

mod apply;
mod container;
mod numbers;
mod operation;
mod parse;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::engine::Document;
use crate::error::{Error, Result};
use operation::{Operation, invalid};

/// A parsed update.
#[derive(Debug, Clone)]
pub enum Update {
    /// A plain object: its top-level fields are written into the record (the
    /// seed's `update`). An `_id` in it must equal the record's.
    Merge(Document),
    /// Update operators, applied in the order written.
    Operators(OperatorUpdate),
}

/// The operator form of an update, parsed and checked for conflicting paths.
#[derive(Debug, Clone)]
pub struct OperatorUpdate {
    operations: Vec<Operation>,
}

impl Update {
    /// Parses an update: a plain object (merge) or an object of operators.
    /// Mixing the two is an error, as is any change to `_id` that can be
    /// seen without the record (`$unset` / `$rename` of `_id`).
    pub fn parse(update: &Value) -> Result<Update> {
        crate::engine::nesting::check_input_depth(update, "the update", Error::InvalidUpdate)?;
        Self::parse_unchecked(update).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(update: &Value) -> Result<Update> {
        let Value::Object(fields) = update else {
            return Err(invalid(format!(
                "an update must be a JSON object, not {update}"
            )));
        };
        let operators = fields.keys().filter(|k| k.starts_with('$')).count();
        if operators == 0 {
            return Ok(Update::Merge(fields.clone()));
        }
        if operators != fields.len() {
            let plain = fields
                .keys()
                .find(|k| !k.starts_with('$'))
                .map_or("", String::as_str);
            return Err(invalid(format!(
                "an update mixes operators and plain fields ({plain:?}); use {{\"$set\": {{...}}}} for fields"
            )));
        }
        Ok(Update::Operators(OperatorUpdate {
            operations: parse::parse_operations(fields)?,
        }))
    }

    /// Applies the update. On error the document is left unchanged.
    pub fn apply(&self, doc: &mut Document) -> Result<()> {
        self.apply_unshortened(doc)
            .map_err(crate::engine::shortened)
    }

    fn apply_unshortened(&self, doc: &mut Document) -> Result<()> {
        let mut updated = doc.clone();
        match self {
            Update::Merge(fields) => {
                for (name, value) in fields {
                    updated.insert(name.clone(), value.clone());
                }
            }
            Update::Operators(update) => {
                for operation in &update.operations {
                    operation.apply(&mut updated)?;
                }
            }
        }
        let (before, after) = (doc.get("_id"), updated.get("_id"));
        let id_kept = match (before, after) {
            (Some(a), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        };
        if !id_kept {
            return Err(invalid(format!(
                "the update would change _id from {} to {}; _id cannot change",
                before.map_or_else(|| "nothing".to_string(), Value::to_string),
                after.map_or_else(|| "nothing".to_string(), Value::to_string),
            )));
        }
        *doc = updated;
        Ok(())
    }
}
