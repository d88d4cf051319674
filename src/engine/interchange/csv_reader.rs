//! CSV: a header row, then one document a row.
//!
//! Parsing is csv-core's (quotes, escaped quotes, CRLF), driven over our
//! fixed read buffer with a row buffer that never grows past
//! `max_record_bytes`, so one runaway row (an unclosed quote) is an error, not
//! an allocation of the whole file. The first rows are held back to infer the
//! column types, then handed out in order.

use std::collections::{HashSet, VecDeque};
use std::io::Read;

use csv_core::ReadRecordResult;

use super::csv_columns::{CellValue, CsvColumn, CsvTypes, EmptyCells, columns_for};
use super::record::{Failure, KEPT_RECORD_CAPACITY, too_large_message};
use super::source::ByteSource;
use crate::engine::Document;
use crate::error::{Error, Result};

/// A header wider than this is surely not a header.
const MAX_COLUMNS: usize = 65_536;
/// The type sample stops at this many bytes even if it has fewer rows than asked.
const SAMPLE_BYTES: usize = 1024 * 1024;

/// What `CsvReader::new` needs beyond the input.
pub(super) struct CsvSettings<'a> {
    pub(super) types: &'a CsvTypes,
    pub(super) empty_cells: EmptyCells,
    pub(super) sample_rows: usize,
    pub(super) max_record_bytes: usize,
}

pub(super) struct CsvReader<R> {
    rows: RowReader<R>,
    columns: Vec<CsvColumn>,
    /// Rows read for the type sample, not handed out yet.
    pending: VecDeque<Result<Row, Failure>>,
    row: Row,
    empty_cells: EmptyCells,
    too_many_fields: String,
    at_end: bool,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header and the type sample. An empty input has no columns
    /// and no rows.
    pub(super) fn new(
        mut source: ByteSource<R>,
        settings: CsvSettings<'_>,
    ) -> Result<CsvReader<R>> {
        source.skip_byte_order_mark()?;
        let mut rows = RowReader {
            source,
            core: csv_core::Reader::new(),
            max_record_bytes: settings.max_record_bytes,
        };
        let mut header = Row::default();
        let too_many_columns = format!("the header has more than {MAX_COLUMNS} columns");
        let has_header = rows
            .read(&mut header, MAX_COLUMNS, &too_many_columns)
            .map_err(|f| f.error)?;
        let mut reader = CsvReader {
            rows,
            columns: Vec::new(),
            pending: VecDeque::new(),
            row: Row::default(),
            empty_cells: settings.empty_cells,
            too_many_fields: String::new(),
            at_end: !has_header,
        };
        if !has_header {
            return Ok(reader);
        }
        let names = reader.header_names(&header, settings.types)?;
        reader.too_many_fields =
            format!("the row has more fields than the header's {}", names.len());
        reader.read_sample(names.len(), settings.sample_rows)?;
        let sample: Vec<Vec<&str>> = reader
            .pending
            .iter()
            .filter_map(|row| row.as_ref().ok())
            .filter(|row| row.fields == names.len())
            .filter_map(|row| {
                row.cells()
                    .map(|cell| std::str::from_utf8(cell).ok())
                    .collect()
            })
            .collect();
        let columns = columns_for(&names, settings.types, &sample);
        reader.columns = columns;
        Ok(reader)
    }

    /// The header's names, checked: UTF-8, no duplicates, every chosen type
    /// names a column.
    fn header_names(&self, header: &Row, types: &CsvTypes) -> Result<Vec<String>> {
        let path = self.rows.source.path();
        let fail = |message: String| Error::ImportLine {
            path: path.clone(),
            line: header.line,
            message,
        };
        let mut names = Vec::with_capacity(header.fields);
        let mut seen = HashSet::new();
        for (index, cell) in header.cells().enumerate() {
            let name = std::str::from_utf8(cell).map_err(|_| {
                fail(format!(
                    "column {} of the header is not valid UTF-8",
                    index + 1
                ))
            })?;
            if !seen.insert(name) {
                return Err(fail(format!("the header names column {name:?} twice")));
            }
            names.push(name.to_owned());
        }
        let mut chosen: Vec<&String> = types
            .overrides
            .keys()
            .filter(|name| !seen.contains(name.as_str()))
            .collect();
        chosen.sort();
        if let Some(name) = chosen.first() {
            return Err(fail(format!(
                "a type is given for column {name:?}, which the header does not have"
            )));
        }
        Ok(names)
    }

