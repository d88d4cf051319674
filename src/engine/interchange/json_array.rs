//! JSON: an array of objects, read element by element.
//!
//! A small scanner walks the bytes once to find where each element ends
//! (tracking strings, escapes and brackets, without recursion), copies the
//! element's bytes, and serde_json parses that slice. So the file is never
//! held whole, and a bad element can be skipped: its end is known even when
//! its content is wrong. Objects one after another without an array around
//! them (`mongoexport` without `--jsonArray`) are read the same way.

use std::io::Read;

use super::json_text::{Position, describe_value_start, is_json_whitespace, parse_object};
use super::record::{Failure, Step, reset_record_buffer, too_large_message};
use super::source::ByteSource;
use crate::engine::Document;

/// Bracket kinds remembered per element; deeper levels are only counted
/// (serde_json rejects anything past 128 anyway), so the stack stays small
/// whatever the input.
const TRACKED_DEPTH: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first byte: an array or a sequence of objects?
    Start,
    /// Just after `[`: an element or `]`.
    FirstElement,
    /// Just after a comma: an element must follow.
    NextElement,
    /// After an element: `,` or `]`.
    AfterElement,
    /// After the closing `]`: only whitespace may follow.
    AfterArray,
    /// Objects one after another, separated by whitespace.
    Sequence,
    Done,
}

/// Where the scanner stands inside one element, kept across buffer refills.
#[derive(Default)]
struct Scan {
    stack: Vec<u8>,
    untracked_depth: u64,
    in_string: bool,
    escaped: bool,
}

pub(super) struct JsonArrayReader<R> {
    source: ByteSource<R>,
    state: State,
    record: Vec<u8>,
    scan: Scan,
    /// Line of the next unconsumed byte, and the file offset where that line starts.
    line: u64,
    line_start: u64,
    max_record_bytes: usize,
}

impl<R: Read> JsonArrayReader<R> {
    pub(super) fn new(source: ByteSource<R>, max_record_bytes: usize) -> JsonArrayReader<R> {
        JsonArrayReader {
            source,
            state: State::Start,
            record: Vec::new(),
            scan: Scan::default(),
            line: 1,
            line_start: 0,
            max_record_bytes,
        }
    }

    pub(super) fn next_record(&mut self) -> Step {
        let step = self.step();
        if let Some(Err(failure)) = &step
            && !failure.recoverable
        {
            self.state = State::Done;
        }
        step
    }

    fn step(&mut self) -> Step {
        loop {
            let next = match self.state {
                State::Done => return None,
                _ => match self.skip_whitespace() {
                    Ok(next) => next,
                    Err(error) => return Some(Err(Failure::fatal(error))),
                },
            };
            match (self.state, next) {
                (State::Start, None) | (State::Sequence, None) | (State::AfterArray, None) => {
                    self.state = State::Done;
                    return None;
                }
                (State::Start, Some(b'[')) => {
                    self.source.consume(1);
                    self.state = State::FirstElement;
                }
                (State::Start, Some(b'{')) => self.state = State::Sequence,
                (State::Start, Some(byte)) => {
                    let message = format!(
                        "column {}: expected a JSON array or object, found {}",
                        self.column(),
                        describe_value_start(byte)
                    );
                    return Some(Err(self.fatal(message)));
                }
                (State::FirstElement, Some(b']')) => {
                    self.source.consume(1);
                    self.state = State::AfterArray;
                }
                (State::NextElement, Some(b']')) => {
                    let message = format!(
                        "column {}: a comma before ']' (trailing comma)",
                        self.column()
                    );
                    let failure = Failure::bad_record(self.source.path(), self.line, message);
                    self.source.consume(1);
                    self.state = State::AfterArray;
                    return Some(Err(failure));
                }
                (State::FirstElement | State::NextElement, Some(_)) => {
                    self.state = State::AfterElement;
                    return Some(self.element());
                }
                (State::Sequence, Some(_)) => return Some(self.element()),
                (State::AfterElement, Some(b',')) => {
                    self.source.consume(1);
                    self.state = State::NextElement;
                }
                (State::AfterElement, Some(b']')) => {
                    self.source.consume(1);
                    self.state = State::AfterArray;
                }
                (State::AfterElement, Some(byte)) => {
                    let message = format!(
                        "column {}: expected ',' or ']' after the element, found {}",
                        self.column(),
                        describe_value_start(byte)
                    );
                    return Some(Err(self.fatal(message)));
                }
                (State::AfterArray, Some(_)) => {
                    let message = format!(
                        "column {}: text after the end of the JSON array",
                        self.column()
                    );
                    return Some(Err(self.fatal(message)));
                }
                (State::FirstElement | State::NextElement | State::AfterElement, None) => {
                    return Some(Err(
                        self.fatal("the file ends before the JSON array is closed with ']'")
                    ));
                }
                (State::Done, _) => return None,
            }
        }
    }

