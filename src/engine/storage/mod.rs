//! On-disk storage: the native collection file format, codecs, durability helpers.
