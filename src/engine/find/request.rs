//! [`Find`]: what a query asks for (filter, sort, skip, limit,
//! projection), as callers build it.

use serde_json::Value;

/// What to find: the seed's `find(collection, query, limit, skip, sort)`
/// plus a projection.
///
/// ```
/// use fluxdb::engine::Find;
/// use serde_json::json;
/// let q = Find::new(json!({"age": {"$gt": 20}})).sort(json!({"age": 1})).limit(10);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub filter: Value,
    pub sort: Option<Value>,
    pub skip: usize,
    /// `None` (or 0, as in MongoDB) means no limit.
    pub limit: Option<usize>,
    pub projection: Option<Value>,
}

impl Default for Find {
    fn default() -> Self {
        Find::all()
    }
}

impl Find {
    pub fn new(filter: Value) -> Find {
        Find {
            filter,
            sort: None,
            skip: 0,
            limit: None,
            projection: None,
        }
    }

    /// Every record, in insertion order.
    pub fn all() -> Find {
        Find::new(Value::Object(Default::default()))
    }

    pub fn sort(mut self, sort: Value) -> Find {
        self.sort = Some(sort);
        self
    }

    pub fn skip(mut self, skip: usize) -> Find {
        self.skip = skip;
        self
    }

    pub fn limit(mut self, limit: usize) -> Find {
        self.limit = (limit > 0).then_some(limit);
        self
    }

    pub fn projection(mut self, projection: Value) -> Find {
        self.projection = Some(projection);
        self
    }
}
