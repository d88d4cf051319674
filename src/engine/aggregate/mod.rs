//! The aggregation pipeline: stages and accumulators with MongoDB's meaning.
