//! Secondary indexes: order-preserving keys and ordered maps per indexed field.

pub mod key;
