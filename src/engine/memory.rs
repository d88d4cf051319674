//! How much to buffer before a flush, from the memory the machine has free.

/// The seed sized its buffer from psutil's available memory; so do we, with
/// bounds: at least 1 MiB (so small machines still batch), at most 64 MiB (so
/// a crash never loses more than that and a flush never stalls for long).
pub fn default_flush_size() -> usize {
    const MIN: u64 = 1 << 20;
    const MAX: u64 = 64 << 20;
    // Without a reading (an unusual platform), assume a small machine.
    let available = match sysinfo::System::new() {
        Ok(mut system) => {
            system.refresh_memory();
            system.available_memory()
        }
        Err(_) => 0,
    };
    (available / 256).clamp(MIN, MAX) as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn flush_size_is_within_its_bounds() {
        let size = super::default_flush_size();
        assert!((1 << 20..=64 << 20).contains(&size), "{size}");
    }
}
