//! The one read buffer every format reader parses from.

use std::io::{ErrorKind, Read};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// Size of the read buffer. Big enough that a read call is rare per record,
/// small enough to be the "fixed buffer" the memory bound promises.
pub(super) const READ_BUFFER_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A fixed-size buffer over any `Read` that counts the bytes the parser has
/// consumed (the import's progress). Unlike `std::io::BufReader` it never
/// grows and reports I/O errors with the path.
pub(super) struct ByteSource<R> {
    input: R,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    consumed: u64,
    at_end: bool,
    path: PathBuf,
}

impl<R: Read> ByteSource<R> {
    pub(super) fn new(input: R, path: PathBuf) -> ByteSource<R> {
        ByteSource {
            input,
            buffer: vec![0; READ_BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            consumed: 0,
            at_end: false,
            path,
        }
    }

    /// The bytes not consumed yet, reading more when none are left. Empty
    /// only at the end of the input.
    pub(super) fn fill(&mut self) -> Result<&[u8]> {
        while self.start == self.end && !self.at_end {
            match self.input.read(&mut self.buffer) {
                Ok(0) => self.at_end = true,
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(Error::io(&self.path, error)),
            }
        }
        Ok(&self.buffer[self.start..self.end])
    }

    /// Marks `n` bytes of what `fill` returned as parsed.
    pub(super) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.consumed += n as u64;
    }

    /// Drops a UTF-8 byte order mark at the very start (Excel and Notepad
    /// write one); call before parsing anything.
    pub(super) fn skip_byte_order_mark(&mut self) -> Result<()> {
        if self.consumed == 0 && self.fill()?.starts_with(UTF8_BOM) {
            self.consume(UTF8_BOM.len());
        }
        Ok(())
    }

    /// Bytes parsed so far.
    pub(super) fn consumed(&self) -> u64 {
        self.consumed
    }

    pub(super) fn capacity(&self) -> usize {
        self.buffer.len()
    }

    pub(super) fn path(&self) -> &PathBuf {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `chunk` bytes a read, like a pipe.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn fill_refills_after_consume_and_counts_consumed_bytes() -> Result<()> {
        let mut source = ByteSource::new(
            Trickle {
                data: b"abcdef",
                chunk: 4,
            },
            PathBuf::from("t"),
        );
        assert_eq!(source.fill()?, b"abcd");
        source.consume(3);
        assert_eq!(source.fill()?, b"d");
        source.consume(1);
        assert_eq!(source.fill()?, b"ef");
        source.consume(2);
        assert_eq!(source.fill()?, b"");
        assert_eq!(source.consumed(), 6);
        Ok(())
    }

    #[test]
    fn byte_order_mark_is_skipped_only_at_the_start() -> Result<()> {
        let mut source = ByteSource::new(&b"\xEF\xBB\xBFid"[..], PathBuf::from("t"));
        source.skip_byte_order_mark()?;
        assert_eq!(source.fill()?, b"id");
        Ok(())
    }

    #[test]
    fn read_errors_name_the_path() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk gone"))
            }
        }
        let mut source = ByteSource::new(Broken, PathBuf::from("in.jsonl"));
        let message = source.fill().err().map(|e| e.to_string());
        assert_eq!(message.as_deref(), Some("in.jsonl: disk gone"));
    }
}
