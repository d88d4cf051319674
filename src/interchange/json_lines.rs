//! JSON Lines: one object a line, blank lines skipped.

use std::io::Read;

use super::json_text::{Position, is_json_whitespace, parse_object};
use super::record::{Failure, Step, reset_record_buffer, too_large_message};
use super::source::ByteSource;

pub(super) struct JsonLinesReader<R> {
    source: ByteSource<R>,
    line: Vec<u8>,
    line_number: u64,
    max_record_bytes: usize,
}

/// One physical line as read, before parsing.
enum Line {
    End,
    /// The line (without its newline) is in the buffer.
    Complete,
    /// The line was longer than the limit and has been skipped.
    TooLong,
}

impl<R: Read> JsonLinesReader<R> {
    pub(super) fn new(source: ByteSource<R>, max_record_bytes: usize) -> JsonLinesReader<R> {
        JsonLinesReader {
            source,
            line: Vec::new(),
            line_number: 0,
            max_record_bytes,
        }
    }

    pub(super) fn next_record(&mut self) -> Step {
        loop {
            let line = match self.read_line() {
                Ok(line) => line,
                Err(error) => return Some(Err(Failure::fatal(error))),
            };
            self.line_number += 1;
            let path = self.source.path();
            match line {
                Line::End => return None,
                Line::TooLong => {
                    let message = too_large_message("line", self.max_record_bytes);
                    return Some(Err(Failure::bad_record(path, self.line_number, message)));
                }
                Line::Complete if self.line.iter().all(|b| is_json_whitespace(*b)) => continue,
                Line::Complete => {
                    let start = Position {
                        line: self.line_number,
                        column: 1,
                    };
                    let parsed = parse_object(&self.line, start, path);
                    return Some(parsed.map(|doc| (self.line_number, doc)));
                }
            }
        }
    }

    /// Reads up to the next `\n` into `self.line`, never keeping more than
    /// `max_record_bytes` of it.
    fn read_line(&mut self) -> crate::error::Result<Line> {
        reset_record_buffer(&mut self.line);
        let mut read_any = false;
        let mut too_long = false;
        loop {
            let chunk = self.source.fill()?;
            if chunk.is_empty() {
                return Ok(match (read_any, too_long) {
                    (false, _) => Line::End,
                    (true, false) => Line::Complete,
                    (true, true) => Line::TooLong,
                });
            }
            read_any = true;
            let newline = chunk.iter().position(|b| *b == b'\n');
            let content = newline.unwrap_or(chunk.len());
            if !too_long {
                if self.line.len() + content > self.max_record_bytes {
                    too_long = true;
                    reset_record_buffer(&mut self.line);
                } else {
                    self.line.extend_from_slice(&chunk[..content]);
                }
            }
            match newline {
                Some(at) => {
                    self.source.consume(at + 1);
                    return Ok(if too_long {
                        Line::TooLong
                    } else {
                        Line::Complete
                    });
                }
                None => {
                    let all = chunk.len();
                    self.source.consume(all);
                }
            }
        }
    }

    pub(super) fn bytes_read(&self) -> u64 {
        self.source.consumed()
    }

    pub(super) fn buffer_capacity(&self) -> usize {
        self.source.capacity() + self.line.capacity()
    }
}
