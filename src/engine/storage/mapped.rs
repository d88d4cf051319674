//! A read-only memory map of the committed part of a collection file, so
//! that reading one record (an index lookup, a page of candidates) is a
//! slice of memory instead of a `pread` system call and a copy.
//!
//! Why it is sound: a collection file is append-only while open (FORMAT.md).
//! The bytes below the committed end that a map covers never change; the
//! only operations that cut a file cut what lies past committed data
//! (`NativeCollection` drops its map before any of them), and compaction,
//! clear and import put a new file in place by rename, which leaves the
//! mapped old file intact. Another process may only read (the writer lock),
//! and a writer never cuts data that a reader's record table points to.
//! Where mapping fails, readers fall back to reading the file.

use std::fs::File;

/// The mapped bytes `[0, len)` of a file, if mapping worked.
#[derive(Debug, Default)]
pub(crate) struct MappedFile {
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// Maps the first `len` bytes of `file` (nothing when `len` is 0 or the
    /// system refuses).
    pub fn new(file: &File, len: u64) -> MappedFile {
        let Ok(len) = usize::try_from(len) else {
            return MappedFile::default();
        };
        if len == 0 {
            return MappedFile::default();
        }
        // SAFETY: see the module comment: the mapped range is never changed
        // or cut while this map is alive.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(file) }.ok();
        if let Some(map) = &map {
            // Reads through the map are scattered (gets, index candidates);
            // scans read with `pread`.
            let _ = map.advise(memmap2::Advice::Random);
        }
        MappedFile { map }
    }

    /// The bytes `[offset, offset + len)`, if the map covers them.
    pub fn get(&self, offset: u64, len: u32) -> Option<&[u8]> {
        let map = self.map.as_ref()?;
        let start = usize::try_from(offset).ok()?;
        map.get(start..start.checked_add(len as usize)?)
    }

    /// How many bytes are mapped.
    pub fn len(&self) -> u64 {
        self.map.as_ref().map_or(0, |m| m.len() as u64)
    }
}