    fn read_sample(&mut self, width: usize, sample_rows: usize) -> Result<()> {
        let mut sampled_bytes = 0;
        while self.pending.len() < sample_rows && sampled_bytes < SAMPLE_BYTES {
            let mut row = Row::default();
            match self.rows.read(&mut row, width, &self.too_many_fields) {
                Ok(true) => {
                    sampled_bytes += row.len;
                    self.pending.push_back(Ok(row.compact()));
                }
                Ok(false) => {
                    self.at_end = true;
                    break;
                }
                Err(failure) if failure.recoverable => self.pending.push_back(Err(failure)),
                Err(failure) => return Err(failure.error),
            }
        }
        Ok(())
    }

    /// The next row with its line, offering it to `take` first as a
    /// [`CsvRecord`] (typed cells, no document): `Ok((line, None))` when it
    /// took it. A row `take` declines becomes a document as usual, so
    /// results and errors do not change.
    pub(super) fn next_record_or(
        &mut self,
        take: &mut dyn FnMut(&CsvRecord<'_>) -> bool,
    ) -> Option<Result<(u64, Option<Document>), Failure>> {
        if let Some(sampled) = self.pending.pop_front() {
            return Some(sampled.and_then(|row| self.document_or(&row, take)));
        }
        if self.at_end {
            return None;
        }
        match self
            .rows
            .read(&mut self.row, self.columns.len(), &self.too_many_fields)
        {
            Ok(true) => Some(self.document_or(&self.row, take)),
            Ok(false) => {
                self.at_end = true;
                None
            }
            Err(failure) => {
                self.at_end = !failure.recoverable;
                Some(Err(failure))
            }
        }
    }

    fn document_or(
        &self,
        row: &Row,
        take: &mut dyn FnMut(&CsvRecord<'_>) -> bool,
    ) -> Result<(u64, Option<Document>), Failure> {
        let record = CsvRecord {
            columns: &self.columns,
            row,
            empty_cells: self.empty_cells,
        };
        if row.fields == self.columns.len() && take(&record) {
            return Ok((row.line, None));
        }
        self.document(row).map(|(line, doc)| (line, Some(doc)))
    }

    fn document(&self, row: &Row) -> Result<(u64, Document), Failure> {
        let bad = |message: String| Failure::bad_record(self.rows.source.path(), row.line, message);
        if row.fields != self.columns.len() {
            return Err(bad(format!(
                "the row has {} fields, the header has {}",
                row.fields,
                self.columns.len()
            )));
        }
        let mut doc = Document::with_capacity(self.columns.len());
        for (column, cell) in self.columns.iter().zip(row.cells()) {
            let text = std::str::from_utf8(cell)
                .map_err(|_| bad(format!("column {:?}: invalid UTF-8", column.name)))?;
            match column.value(text, self.empty_cells) {
                Ok(Some(value)) => {
                    doc.insert(column.name.clone(), value);
                }
                Ok(None) => {}
                Err(message) => return Err(bad(format!("column {:?}: {message}", column.name))),
            }
        }
        Ok((row.line, doc))
    }

    pub(super) fn columns(&self) -> &[CsvColumn] {
        &self.columns
    }

    pub(super) fn bytes_read(&self) -> u64 {
        self.rows.source.consumed()
    }

    pub(super) fn buffer_capacity(&self) -> usize {
        let pending: usize = self
            .pending
            .iter()
            .filter_map(|row| row.as_ref().ok())
            .map(Row::capacity)
            .sum();
        self.rows.source.capacity() + self.row.capacity() + pending
    }
}

/// A row of the header's width, for a caller that encodes its typed cells
/// itself instead of taking a document.
pub(crate) struct CsvRecord<'a> {
    columns: &'a [CsvColumn],
    row: &'a Row,
    empty_cells: EmptyCells,
}

impl<'a> CsvRecord<'a> {
    /// Calls `field` with the name and value of each field the row's
    /// document would have, in its order (an omitted empty cell has none).
    /// False, after calling it for the fields before, when a cell is bad
    /// (invalid UTF-8, or not of its chosen type): the document path then
    /// reports it.
    pub(crate) fn for_each_field(&self, mut field: impl FnMut(&'a str, CellValue<'a>)) -> bool {
        // One UTF-8 check for the whole row; a cell boundary inside a
        // character means a cell that is not UTF-8 by itself.
        let Ok(text) = std::str::from_utf8(&self.row.bytes[..self.row.len]) else {
            return false;
        };
        for (column, range) in self.columns.iter().zip(self.row.cell_ranges()) {
            let Some(text) = text.get(range) else {
                return false;
            };
            match column.cell(text, self.empty_cells) {
                Ok(Some(value)) => field(&column.name, value),
                Ok(None) => {}
                Err(_) => return false,
            }
        }
        true
    }
}

/// One parsed row: the unquoted cells back to back, and where each ends.
#[derive(Default)]
struct Row {
    /// Line of the row's first byte.
    line: u64,
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Bytes and fields of `bytes` and `ends` in use (the rest is spare room).
    len: usize,
    fields: usize,
}

impl Row {
    fn cells(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.cell_ranges().map(|range| &self.bytes[range])
    }

