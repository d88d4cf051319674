//! Filters, sort, projection and updates with MongoDB's meaning (../shared/spec/query.md).
