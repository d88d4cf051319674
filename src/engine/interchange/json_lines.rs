//! JSON Lines: one object a line, blank lines skipped.

use std::io::Read;

use super::json_text::{Position, is_json_whitespace, parse_object};
use super::record::{Failure, reset_record_buffer, too_large_message};
use super::source::ByteSource;
use crate::engine::Document;

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

    /// The next record with its line, offering the line's bytes to `take`
    /// first: `Ok((line, None))` when it took them (it did the parsing its
    /// own way), the parsed document otherwise.
    pub(super) fn next_record_or(
        &mut self,
        take: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Option<Result<(u64, Option<Document>), Failure>> {
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
                Line::Complete if take(&self.line) => return Some(Ok((self.line_number, None))),
                Line::Complete => {
                    let start = Position {
                        line: self.line_number,
                        column: 1,
                    };
                    let parsed = parse_object(&self.line, start, path);
                    return Some(parsed.map(|doc| (self.line_number, Some(doc))));
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::Format;
    use super::super::test_support::{doc, read_all, skipping, strict};

    #[test]
    fn documents_come_with_their_line_and_blank_lines_are_skipped() {
        let input = b"{\"a\": 1}\n\n   \n{\"b\": [1.0, \"x\"]}\r\n{\"c\": null}";
        let read = read_all(input, Format::JsonLines, strict("in.jsonl"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [1, 4, 5]);
        assert_eq!(
            read.docs(),
            [
                doc(json!({"a": 1})),
                doc(json!({"b": [1.0, "x"]})),
                doc(json!({"c": null}))
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_by_line_number_and_skipped_on_request() {
        let input = b"{\"a\": 1}\n{\"a\": }\n[1, 2]\n\"text\"\n{\"a\": \"\xC3\x28\"}\n{\"a\": 1} {\"b\": 2}\n{\"a\": 6}\n";
        let read = read_all(input, Format::JsonLines, skipping("in.jsonl"));
        assert_eq!(read.lines(), [1, 7]);
        assert_eq!(
            read.errors,
            [
                "in.jsonl: line 2: column 7: expected value",
                "in.jsonl: line 3: column 1: expected a JSON object, found an array",
                "in.jsonl: line 4: column 1: expected a JSON object, found a string",
                "in.jsonl: line 5: column 8: invalid UTF-8",
                "in.jsonl: line 6: column 10: trailing characters",
            ]
        );
    }

    #[test]
    fn without_skip_bad_the_first_bad_line_ends_the_read() {
        let input = b"{\"a\": 1}\n{oops}\n{\"a\": 3}\n";
        let read = read_all(input, Format::JsonLines, strict("in.jsonl"));
        assert_eq!(read.lines(), [1]);
        assert_eq!(
            read.errors,
            ["in.jsonl: line 2: column 2: key must be a string"]
        );
    }

    #[test]
    fn a_line_over_the_size_limit_is_a_bad_line_and_reading_goes_on() {
        let long = format!("{{\"a\": \"{}\"}}", "x".repeat(5000));
        let input = format!("{{\"a\": 1}}\n{long}\n{{\"a\": 3}}\n");
        let options = super::super::ReadOptions {
            max_record_bytes: 1000,
            ..skipping("big.jsonl")
        };
        let read = read_all(input.as_bytes(), Format::JsonLines, options);
        assert_eq!(read.lines(), [1, 3]);
        assert_eq!(
            read.errors,
            [
                "big.jsonl: line 2: the line is larger than the limit of 1000 bytes (ReadOptions::max_record_bytes)"
            ]
        );
    }

    #[test]
    fn empty_input_has_no_documents() {
        let read = read_all(b"", Format::JsonLines, strict("e.jsonl"));
        assert!(read.documents.is_empty() && read.errors.is_empty());
    }
}
