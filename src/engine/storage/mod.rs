//! On-disk storage: the native collection file format (see `FORMAT.md`),
//! record codecs, the transaction log, the writer lock, durable file
//! operations, the readable copies of index definitions, and which format
//! a collection is stored in ([`StorageFormat`]).

pub mod checkpoint;
pub mod codec;
pub mod compress;
pub mod durable;
mod format;
pub(crate) mod index_definitions;
pub mod lock;
pub(crate) mod mapped;
pub mod native;
pub(crate) mod to_json;
pub(crate) mod transcode;
pub mod txlog;
pub(crate) mod walk;

pub use codec::{BinaryCodec, JsonCodec, RecordCodec};
pub use compress::Compression;
pub use format::StorageFormat;