    /// Reads one element (the next byte is its first) and parses it if it is an object.
    fn element(&mut self) -> Result<(u64, Document), Failure> {
        let start = Position {
            line: self.line,
            column: self.column(),
        };
        let first = match self.source.fill() {
            Ok(bytes) => bytes.first().copied(),
            Err(error) => return Err(Failure::fatal(error)),
        };
        match first {
            Some(b'{') => {
                let fits = self.scan_nested(true, start)?;
                let path = self.source.path();
                if !fits {
                    let message = too_large_message("element", self.max_record_bytes);
                    return Err(Failure::bad_record(path, start.line, message));
                }
                let doc = parse_object(&self.record, start, path)?;
                Ok((start.line, doc))
            }
            Some(byte) => {
                match byte {
                    b'[' | b'"' => {
                        self.scan_nested(false, start)?;
                    }
                    // A doubled comma in an array is left for AfterElement to
                    // take; anything else stray is consumed so reading moves on.
                    b',' if self.state == State::AfterElement => {}
                    _ => self.skip_bare_value().map_err(Failure::fatal)?,
                }
                let message = format!(
                    "column {}: expected a JSON object, found {}",
                    start.column,
                    describe_value_start(byte)
                );
                Err(Failure::bad_record(self.source.path(), start.line, message))
            }
            None => Err(Failure::fatal_at(
                self.source.path(),
                start.line,
                "the file ends inside an element",
            )),
        }
    }

