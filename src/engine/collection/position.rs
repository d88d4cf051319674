//! A place in a collection's log, and how it is written down: a token a
//! user can hand back, and the same token in a rewritten file's Meta entry
//! (FORMAT.md, "Positions, and how they outlive a rewrite").

use std::fmt;
use std::str::FromStr;

use crate::engine::storage::native::BatchSeal;
use crate::error::{Error, Result};

/// A place in a collection's log: the file, named by its first batch (as a
/// checkpoint names it; every file's first batch differs, FORMAT.md
/// "Checkpoints"), and an offset in it where a group ends. The state at a
/// position is every group that counts before it. A compacted file names
/// the position its snapshot continues, so positions outlive a rewrite.
///
/// In a file's Meta entry it is written as its token (see [`fmt::Display`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogPosition {
    pub(crate) file: BatchSeal,
    pub offset: u64,
}

impl fmt::Display for LogPosition {
    /// `{header crc}{payload crc}-{first batch offset}-{its length}-{offset}`,
    /// hexadecimal checksums and decimal numbers: a token to give back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = &self.file;
        write!(
            f,
            "{:08x}{:08x}-{}-{}-{}",
            file.header_crc, file.payload_crc, file.offset, file.len, self.offset
        )
    }
}

impl FromStr for LogPosition {
    type Err = Error;

    fn from_str(token: &str) -> Result<LogPosition> {
        let bad = || Error::UnknownName {
            what: "log position".to_owned(),
            name: token.to_owned(),
            expected: "a position FluxDB gave (hex-offset-length-offset)".to_owned(),
        };
        let mut parts = token.split('-');
        let mut next = || parts.next().ok_or_else(bad);
        let crcs = next()?;
        let (offset, len, at) = (next()?, next()?, next()?);
        if crcs.len() != 16 || parts.next().is_some() {
            return Err(bad());
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).map_err(|_| bad());
        let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
        Ok(LogPosition {
            file: BatchSeal {
                offset: number(offset)?,
                len: number(len)?,
                header_crc: hex(&crcs[..8])?,
                payload_crc: hex(&crcs[8..])?,
            },
            offset: number(at)?,
        })
    }
}

impl serde::Serialize for LogPosition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LogPosition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let token = String::deserialize(deserializer)?;
        token.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_goes_to_its_token_and_back() {
        let position = LogPosition {
            file: BatchSeal {
                offset: 32,
                len: 171,
                header_crc: 0xdead_beef,
                payload_crc: 7,
            },
            offset: 123_456,
        };
        let token = position.to_string();
        assert_eq!(token, "deadbeef00000007-32-171-123456");
        assert_eq!(token.parse::<LogPosition>().unwrap(), position);
        let json = serde_json::to_string(&position).unwrap();
        assert_eq!(
            serde_json::from_str::<LogPosition>(&json).unwrap(),
            position
        );
        for bad in [
            "",
            "x-1-2-3",
            "deadbeef00000007-32-171",
            "deadbeef00000007-a-1-2-3",
        ] {
            assert!(bad.parse::<LogPosition>().is_err(), "{bad}");
        }
    }
}
