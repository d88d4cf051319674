//! [`Refreshed`]: what a follower's look found (a type of its own, as the
//! handle keeps what its write spans caught up on for the next report).

/// What [`FluxDB::refresh`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// Collections with new commits, and how many puts and deletes each.
    pub advanced: Vec<(String, usize)>,
    /// Collections whose file was replaced, read again.
    pub reopened: Vec<String>,
    /// Collections that appeared.
    pub added: Vec<String>,
    /// Collections that are gone.
    pub removed: Vec<String>,
}

impl Refreshed {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.advanced.is_empty()
            && self.reopened.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}

impl Refreshed {
    /// Adds what another look found.
    pub(super) fn absorb(&mut self, other: Refreshed) {
        for (name, changes) in other.advanced {
            match self.advanced.iter_mut().find(|(n, _)| *n == name) {
                Some((_, n)) => *n += changes,
                None => self.advanced.push((name, changes)),
            }
        }
        for (list, more) in [
            (&mut self.reopened, other.reopened),
            (&mut self.added, other.added),
            (&mut self.removed, other.removed),
        ] {
            for name in more {
                if !list.contains(&name) {
                    list.push(name);
                }
            }
        }
    }
}