    /// Where each cell lies in `bytes`.
    fn cell_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let ends = &self.ends[..self.fields];
        let starts = std::iter::once(0).chain(ends.iter().copied());
        starts.zip(ends).map(|(start, &end)| start..end)
    }

    /// Drops the spare room, for a row that is kept a while.
    fn compact(mut self) -> Row {
        self.bytes.truncate(self.len);
        self.bytes.shrink_to_fit();
        self.ends.truncate(self.fields);
        self.ends.shrink_to_fit();
        self
    }

    fn capacity(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * size_of::<usize>()
    }
}

/// csv-core over the byte source, into a bounded row buffer.
struct RowReader<R> {
    source: ByteSource<R>,
    core: csv_core::Reader,
    max_record_bytes: usize,
}

impl<R: Read> RowReader<R> {
    /// Reads the next row into `row`: false at the end of the input. A row
    /// over the size limit or with more than `max_fields` fields is read to its
    /// end and reported as a bad record.
    fn read(
        &mut self,
        row: &mut Row,
        max_fields: usize,
        too_many_fields: &str,
    ) -> Result<bool, Failure> {
        self.skip_blank_lines()?;
        row.line = self.core.line();
        prepare(&mut row.bytes, 1024.min(self.max_record_bytes).max(1));
        prepare(&mut row.ends, 16.min(max_fields).max(1));
        let (mut len, mut fields) = (0, 0);
        let mut problem: Option<String> = None;
        let mut spare_bytes = [0u8; 1024];
        let mut spare_ends = [0usize; 16];
        let mut row_started = false;
        loop {
            let input = self.source.fill().map_err(Failure::fatal)?;
            let at_end = input.is_empty();
            // csv-core ends an open quote at the end of the input as if it
            // were closed, but a file cut short is an error. So a started
            // row gets a line end there instead: it ends the row just as the
            // end of the input does, unless a quoted cell is open, which
            // takes it in (this finds that without a second pass over the
            // row's bytes).
            let closes_row = at_end && row_started && problem.is_none();
            let input: &[u8] = if closes_row { b"\n" } else { input };
            let (result, read, written, ended) = match problem {
                None => {
                    self.core
                        .read_record(input, &mut row.bytes[len..], &mut row.ends[fields..])
                }
                // Past a limit: parse on to the row's end, keeping nothing.
                Some(_) => self
                    .core
                    .read_record(input, &mut spare_bytes, &mut spare_ends),
            };
            if !closes_row {
                row_started |= read > 0;
                self.source.consume(read);
            }
            if problem.is_none() {
                len += written;
                fields += ended;
            }
            match result {
                ReadRecordResult::InputEmpty if closes_row => {
                    // The line end went into an open quoted cell: end the
                    // row as the end of the input does, and report it.
                    self.core
                        .read_record(&[], &mut spare_bytes, &mut spare_ends);
                    let message = "a quoted cell is not closed before the end of the file";
                    return Err(Failure::bad_record(self.source.path(), row.line, message));
                }
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull if problem.is_none() => {
                    // The line end that closes a row needs a byte of room
                    // (the end of the input it stands for needs none).
                    let limit = self.max_record_bytes + usize::from(closes_row);
                    if row.bytes.len() >= limit {
                        let message = too_large_message("row", self.max_record_bytes);
                        problem = Some(format!("{message}; is a quote left open?"));
                    } else {
                        let grown = (row.bytes.len() * 2).min(limit);
                        row.bytes.resize(grown, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull if problem.is_none() => {
                    if row.ends.len() >= max_fields {
                        problem = Some(too_many_fields.to_owned());
                    } else {
                        let grown = (row.ends.len() * 2).min(max_fields);
                        row.ends.resize(grown, 0);
                    }
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    row.len = len;
                    row.fields = fields;
                    return match problem {
                        None => Ok(true),
                        Some(message) => {
                            Err(Failure::bad_record(self.source.path(), row.line, message))
                        }
                    };
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// Consumes empty lines before a row, so the parser's line count is the
    /// line the row starts on (csv-core would skip them too, but inside the
    /// row's read, after we noted the line).
    fn skip_blank_lines(&mut self) -> Result<(), Failure> {
        loop {
            let input = self.source.fill().map_err(Failure::fatal)?;
            let blank = input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            let newlines = input[..blank].iter().filter(|b| **b == b'\n').count() as u64;
            let done = input.is_empty() || blank < input.len();
            self.source.consume(blank);
            self.core.set_line(self.core.line() + newlines);
            if done {
                return Ok(());
            }
        }
    }
}

/// Gives a reused buffer at least `minimum` slots, and back to a modest size
/// after a big row.
fn prepare<T: Default + Clone>(buffer: &mut Vec<T>, minimum: usize) {
    let kept = (KEPT_RECORD_CAPACITY / size_of::<T>()).max(minimum);
    if buffer.len() > kept {
        buffer.truncate(kept);
        buffer.shrink_to(kept);
    }
    if buffer.len() < minimum {
        buffer.resize(minimum, T::default());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::super::test_support::{doc, read_all, skipping, strict};
    use super::super::{
        ColumnType, CsvTypes, DocumentReader, EmptyCells, Format, RawRecord, ReadOptions,
    };

    #[test]
    fn rows_become_documents_with_inferred_types() {
        let input = "_id,name,age,score,active,tags,zip,note\n\
                     1,Zoë,30,1.5,true,\"[\"\"a\"\",\"\"b\"\"]\",007,\n\
                     2,\"Lee, \"\"Jr\"\"\",41,2,false,[],12345,hi\n";
        let read = read_all(input.as_bytes(), Format::Csv, strict("p.csv"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [2, 3]);
        assert_eq!(
            read.docs(),
            [
                doc(
                    json!({"_id": "1", "name": "Zoë", "age": 30, "score": 1.5, "active": true,
                           "tags": ["a", "b"], "zip": "007", "note": null})
                ),
                doc(
                    json!({"_id": "2", "name": "Lee, \"Jr\"", "age": 41, "score": 2, "active": false,
                           "tags": [], "zip": "12345", "note": "hi"})
                ),
            ]
        );
    }

    #[test]
    fn the_reader_reports_the_columns_it_will_use() -> crate::error::Result<()> {
        let input = &b"a,b,c\n1,x,2.5\n"[..];
        let options = ReadOptions {
            csv_types: CsvTypes {
                infer: true,
                overrides: HashMap::from([("c".to_owned(), ColumnType::String)]),
            },
            ..ReadOptions::default()
        };
        let reader = DocumentReader::new(input, Format::Csv, options)?;
        let columns: Vec<_> = reader
            .csv_columns()
            .unwrap_or_default()
            .iter()
            .map(|c| (c.name.as_str(), c.column_type, c.inferred))
            .collect();
        assert_eq!(
            columns,
            [
                ("a", ColumnType::Integer, true),
                ("b", ColumnType::String, true),
                ("c", ColumnType::String, false)
            ]
        );
        Ok(())
    }

    #[test]
    fn chosen_types_apply_and_a_cell_that_does_not_fit_is_a_bad_row() {
        let input = b"id,n,flag\na,1,true\nb,x,false\nc,3,1\n";
        let options = ReadOptions {
            csv_types: CsvTypes {
                infer: true,
                overrides: HashMap::from([
                    ("n".to_owned(), ColumnType::Float),
                    ("flag".to_owned(), ColumnType::Bool),
                ]),
            },
            ..skipping("t.csv")
        };
        let read = read_all(input, Format::Csv, options);
        assert_eq!(
            read.errors,
            ["t.csv: line 3: column \"n\": \"x\" is not a finite number"]
        );
        assert_eq!(
            read.docs(),
            [
                doc(json!({"id": "a", "n": 1.0, "flag": true})),
                doc(json!({"id": "c", "n": 3.0, "flag": true}))
            ]
        );
    }

    #[test]
    fn bad_rows_are_reported_by_the_line_they_start_on() {
        let input = b"a,b\n1,\"two\nlines\"\n2\n\n3,4,5\n4,\"\xFF\"\n5,ok\n";
        let read = read_all(input, Format::Csv, skipping("t.csv"));
        assert_eq!(read.lines(), [2, 8]);
        assert_eq!(
            read.errors,
            [
                "t.csv: line 4: the row has 1 fields, the header has 2",
                "t.csv: line 6: the row has more fields than the header's 2",
                "t.csv: line 7: column \"b\": invalid UTF-8",
            ]
        );
        assert_eq!(read.docs()[0], doc(json!({"a": 1, "b": "two\nlines"})));
    }

    #[test]
    fn bad_rows_after_the_type_sample_are_reported_too() {
        let mut input = String::from("a,b\n");
        for i in 0..50 {
            input.push_str(&format!("{i},x\n"));
        }
        input.push_str("oops\n");
        let options = ReadOptions {
            csv_sample_rows: 10,
            ..skipping("t.csv")
        };
        let read = read_all(input.as_bytes(), Format::Csv, options);
        assert_eq!(read.documents.len(), 50);
        assert_eq!(
            read.errors,
            ["t.csv: line 52: the row has 1 fields, the header has 2"]
        );
    }

    #[test]
    fn a_row_over_the_size_limit_is_skipped() {
        let input = format!("a\n1\n\"{}\"\n3\n", "x".repeat(10_000));
        let options = ReadOptions {
            max_record_bytes: 2000,
            ..skipping("t.csv")
        };
        let read = read_all(input.as_bytes(), Format::Csv, options);
        assert_eq!(read.lines(), [2, 4]);
        assert_eq!(
            read.errors,
            [
                "t.csv: line 3: the row is larger than the limit of 2000 bytes (ReadOptions::max_record_bytes); is a quote left open?"
            ]
        );
    }

    #[test]
    fn a_row_of_exactly_the_size_limit_at_the_end_of_the_file_is_read() {
        let input = format!("a\n{}", "x".repeat(2000));
        let options = ReadOptions {
            max_record_bytes: 2000,
            ..strict("t.csv")
        };
        let read = read_all(input.as_bytes(), Format::Csv, options);
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [2]);
    }

    #[test]
    fn a_character_split_between_two_cells_is_invalid_utf8_on_both_paths() {
        let input = &b"a,b\n\xC3,\xA9\n"[..];
        let reader = DocumentReader::new(input, Format::Csv, strict("t.csv"));
        let Ok(mut reader) = reader else {
            panic!("the header is fine");
        };
        let mut offered = None;
        let next = reader.next_document_or(&mut |record| {
            if let RawRecord::CsvRow(row) = record {
                offered = Some(row.for_each_field(|_, _| {}));
            }
            false
        });
        assert_eq!(offered, Some(false));
        let error = next.and_then(|next| next.err()).map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("t.csv: line 2: column \"a\": invalid UTF-8")
        );
    }

    #[test]
    fn a_quote_left_open_at_the_end_of_the_file_is_an_error_naming_its_line() {
        for input in [
            &b"a,b\n1,x\n2,\"open\n"[..],
            b"a,b\n1,x\n2,\"open",
            b"a,b\n1,x\n2,\"x\"\"\n",
            b"a,b\n1,x\n2,\"x\"\"y",
            b"a,b\n1,x\n\"",
            b"a,b\r\n1,x\r\n2,\"a\r\n",
        ] {
            let read = read_all(input, Format::Csv, skipping("t.csv"));
            assert_eq!(
                read.errors,
                ["t.csv: line 3: a quoted cell is not closed before the end of the file"],
                "{}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(read.lines(), [2]);
        }
    }

    #[test]
    fn closed_quotes_and_literal_quotes_at_the_end_are_read() {
        for (input, last) in [
            (&b"a,b\n2,\"x\"\"y\""[..], "x\"y"),
            (b"a,b\n2,5\"", "5\""),
            (b"a,b\n2,\"q\"tail", "qtail"),
            (b"a,b\n2,\"\"\"\"", "\""),
            (b"a,b\r\n2,\"x\"\r\n", "x"),
            (b"a,b\n2,x\"\"", "x\"\""),
        ] {
            let read = read_all(input, Format::Csv, strict("t.csv"));
            assert_eq!(
                read.errors,
                Vec::<String>::new(),
                "{}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(read.docs()[0]["b"], json!(last));
        }
    }

    #[test]
    fn crlf_line_ends_and_a_byte_order_mark_are_read() {
        let input = b"\xEF\xBB\xBFa,b\r\n1,x\r\n\r\n2,y\r\n";
        let read = read_all(input, Format::Csv, strict("t.csv"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(read.lines(), [2, 4]);
        assert_eq!(
            read.docs(),
            [
                doc(json!({"a": 1, "b": "x"})),
                doc(json!({"a": 2, "b": "y"}))
            ]
        );
    }

    #[test]
    fn header_problems_fail_the_whole_read() {
        let unknown_override = ReadOptions {
            csv_types: CsvTypes {
                infer: true,
                overrides: HashMap::from([("missing".to_owned(), ColumnType::Integer)]),
            },
            ..strict("t.csv")
        };
        let cases = [
            (
                &b"a,b,a\n1,2,3\n"[..],
                strict("t.csv"),
                "t.csv: line 1: the header names column \"a\" twice",
            ),
            (
                b"a,\xFF\n",
                strict("t.csv"),
                "t.csv: line 1: column 2 of the header is not valid UTF-8",
            ),
            (
                b"a\n1\n",
                unknown_override,
                "t.csv: line 1: a type is given for column \"missing\", which the header does not have",
            ),
        ];
        for (input, options, expected) in cases {
            let read = read_all(input, Format::Csv, options);
            assert_eq!(read.errors, [expected]);
            assert!(read.documents.is_empty());
        }
    }

    #[test]
    fn empty_input_and_a_lone_header_have_no_documents() {
        for input in [&b""[..], b"\n\n", b"a,b\n"] {
            let read = read_all(input, Format::Csv, strict("t.csv"));
            assert!(
                read.documents.is_empty() && read.errors.is_empty(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn empty_cells_can_be_left_out() {
        let options = ReadOptions {
            csv_empty_cells: EmptyCells::Omit,
            ..strict("t.csv")
        };
        let read = read_all(b"a,b\n1,\n,2\n", Format::Csv, options);
        assert_eq!(read.docs(), [doc(json!({"a": 1})), doc(json!({"b": 2}))]);
    }

    #[test]
    fn without_inference_every_cell_is_text() {
        let options = ReadOptions {
            csv_types: CsvTypes {
                infer: false,
                overrides: HashMap::new(),
            },
            ..strict("t.csv")
        };
        let read = read_all(b"a,b\n1,true\n", Format::Csv, options);
        assert_eq!(read.docs(), [doc(json!({"a": "1", "b": "true"}))]);
    }
}
