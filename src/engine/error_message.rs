//! Short error messages: a query, update or pipeline error quotes the
//! values it rejects, and [`shortened`] cuts such a message to a bounded,
//! one-line length.

/// Longest message a query, update or pipeline error keeps: values quoted
/// in one are cut, so a 16 MiB operand gives a short, one-line error.
const MAX_MESSAGE_BYTES: usize = 300;

/// Cuts the message of a query, update or pipeline error to
/// [`MAX_MESSAGE_BYTES`].
pub(crate) fn shortened(error: crate::Error) -> crate::Error {
    use crate::Error;
    let cut = |mut message: String| {
        if message.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str("… (cut)");
        }
        message
    };
    match error {
        Error::InvalidQuery(m) => Error::InvalidQuery(cut(m)),
        Error::InvalidUpdate(m) => Error::InvalidUpdate(cut(m)),
        Error::InvalidPipeline(m) => Error::InvalidPipeline(cut(m)),
        other => other,
    }
}
