//! Data interchange: JSON arrays, JSON Lines and CSV, streamed both ways.