    /// Consumes one object, array or string (the next byte opens it). With
    /// `copy`, its bytes go to `self.record` up to the size limit; returns
    /// false if they did not fit.
    fn scan_nested(&mut self, copy: bool, start: Position) -> Result<bool, Failure> {
        reset_record_buffer(&mut self.record);
        let scan = &mut self.scan;
        scan.stack.clear();
        scan.untracked_depth = 0;
        scan.in_string = false;
        scan.escaped = false;
        let mut fits = copy;
        loop {
            let offset = self.source.consumed();
            let chunk = self.source.fill().map_err(Failure::fatal)?;
            if chunk.is_empty() {
                let message = format!(
                    "the file ends inside the element that starts at column {}",
                    start.column
                );
                return Err(Failure::fatal_at(self.source.path(), start.line, message));
            }
            let mut used = 0;
            let mut finished = false;
            while used < chunk.len() {
                let byte = chunk[used];
                used += 1;
                if byte == b'\n' {
                    self.line += 1;
                    self.line_start = offset + used as u64;
                }
                if scan.in_string {
                    if scan.escaped {
                        scan.escaped = false;
                    } else if byte == b'\\' {
                        scan.escaped = true;
                    } else if byte == b'"' {
                        scan.in_string = false;
                        if scan.stack.is_empty() && scan.untracked_depth == 0 {
                            finished = true;
                            break;
                        }
                    }
                    continue;
                }
                match byte {
                    b'"' => scan.in_string = true,
                    b'{' | b'[' => {
                        if scan.stack.len() < TRACKED_DEPTH {
                            scan.stack.push(byte);
                        } else {
                            scan.untracked_depth += 1;
                        }
                    }
                    b'}' | b']' => {
                        if scan.untracked_depth > 0 {
                            scan.untracked_depth -= 1;
                            continue;
                        }
                        let opener = if byte == b'}' { b'{' } else { b'[' };
                        if scan.stack.pop() != Some(opener) {
                            let column = offset + used as u64 - self.line_start;
                            let message = format!(
                                "column {column}: '{}' does not close the element that starts at line {}",
                                byte as char, start.line
                            );
                            return Err(Failure::fatal_at(self.source.path(), self.line, message));
                        }
                        if scan.stack.is_empty() {
                            finished = true;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if fits {
                if self.record.len() + used > self.max_record_bytes {
                    fits = false;
                    reset_record_buffer(&mut self.record);
                } else {
                    self.record.extend_from_slice(&chunk[..used]);
                }
            }
            self.source.consume(used);
            if finished {
                return Ok(fits);
            }
        }
    }

    /// Consumes a number, `true`, `false`, `null` or a stray byte or word: at
    /// least one byte, then up to the next delimiter.
    fn skip_bare_value(&mut self) -> crate::error::Result<()> {
        let mut first = true;
        loop {
            let chunk = self.source.fill()?;
            if chunk.is_empty() {
                return Ok(());
            }
            let skip = usize::from(first);
            first = false;
            let end = chunk[skip..]
                .iter()
                .position(|b| {
                    is_json_whitespace(*b) || matches!(b, b',' | b']' | b'}' | b'[' | b'{' | b'"')
                })
                .map(|at| at + skip);
            let used = end.unwrap_or(chunk.len());
            self.source.consume(used);
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// Consumes whitespace and returns the next byte without consuming it.
    fn skip_whitespace(&mut self) -> crate::error::Result<Option<u8>> {
        loop {
            let offset = self.source.consumed();
            let chunk = self.source.fill()?;
            let mut used = 0;
            let mut next = None;
            for &byte in chunk {
                if !is_json_whitespace(byte) {
                    next = Some(byte);
                    break;
                }
                used += 1;
                if byte == b'\n' {
                    self.line += 1;
                    self.line_start = offset + used as u64;
                }
            }
            let at_end = chunk.is_empty();
            self.source.consume(used);
            if next.is_some() || at_end {
                return Ok(next);
            }
        }
    }

    /// Column (1-based) of the next unconsumed byte.
    fn column(&self) -> u64 {
        self.source.consumed() - self.line_start + 1
    }

    fn fatal(&self, message: impl Into<String>) -> Failure {
        Failure::fatal_at(self.source.path(), self.line, message)
    }

    pub(super) fn bytes_read(&self) -> u64 {
        self.source.consumed()
    }

    pub(super) fn buffer_capacity(&self) -> usize {
        self.source.capacity() + self.record.capacity() + self.scan.stack.capacity()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::Format;
    use super::super::test_support::{doc, read_all, skipping, strict};

    #[test]
    fn elements_come_with_the_line_they_start_on() {
        let input = br#"[
  {"a": 1, "s": "has ] and } and \" and \\"},
  {"b":
     {"c": [1, {"d": "[{"}]}
  },{"e": 2.5}
]
"#;
        let read = read_all(input, Format::Json, strict("in.json"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [2, 3, 5]);
        assert_eq!(
            read.docs(),
            [
                doc(json!({"a": 1, "s": "has ] and } and \" and \\"})),
                doc(json!({"b": {"c": [1, {"d": "[{"}]}})),
                doc(json!({"e": 2.5})),
            ]
        );
    }

    #[test]
    fn objects_one_after_another_are_read_like_mongoexport_output() {
        let input = b"{\"a\": 1}\n{\"a\": 2}{\"a\": 3}\n\n";
        let read = read_all(input, Format::Json, strict("export.json"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [1, 2, 2]);
    }

    #[test]
    fn empty_inputs_have_no_documents() {
        for input in [&b""[..], b"  \n", b"[]", b"\xEF\xBB\xBF[ \n ]\n"] {
            let read = read_all(input, Format::Json, strict("e.json"));
            assert!(
                read.documents.is_empty() && read.errors.is_empty(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn bad_elements_are_reported_by_line_and_skipped_on_request() {
        let input = b"[\n{\"a\": 1},\n{\"a\": tru},\n42,\n[1, {\"x\": 2}],\n\"s\",\n{\"a\": \"\xFF\"},\n,\n{\"a\": 8}\n]";
        let read = read_all(input, Format::Json, skipping("in.json"));
        assert_eq!(read.lines(), [2, 9]);
        assert_eq!(
            read.errors,
            [
                "in.json: line 3: column 10: expected ident",
                "in.json: line 4: column 1: expected a JSON object, found a number",
                "in.json: line 5: column 1: expected a JSON object, found an array",
                "in.json: line 6: column 1: expected a JSON object, found a string",
                "in.json: line 7: column 8: invalid UTF-8",
                "in.json: line 8: column 1: expected a JSON object, found a comma",
            ]
        );
    }

    #[test]
    fn broken_structure_ends_the_read_even_when_skipping() {
        let cases: [(&[u8], usize, &str); 7] = [
            (
                b"[{\"a\": 1}\n{\"a\": 2}]",
                1,
                "in.json: line 2: column 1: expected ',' or ']' after the element, found text that is not JSON",
            ),
            (
                b"[{\"a\": 1},\n{\"a\": 2}",
                2,
                "in.json: line 2: the file ends before the JSON array is closed with ']'",
            ),
            (
                b"[{\"a\": 1}]\nx",
                1,
                "in.json: line 2: column 1: text after the end of the JSON array",
            ),
            (
                b"[{\"a\": [1}\n]",
                0,
                "in.json: line 1: column 10: '}' does not close the element that starts at line 1",
            ),
            (
                b"[\n{\"a\": \"never closed]",
                0,
                "in.json: line 2: the file ends inside the element that starts at column 1",
            ),
            (
                b"42",
                0,
                "in.json: line 1: column 1: expected a JSON array or object, found a number",
            ),
            (
                b"[{\"a\": 1},]",
                1,
                "in.json: line 1: column 11: a comma before ']' (trailing comma)",
            ),
        ];
        for (input, documents, expected) in cases {
            let read = read_all(input, Format::Json, skipping("in.json"));
            assert_eq!(
                read.errors,
                [expected],
                "{}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(
                read.documents.len(),
                documents,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn deep_nesting_is_a_bad_element_not_a_stack_overflow() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(50_000), "]".repeat(50_000));
        let input = format!("[\n{deep},\n{{\"ok\": true}}\n]");
        let read = read_all(input.as_bytes(), Format::Json, skipping("deep.json"));
        assert_eq!(read.lines(), [3]);
        assert_eq!(read.errors.len(), 1);
        assert!(
            read.errors[0].starts_with("deep.json: line 2: "),
            "{}",
            read.errors[0]
        );
        assert!(
            read.errors[0].contains("nested more than 128 levels deep"),
            "{}",
            read.errors[0]
        );
    }

    #[test]
    fn an_element_over_the_size_limit_is_skipped() {
        let input = format!("[{{\"big\": \"{}\"}},\n{{\"a\": 2}}]", "x".repeat(300_000));
        let options = super::super::ReadOptions {
            max_record_bytes: 100_000,
            ..skipping("big.json")
        };
        let read = read_all(input.as_bytes(), Format::Json, options);
        assert_eq!(read.lines(), [2]);
        assert_eq!(
            read.errors,
            [
                "big.json: line 1: the element is larger than the limit of 100000 bytes (ReadOptions::max_record_bytes)"
            ]
        );
    }
}
