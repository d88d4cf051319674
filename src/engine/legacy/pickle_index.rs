//! `indexes/<collection>.idx`: the Python library's pickle (protocol 5) of
//! `{field: {str(value): [record_id, ...]}}`.
//!
//! Reading understands the opcodes CPython's pickler uses for dicts, lists and
//! strings (protocols 2 to 5). Writing reproduces CPython's `pickle.dumps(d,
//! protocol=5)` byte for byte: its frames, its batches of 1000 and its memo,
//! which follows object identity, so the writer models which strings are the
//! same Python object (see [`StrIdentity`]).

use std::collections::HashMap;
use std::path::Path;

use super::record::{ID_FIELD, LegacyRecord};
use crate::error::{Error, Result};

/// One value of an indexed field and the ids of the records that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The stored text of the value (`""` for records without the field).
    pub value: String,
    /// Record ids in insertion order; a Python-written file may hold stale ones.
    pub ids: Vec<String>,
}

/// The content of an index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyIndexFile {
    /// The indexed fields, in the dict's order.
    pub fields: Vec<String>,
    /// `entries[i]` holds the values of `fields[i]`, in the dict's order.
    pub entries: Vec<Vec<IndexEntry>>,
}

impl LegacyIndexFile {
    /// The exact index the Python library would hold for `records`: each
    /// record's id listed under the text of each indexed field (`""` when the
    /// record lacks it), values in order of first appearance.
    pub fn rebuild(fields: &[String], records: &[LegacyRecord]) -> LegacyIndexFile {
        let records: Vec<&LegacyRecord> = records.iter().collect();
        let built = build_index(fields, &records);
        LegacyIndexFile {
            fields: built.iter().map(|field| field.name.to_string()).collect(),
            entries: built
                .iter()
                .map(|field| {
                    field
                        .values
                        .iter()
                        .map(|value| IndexEntry {
                            value: value.text.to_string(),
                            ids: value.ids.iter().map(|(id, _)| id.to_string()).collect(),
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// The placeholder path named in errors from the byte-level functions.
const UNNAMED_INDEX: &str = "<legacy index pickle>";

/// The indexed field names of an index file (the keys of its outer dict).
/// The entries are not checked: they are rebuilt from the records anyway.
pub fn read_index_file(bytes: &[u8]) -> Result<Vec<String>> {
    read_index_file_at(Path::new(UNNAMED_INDEX), bytes)
}

/// [`read_index_file`], naming `path` in errors.
pub fn read_index_file_at(path: &Path, bytes: &[u8]) -> Result<Vec<String>> {
    let pickle = Unpickler::run(path, bytes)?;
    Ok(pickle
        .outer_dict()?
        .into_iter()
        .map(|(field, _)| field)
        .collect())
}

/// The whole index file: fields and entries, which must be `{str: {str: [str]}}`.
pub fn parse_index_file(bytes: &[u8]) -> Result<LegacyIndexFile> {
    parse_index_file_at(Path::new(UNNAMED_INDEX), bytes)
}

/// [`parse_index_file`], naming `path` in errors.
pub fn parse_index_file_at(path: &Path, bytes: &[u8]) -> Result<LegacyIndexFile> {
    let pickle = Unpickler::run(path, bytes)?;
    let mut index = LegacyIndexFile {
        fields: Vec::new(),
        entries: Vec::new(),
    };
    for (field, inner) in pickle.outer_dict()? {
        let mut entries = Vec::new();
        for (key, ids) in pickle.dict_items(inner, &format!("index of {field:?}"))? {
            let value = pickle.text(key, &format!("a value key of {field:?}"))?;
            let ids = pickle
                .list_items(ids, &format!("ids under {field:?}={value:?}"))?
                .iter()
                .map(|&id| pickle.text(id, &format!("an id under {field:?}={value:?}")))
                .collect::<Result<Vec<String>>>()?;
            merge_entry(&mut entries, value, ids);
        }
        index.fields.push(field);
        index.entries.push(entries);
    }
    Ok(index)
}

/// A dict key seen again replaces the value in place, as in Python.
fn merge_entry(entries: &mut Vec<IndexEntry>, value: String, ids: Vec<String>) {
    match entries.iter_mut().find(|entry| entry.value == value) {
        Some(entry) => entry.ids = ids,
        None => entries.push(IndexEntry { value, ids }),
    }
}

/// The index file the Python library would write for `records` indexed on
/// `fields`, byte for byte as CPython's `pickle.dumps(index, protocol=5)` of
/// the index built from the records as the library reads them.
pub fn write_index_file(fields: &[String], records: &[LegacyRecord]) -> Result<Vec<u8>> {
    let records: Vec<&LegacyRecord> = records.iter().collect();
    write_index_file_for(fields, &records)
}

/// [`write_index_file`] for records held elsewhere (a collection in memory).
pub fn write_index_file_for(fields: &[String], records: &[&LegacyRecord]) -> Result<Vec<u8>> {
    let built = build_index(fields, records);
    let mut pickler = Pickler::new();
    pickler.save_dict(built.len(), |pickler, i| {
        let field = &built[i];
        pickler.save_str(field.name, field.identity);
        pickler.save_dict(field.values.len(), |pickler, j| {
            let value = &field.values[j];
            pickler.save_str(value.text, value.identity);
            pickler.save_list(&value.ids);
        });
    });
    Ok(pickler.finish())
}

/// Which Python object a string is, for the pickle memo (CPython memoizes by
/// object identity). In the dict the library builds from decoded records, each
/// record's id is one object (shared by every list it is in, and the value of
/// an indexed `_id` field), each other value is its own object, and CPython
/// shares one object for `""` and for each one-character string below U+0100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum StrIdentity {
    /// A CPython singleton: `""` (code `EMPTY`) or one character below U+0100.
    Singleton(u32),
    /// The n-th indexed field name.
    FieldName(usize),
    /// The id of the n-th record.
    RecordId(usize),
    /// The value of an indexed field (by position) in a record (by position).
    Value { record: usize, field: usize },
}

impl StrIdentity {
    const EMPTY: u32 = u32::MAX;

    fn of(text: &str, otherwise: StrIdentity) -> StrIdentity {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (None, _) => StrIdentity::Singleton(Self::EMPTY),
            (Some(ch), None) if (ch as u32) < 0x100 => StrIdentity::Singleton(ch as u32),
            _ => otherwise,
        }
    }
}

struct BuiltField<'a> {
    name: &'a str,
    identity: StrIdentity,
    values: Vec<BuiltValue<'a>>,
}

struct BuiltValue<'a> {
    text: &'a str,
    identity: StrIdentity,
    ids: Vec<(&'a str, StrIdentity)>,
}

/// `{f: {} for f in fields}`, then for each record and field
/// `index[f].setdefault(str(record.get(f, "")), []).append(record["_id"])`.
fn build_index<'a>(fields: &'a [String], records: &[&'a LegacyRecord]) -> Vec<BuiltField<'a>> {
    let mut built: Vec<BuiltField<'a>> = Vec::new();
    for (position, name) in fields.iter().enumerate() {
        if built.iter().all(|field| field.name != name) {
            built.push(BuiltField {
                name,
                identity: StrIdentity::of(name, StrIdentity::FieldName(position)),
                values: Vec::new(),
            });
        }
    }
    let mut positions: Vec<HashMap<&'a str, usize>> = vec![HashMap::new(); built.len()];
    for (record_number, &record) in records.iter().enumerate() {
        let id = (
            record.id.as_str(),
            StrIdentity::of(&record.id, StrIdentity::RecordId(record_number)),
        );
        for (field_number, field) in built.iter_mut().enumerate() {
            let text = record.get(field.name).unwrap_or("");
            let own = if field.name == ID_FIELD {
                StrIdentity::RecordId(record_number)
            } else {
                StrIdentity::Value {
                    record: record_number,
                    field: field_number,
                }
            };
            let slot = *positions[field_number].entry(text).or_insert_with(|| {
                field.values.push(BuiltValue {
                    text,
                    identity: StrIdentity::of(text, own),
                    ids: Vec::new(),
                });
                field.values.len() - 1
            });
            field.values[slot].ids.push(id);
        }
    }
    built
}

mod opcode {
    pub const PROTO: u8 = 0x80;
    pub const FRAME: u8 = 0x95;
    pub const STOP: u8 = b'.';
    pub const MARK: u8 = b'(';
    pub const EMPTY_DICT: u8 = b'}';
    pub const EMPTY_LIST: u8 = b']';
    pub const EMPTY_TUPLE: u8 = b')';
    pub const DICT: u8 = b'd';
    pub const LIST: u8 = b'l';
    pub const TUPLE: u8 = b't';
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE2: u8 = 0x86;
    pub const TUPLE3: u8 = 0x87;
    pub const SETITEM: u8 = b's';
    pub const SETITEMS: u8 = b'u';
    pub const APPEND: u8 = b'a';
    pub const APPENDS: u8 = b'e';
    pub const SHORT_BINUNICODE: u8 = 0x8c;
    pub const BINUNICODE: u8 = b'X';
    pub const BINUNICODE8: u8 = 0x8d;
    pub const MEMOIZE: u8 = 0x94;
    pub const BINPUT: u8 = b'q';
    pub const LONG_BINPUT: u8 = b'r';
    pub const BINGET: u8 = b'h';
    pub const LONG_BINGET: u8 = b'j';
    pub const NONE: u8 = b'N';
    pub const NEWTRUE: u8 = 0x88;
    pub const NEWFALSE: u8 = 0x89;
    pub const BININT: u8 = b'J';
    pub const BININT1: u8 = b'K';
    pub const BININT2: u8 = b'M';
}

/// CPython's `_FRAME_SIZE_TARGET`: a frame is closed once it reaches this size,
/// and a string this long is written outside any frame.
const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// CPython writes a frame shorter than this without its FRAME header.
const FRAME_SIZE_MIN: usize = 4;
/// CPython's `BATCHSIZE` for SETITEMS and APPENDS.
const BATCH_SIZE: usize = 1000;

/// Writes the pickle the way CPython's C pickler does at protocol 5.
struct Pickler {
    out: Vec<u8>,
    frame: Vec<u8>,
    memo: HashMap<StrIdentity, u32>,
    memo_len: u32,
}

impl Pickler {
    fn new() -> Pickler {
        Pickler {
            out: vec![opcode::PROTO, 5],
            frame: Vec::new(),
            memo: HashMap::new(),
            memo_len: 0,
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.frame.push(opcode::STOP);
        self.commit_frame(true);
        self.out
    }

    /// Every object starts at an opcode boundary, where a full frame is closed.
    fn begin_object(&mut self) {
        self.commit_frame(false);
    }

    fn commit_frame(&mut self, force: bool) {
        if self.frame.len() < FRAME_SIZE_TARGET && !force {
            return;
        }
        if self.frame.len() >= FRAME_SIZE_MIN {
            self.out.push(opcode::FRAME);
            self.out
                .extend_from_slice(&(self.frame.len() as u64).to_le_bytes());
        }
        self.out.append(&mut self.frame);
    }

    fn memoize(&mut self) {
        self.frame.push(opcode::MEMOIZE);
        self.memo_len += 1;
    }

    fn save_str(&mut self, text: &str, identity: StrIdentity) {
        self.begin_object();
        if let Some(&index) = self.memo.get(&identity) {
            match u8::try_from(index) {
                Ok(short) => self.frame.extend_from_slice(&[opcode::BINGET, short]),
                Err(_) => {
                    self.frame.push(opcode::LONG_BINGET);
                    self.frame.extend_from_slice(&index.to_le_bytes());
                }
            }
            return;
        }
        let bytes = text.as_bytes();
        if let Ok(short) = u8::try_from(bytes.len()) {
            self.frame
                .extend_from_slice(&[opcode::SHORT_BINUNICODE, short]);
            self.frame.extend_from_slice(bytes);
        } else {
            let mut header = Vec::with_capacity(9);
            match u32::try_from(bytes.len()) {
                Ok(len) => {
                    header.push(opcode::BINUNICODE);
                    header.extend_from_slice(&len.to_le_bytes());
                }
                Err(_) => {
                    header.push(opcode::BINUNICODE8);
                    header.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                }
            }
            if bytes.len() >= FRAME_SIZE_TARGET {
                // Large payloads go between frames, not inside one.
                self.commit_frame(true);
                self.out.extend_from_slice(&header);
                self.out.extend_from_slice(bytes);
            } else {
                self.frame.extend_from_slice(&header);
                self.frame.extend_from_slice(bytes);
            }
        }
        self.memo.insert(identity, self.memo_len);
        self.memoize();
    }

    /// A list of strings: one item takes APPEND; more go in MARK..APPENDS
    /// batches of up to 1000.
    fn save_list(&mut self, items: &[(&str, StrIdentity)]) {
        self.begin_object();
        self.frame.push(opcode::EMPTY_LIST);
        self.memoize();
        if let [(text, identity)] = items {
            self.save_str(text, *identity);
            self.frame.push(opcode::APPEND);
            return;
        }
        for batch in items.chunks(BATCH_SIZE) {
            self.frame.push(opcode::MARK);
            for (text, identity) in batch {
                self.save_str(text, *identity);
            }
            self.frame.push(opcode::APPENDS);
        }
    }

    /// A dict of `len` items, each saved by `save_item(self, i)`: one item takes
    /// SETITEM; more go in MARK..SETITEMS batches of up to 1000, and (as CPython
    /// does) a full last batch is followed by an empty one.
    fn save_dict(&mut self, len: usize, mut save_item: impl FnMut(&mut Pickler, usize)) {
        self.begin_object();
        self.frame.push(opcode::EMPTY_DICT);
        self.memoize();
        if len == 1 {
            save_item(self, 0);
            self.frame.push(opcode::SETITEM);
            return;
        }
        if len == 0 {
            return;
        }
        let mut next = 0;
        loop {
            self.frame.push(opcode::MARK);
            let batch_end = (next + BATCH_SIZE).min(len);
            let in_batch = batch_end - next;
            while next < batch_end {
                save_item(self, next);
                next += 1;
            }
            self.frame.push(opcode::SETITEMS);
            if in_batch < BATCH_SIZE {
                break;
            }
        }
    }
}

/// A Python object built by the unpickler, held in an arena so that memo
/// references and later mutation (APPENDS after MEMOIZE) share one object.
#[derive(Debug)]
enum PyObject {
    Str(String),
    List(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    /// An object an index never holds (int, bool, None, tuple), by type name.
    Other(&'static str),
}

impl PyObject {
    fn type_name(&self) -> &'static str {
        match self {
            PyObject::Str(_) => "str",
            PyObject::List(_) => "list",
            PyObject::Dict(_) => "dict",
            PyObject::Other(name) => name,
        }
    }
}

/// A stack entry: an object, or a MARK.
#[derive(Debug, Clone, Copy)]
enum StackItem {
    Object(usize),
    Mark,
}

/// The result of running a pickle: its objects and the top one.
struct Unpickled<'p> {
    path: &'p Path,
    objects: Vec<PyObject>,
    /// Byte offset of the opcode that made each object, for error messages.
    origins: Vec<usize>,
    root: usize,
}

struct Unpickler<'p, 'b> {
    path: &'p Path,
    bytes: &'b [u8],
    pos: usize,
    objects: Vec<PyObject>,
    origins: Vec<usize>,
    /// Offset of the opcode being executed.
    op_start: usize,
    stack: Vec<StackItem>,
    memo: HashMap<u32, usize>,
}

impl<'p, 'b> Unpickler<'p, 'b> {
    fn run(path: &'p Path, bytes: &'b [u8]) -> Result<Unpickled<'p>> {
        let mut unpickler = Unpickler {
            path,
            bytes,
            pos: 0,
            objects: Vec::new(),
            origins: Vec::new(),
            op_start: 0,
            stack: Vec::new(),
            memo: HashMap::new(),
        };
        let root = unpickler.execute()?;
        Ok(Unpickled {
            path,
            objects: unpickler.objects,
            origins: unpickler.origins,
            root,
        })
    }

    fn corrupt(&self, offset: usize, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: self.path.to_path_buf(),
            offset: offset as u64,
            reason: reason.into(),
        }
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'b [u8]> {
        let start = self.pos;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                self.corrupt(
                    start,
                    format!("{what} of {len} bytes runs past the end of the pickle"),
                )
            })?;
        self.pos = end;
        Ok(&self.bytes[start..end])
    }

    fn take_array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let raw = self.take(N, what)?;
        let mut array = [0u8; N];
        array.copy_from_slice(raw);
        Ok(array)
    }

    fn push_new(&mut self, object: PyObject) {
        self.objects.push(object);
        self.origins.push(self.op_start);
        self.stack.push(StackItem::Object(self.objects.len() - 1));
    }

    fn pop(&mut self, at: usize) -> Result<usize> {
        match self.stack.pop() {
            Some(StackItem::Object(object)) => Ok(object),
            Some(StackItem::Mark) => Err(self.corrupt(at, "expected an object, found a MARK")),
            None => Err(self.corrupt(at, "stack underflow")),
        }
    }

    fn top(&self, at: usize) -> Result<usize> {
        match self.stack.last() {
            Some(StackItem::Object(object)) => Ok(*object),
            _ => Err(self.corrupt(at, "expected an object on the stack")),
        }
    }

    /// Pops everything above the topmost MARK, and the MARK.
    fn pop_to_mark(&mut self, at: usize) -> Result<Vec<usize>> {
        let mark = self
            .stack
            .iter()
            .rposition(|item| matches!(item, StackItem::Mark))
            .ok_or_else(|| self.corrupt(at, "no MARK on the stack"))?;
        let items = self
            .stack
            .drain(mark..)
            .skip(1)
            .filter_map(|item| match item {
                StackItem::Object(object) => Some(object),
                StackItem::Mark => None,
            })
            .collect();
        Ok(items)
    }

    fn push_text(&mut self, raw: &[u8], at: usize) -> Result<()> {
        let text = std::str::from_utf8(raw)
            .map_err(|e| self.corrupt(at, format!("string is not valid UTF-8: {e}")))?;
        self.push_new(PyObject::Str(text.to_string()));
        Ok(())
    }

    fn set_items(&mut self, at: usize, items: &[usize]) -> Result<()> {
        if !items.len().is_multiple_of(2) {
            return Err(self.corrupt(at, "odd number of items for a dict"));
        }
        let target = self.top(at)?;
        let pairs: Vec<(usize, usize)> = items.chunks(2).map(|pair| (pair[0], pair[1])).collect();
        match &mut self.objects[target] {
            PyObject::Dict(entries) => {
                entries.extend(pairs);
                Ok(())
            }
            other => {
                let found = other.type_name();
                Err(self.corrupt(at, format!("SETITEM on a {found}, not a dict")))
            }
        }
    }

    fn append_items(&mut self, at: usize, items: &[usize]) -> Result<()> {
        let target = self.top(at)?;
        match &mut self.objects[target] {
            PyObject::List(list) => {
                list.extend_from_slice(items);
                Ok(())
            }
            other => {
                let found = other.type_name();
                Err(self.corrupt(at, format!("APPEND on a {found}, not a list")))
            }
        }
    }

    fn memo_put(&mut self, at: usize, index: u32) -> Result<()> {
        let object = self.top(at)?;
        self.memo.insert(index, object);
        Ok(())
    }

    fn memo_get(&mut self, at: usize, index: u32) -> Result<()> {
        let object = *self
            .memo
            .get(&index)
            .ok_or_else(|| self.corrupt(at, format!("memo entry {index} was never stored")))?;
        self.stack.push(StackItem::Object(object));
        Ok(())
    }

    fn execute(&mut self) -> Result<usize> {
        loop {
            let at = self.pos;
            self.op_start = at;
            let [op] = self.take_array::<1>("opcode")?;
            match op {
                opcode::PROTO => {
                    let [version] = self.take_array::<1>("protocol version")?;
                    if !(2..=5).contains(&version) {
                        return Err(
                            self.corrupt(at, format!("unsupported pickle protocol {version}"))
                        );
                    }
                }
                opcode::FRAME => {
                    let len = u64::from_le_bytes(self.take_array::<8>("frame length")?);
                    if len > (self.bytes.len() - self.pos) as u64 {
                        return Err(
                            self.corrupt(at, format!("frame of {len} bytes runs past the end"))
                        );
                    }
                }
                opcode::STOP => {
                    let root = self.pop(at)?;
                    return Ok(root);
                }
                opcode::MARK => self.stack.push(StackItem::Mark),
                opcode::EMPTY_DICT => self.push_new(PyObject::Dict(Vec::new())),
                opcode::EMPTY_LIST => self.push_new(PyObject::List(Vec::new())),
                opcode::EMPTY_TUPLE => self.push_new(PyObject::Other("tuple")),
                opcode::DICT => {
                    let items = self.pop_to_mark(at)?;
                    self.push_new(PyObject::Dict(Vec::new()));
                    self.set_items(at, &items)?;
                }
                opcode::LIST => {
                    let items = self.pop_to_mark(at)?;
                    self.push_new(PyObject::List(items));
                }
                opcode::TUPLE => {
                    self.pop_to_mark(at)?;
                    self.push_new(PyObject::Other("tuple"));
                }
                opcode::TUPLE1 | opcode::TUPLE2 | opcode::TUPLE3 => {
                    let count = usize::from(op - opcode::TUPLE1) + 1;
                    for _ in 0..count {
                        self.pop(at)?;
                    }
                    self.push_new(PyObject::Other("tuple"));
                }
                opcode::SETITEM => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    self.set_items(at, &[key, value])?;
                }
                opcode::SETITEMS => {
                    let items = self.pop_to_mark(at)?;
                    self.set_items(at, &items)?;
                }
                opcode::APPEND => {
                    let item = self.pop(at)?;
                    self.append_items(at, &[item])?;
                }
                opcode::APPENDS => {
                    let items = self.pop_to_mark(at)?;
                    self.append_items(at, &items)?;
                }
                opcode::SHORT_BINUNICODE => {
                    let [len] = self.take_array::<1>("string length")?;
                    let raw = self.take(usize::from(len), "string")?;
                    self.push_text(raw, at)?;
                }
                opcode::BINUNICODE => {
                    let len = u32::from_le_bytes(self.take_array::<4>("string length")?);
                    let raw = self.take(len as usize, "string")?;
                    self.push_text(raw, at)?;
                }
                opcode::BINUNICODE8 => {
                    let len = u64::from_le_bytes(self.take_array::<8>("string length")?);
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    let raw = self.take(len, "string")?;
                    self.push_text(raw, at)?;
                }
                opcode::MEMOIZE => {
                    let index = u32::try_from(self.memo.len())
                        .map_err(|_| self.corrupt(at, "memo overflow"))?;
                    self.memo_put(at, index)?;
                }
                opcode::BINPUT => {
                    let [index] = self.take_array::<1>("memo index")?;
                    self.memo_put(at, u32::from(index))?;
                }
                opcode::LONG_BINPUT => {
                    let index = u32::from_le_bytes(self.take_array::<4>("memo index")?);
                    self.memo_put(at, index)?;
                }
                opcode::BINGET => {
                    let [index] = self.take_array::<1>("memo index")?;
                    self.memo_get(at, u32::from(index))?;
                }
                opcode::LONG_BINGET => {
                    let index = u32::from_le_bytes(self.take_array::<4>("memo index")?);
                    self.memo_get(at, index)?;
                }
                opcode::NONE => self.push_new(PyObject::Other("None")),
                opcode::NEWTRUE => self.push_new(PyObject::Other("bool")),
                opcode::NEWFALSE => self.push_new(PyObject::Other("bool")),
                opcode::BININT => {
                    self.take_array::<4>("int")?;
                    self.push_new(PyObject::Other("int"));
                }
                opcode::BININT1 => {
                    self.take_array::<1>("int")?;
                    self.push_new(PyObject::Other("int"));
                }
                opcode::BININT2 => {
                    self.take_array::<2>("int")?;
                    self.push_new(PyObject::Other("int"));
                }
                other => {
                    return Err(self.corrupt(
                        at,
                        format!("pickle opcode 0x{other:02x} is not used by an index file"),
                    ));
                }
            }
        }
    }
}

