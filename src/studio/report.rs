//! How Studio tells the user what went wrong: an [`ErrorReport`] (what
//! failed and why) for the status line, the grid and the dialogs, and
//! [`line_column`], the place in a JSON text that a parse problem points at.
//! Below the state, the worker and the editors, so each can use them.

/// An error as the user sees it: what failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    pub what: String,
    pub why: String,
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut what = self.what.chars();
        match what.next() {
            Some(first) => write!(
                f,
                "{}{} failed: {}",
                first.to_uppercase(),
                what.as_str(),
                self.why
            ),
            None => write!(f, "{}", self.why),
        }
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, byte_offset: usize) -> (usize, usize) {
    let before = &text[..byte_offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
