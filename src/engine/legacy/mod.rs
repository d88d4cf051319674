//! The Python FluxDB 0.1 folder format (see ../shared/spec/legacy-format.md).
