//! The codec and zstd level a dialog offers (New collection, Compression…):
//! the choice keeps the level while another codec is picked, and asks the
//! engine only for levels zstd takes.

use crate::engine::Compression;

/// A codec as the dialogs offer it (the zstd level is kept apart).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Codec {
    #[default]
    None,
    Lz4,
    Zstd,
}

/// The codec and zstd level picked in a dialog. The level is kept while
/// another codec is picked, so going back to zstd finds it unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressionChoice {
    pub codec: Codec,
    pub zstd_level: i32,
}

impl Default for CompressionChoice {
    fn default() -> Self {
        CompressionChoice::of(Compression::None)
    }
}

impl CompressionChoice {
    pub fn of(compression: Compression) -> CompressionChoice {
        let default_level = Compression::ZSTD_DEFAULT_LEVEL;
        match compression {
            Compression::None => CompressionChoice {
                codec: Codec::None,
                zstd_level: default_level,
            },
            Compression::Lz4 => CompressionChoice {
                codec: Codec::Lz4,
                zstd_level: default_level,
            },
            Compression::Zstd { level } => CompressionChoice {
                codec: Codec::Zstd,
                zstd_level: level,
            },
        }
    }

    /// What the engine is asked for; the level is held to what zstd takes.
    pub fn compression(&self) -> Compression {
        match self.codec {
            Codec::None => Compression::None,
            Codec::Lz4 => Compression::Lz4,
            Codec::Zstd => Compression::Zstd {
                level: self.zstd_level.clamp(
                    *Compression::ZSTD_LEVELS.start(),
                    *Compression::ZSTD_LEVELS.end(),
                ),
            },
        }
    }

    /// One line on what the choice costs and gains.
    pub fn hint(&self) -> &'static str {
        match self.codec {
            Codec::None => "Stored as is: the fastest writes and reads, the largest file.",
            Codec::Lz4 => "LZ4: a smaller file at almost no cost in speed.",
            Codec::Zstd if self.zstd_level >= 10 => {
                "zstd, high level: the smallest file, but writes are much slower; reads stay fast."
            }
            Codec::Zstd => {
                "zstd: a much smaller file for a little speed; higher levels shrink more."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compression_choice_gives_back_the_codec_it_was_made_of() {
        for compression in [
            Compression::None,
            Compression::Lz4,
            Compression::ZSTD,
            Compression::Zstd { level: 22 },
        ] {
            assert_eq!(
                CompressionChoice::of(compression).compression(),
                compression
            );
        }
        assert_eq!(
            CompressionChoice::default().compression(),
            Compression::None
        );
    }

    #[test]
    fn a_compression_choice_keeps_its_zstd_level_and_holds_it_in_range() {
        let mut choice = CompressionChoice::of(Compression::Zstd { level: 9 });
        choice.codec = Codec::Lz4;
        assert_eq!(choice.compression(), Compression::Lz4);
        choice.codec = Codec::Zstd;
        assert_eq!(choice.compression(), Compression::Zstd { level: 9 });
        choice.zstd_level = 40;
        assert_eq!(choice.compression(), Compression::Zstd { level: 22 });
        choice.zstd_level = 0;
        assert_eq!(choice.compression(), Compression::Zstd { level: 1 });
    }
}
