//! The embedded database engine: storage, query, index, aggregation, transactions.

pub mod aggregate;
pub mod index;
pub mod legacy;
pub mod query;
pub mod storage;

/// A stored record: a JSON object whose fields keep their order and types.
pub type Document = serde_json::Map<String, serde_json::Value>;