impl Unpickled<'_> {
    fn corrupt(&self, object: usize, reason: String) -> Error {
        Error::Corrupt {
            path: self.path.to_path_buf(),
            offset: self.origins.get(object).map_or(0, |&at| at as u64),
            reason,
        }
    }

    /// Items of a dict; a key seen again keeps its first place (Python dicts).
    fn dict_items(&self, object: usize, what: &str) -> Result<Vec<(usize, usize)>> {
        match &self.objects[object] {
            PyObject::Dict(items) => Ok(items.clone()),
            other => Err(self.corrupt(
                object,
                format!("{what} is a {}, not a dict", other.type_name()),
            )),
        }
    }

    fn list_items(&self, object: usize, what: &str) -> Result<Vec<usize>> {
        match &self.objects[object] {
            PyObject::List(items) => Ok(items.clone()),
            other => Err(self.corrupt(
                object,
                format!("{what} is a {}, not a list", other.type_name()),
            )),
        }
    }

    fn text(&self, object: usize, what: &str) -> Result<String> {
        match &self.objects[object] {
            PyObject::Str(text) => Ok(text.clone()),
            other => Err(self.corrupt(
                object,
                format!("{what} is a {}, not a str", other.type_name()),
            )),
        }
    }

    /// The outer dict as (field name, inner object), merged as Python merges
    /// repeated keys: first place, last value.
    fn outer_dict(&self) -> Result<Vec<(String, usize)>> {
        let mut fields: Vec<(String, usize)> = Vec::new();
        for (key, value) in self.dict_items(self.root, "the index")? {
            let name = self.text(key, "an indexed field name")?;
            match fields.iter_mut().find(|(existing, _)| *existing == name) {
                Some(entry) => entry.1 = value,
                None => fields.push((name, value)),
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::legacy::record::read_collection;
    use crate::engine::legacy::test_fixtures::{expected_json, fixture_bytes};

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn fixture_records(collection: &str) -> Vec<LegacyRecord> {
        read_collection(&fixture_bytes("basic", &format!("{collection}.fdb"))).records
    }

    #[test]
    fn fixture_index_files_name_the_fields_python_reports() {
        for folder in ["basic", "torn-tail"] {
            let expected = expected_json(folder);
            let indexed = expected["indexed_fields"]
                .as_object()
                .expect("indexed_fields");
            assert_eq!(indexed.len(), 2);
            for (collection, fields) in indexed {
                let fields: Vec<&str> = fields
                    .as_array()
                    .expect("field list")
                    .iter()
                    .map(|f| f.as_str().expect("field name"))
                    .collect();
                let bytes = fixture_bytes(folder, &format!("indexes/{collection}.idx"));
                assert_eq!(
                    read_index_file(&bytes).expect("reads"),
                    fields,
                    "{folder}/{collection}"
                );
            }
        }
    }

    #[test]
    fn the_fixture_users_index_parses_with_its_stale_ids() {
        let bytes = fixture_bytes("basic", "indexes/users.idx");
        let index = parse_index_file(&bytes).expect("parses");
        assert_eq!(index.fields, ["age", "status"]);
        let status: Vec<(&str, usize)> = index.entries[1]
            .iter()
            .map(|entry| (entry.value.as_str(), entry.ids.len()))
            .collect();
        // 59 ids for 55 records: the library never removes an id on update.
        assert_eq!(status, [("active", 10), ("pending", 18), ("inactive", 31)]);
        assert_eq!(index.entries[0].len(), 40);
        assert_eq!(index.entries[0][0].value, "78");
        assert_eq!(
            index.entries[0][0].ids,
            ["360e2661-43d3-444e-87b5-3033b7e0b45b"]
        );
    }

    #[test]
    fn writing_an_empty_index_reproduces_the_fixture_file() {
        let written = write_index_file(&strings(&["name"]), &[]).expect("writes");
        assert_eq!(written, fixture_bytes("basic", "indexes/empty.idx"));
    }

    /// Bytes written by CPython's `pickle.dumps(index, protocol=5)` (see
    /// testdata/make_index_pickles.py, which also checks they load back equal).
    #[test]
    fn written_index_files_equal_cpythons_pickle_of_the_same_index() {
        let cases: [(&str, &[&str], &[u8]); 3] = [
            (
                "users",
                &["age", "status"],
                include_bytes!("testdata/users_age_status.pkl"),
            ),
            (
                "empty",
                &["name"],
                include_bytes!("testdata/empty_name.pkl"),
            ),
            (
                "products",
                &["category", "sale", "_id", "missing", "category", "s"],
                include_bytes!("testdata/products_mixed.pkl"),
            ),
        ];
        for (collection, fields, python_bytes) in cases {
            let written =
                write_index_file(&strings(fields), &fixture_records(collection)).expect("writes");
            assert_eq!(written, python_bytes, "{collection} indexed on {fields:?}");
        }
    }

    /// The synthetic records of testdata/make_index_pickles.py: 2101 records,
    /// exercising batches of exactly 1000, frames, large strings, LONG_BINGET
    /// and CPython's shared one-character strings.
    fn synthetic_records() -> Vec<LegacyRecord> {
        (0..2101usize)
            .map(|i| {
                let id = if i == 7 {
                    "a".to_string()
                } else {
                    format!("s{i:04}")
                };
                let mut fields = vec![
                    ("_id".to_string(), id.clone()),
                    ("v".to_string(), (i % 1000).to_string()),
                    (
                        "w".to_string(),
                        match i {
                            0..=1000 => "x",
                            1001..=2000 => "y",
                            _ => "é",
                        }
                        .to_string(),
                    ),
                ];
                match i % 3 {
                    1 => fields.push(("t".to_string(), "a".to_string())),
                    2 => fields.push(("t".to_string(), String::new())),
                    _ => {}
                }
                let big = match i {
                    5 => Some("L".repeat(65536)),
                    6 => Some("M".repeat(300)),
                    _ => None,
                };
                if let Some(big) = big {
                    fields.push(("big".to_string(), big));
                }
                LegacyRecord { id, fields }
            })
            .collect()
    }

    #[test]
    fn a_large_synthetic_index_equals_cpythons_pickle_byte_for_byte() {
        let fields = strings(&["v", "w", "t", "_id", "big", "a"]);
        let written = write_index_file(&fields, &synthetic_records()).expect("writes");
        let python_bytes: &[u8] = include_bytes!("testdata/synthetic.pkl");
        assert_eq!(written.len(), python_bytes.len());
        let first_difference = written.iter().zip(python_bytes).position(|(a, b)| a != b);
        assert_eq!(first_difference, None);
    }

    #[test]
    fn a_written_index_parses_back_to_the_rebuilt_index() {
        let fields = strings(&["v", "w", "t", "_id", "big", "a", "v"]);
        let records = synthetic_records();
        let written = write_index_file(&fields, &records).expect("writes");
        let parsed = parse_index_file(&written).expect("parses");
        let rebuilt = LegacyIndexFile::rebuild(&fields, &records);
        assert_eq!(parsed, rebuilt);
        assert_eq!(rebuilt.fields, ["v", "w", "t", "_id", "big", "a"]);
        assert_eq!(rebuilt.entries[0].len(), 1000);
        assert_eq!(
            rebuilt.entries[5],
            [IndexEntry {
                value: String::new(),
                ids: records.iter().map(|r| r.id.clone()).collect(),
            }]
        );
        let users = fixture_records("users");
        let written = write_index_file(&strings(&["age", "status"]), &users).expect("writes");
        assert_eq!(read_index_file(&written).expect("reads"), ["age", "status"]);
    }

    #[test]
    fn every_truncation_of_an_index_file_is_an_error_not_a_panic() {
        let bytes = fixture_bytes("basic", "indexes/users.idx");
        for cut in 0..bytes.len() {
            let result = read_index_file(&bytes[..cut]);
            assert!(
                matches!(result, Err(Error::Corrupt { .. })),
                "cut {cut} gave {result:?}"
            );
        }
        assert!(read_index_file(&bytes).is_ok());
    }

    #[test]
    fn corrupt_pickles_give_errors_that_say_where() {
        let cases: [(&[u8], &str); 7] = [
            (b"\x80\x05}\x94\x8c\x01a\x94}\x94u.", "no MARK"),
            (b"\x80\x05}\x94(\x8c\x01a\x94}\x94s.", "expected an object"),
            (
                b"\x80\x05\x8c\x01a\x94.",
                "offset 2: the index is a str, not a dict",
            ),
            (
                b"\x80\x05}\x94K\x01}\x94s.",
                "offset 4: an indexed field name is a int, not a str",
            ),
            (b"\x80\x05Xzzzz", "runs past the end"),
            (b"\x80\x05}h\x07.", "memo entry 7"),
            (b"\x80\x05c__builtin__\nevil\n.", "opcode 0x63"),
        ];
        for (bytes, expected) in cases {
            let error = read_index_file(bytes).expect_err("corrupt pickle is rejected");
            let message = error.to_string();
            assert!(
                message.contains(expected),
                "{message:?} should say {expected:?}"
            );
            assert!(message.contains("<legacy index pickle>"), "{message}");
        }
        let named = read_index_file_at(Path::new("db/indexes/users.idx"), b"\x80\x05")
            .expect_err("truncated");
        assert!(
            named
                .to_string()
                .starts_with("db/indexes/users.idx: corrupt at byte offset 2")
        );
    }

    #[test]
    fn random_bytes_never_panic_the_unpickler() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"\x80\x95.(}])dlt\x85\x86\x87suae\x8cX\x8d\x94qrhjN\x88\x89JKM\x05\x01\xff";
        for _ in 0..5000 {
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse_index_file(&bytes);
            let _ = read_index_file(&bytes);
        }
    }
}
