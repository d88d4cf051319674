//! Syntax colours for the JSON editors, with the error position marked.
//!
//! A small tokenizer of our own rather than syntect: JSON needs six token
//! kinds, and it must colour half-typed, invalid text without giving up.

use std::ops::Range;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Stroke};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Key,
    String,
    Number,
    Literal,
    Punctuation,
    Whitespace,
    /// A folded value's length, `<8,388,608 bytes>` (`state::folding`).
    Fold,
    /// Anything JSON does not allow here.
    Other,
}

/// Text longer than this is drawn in one colour: colouring costs time per
/// byte, and the views that show more than this show it a row at a time.
pub const HIGHLIGHT_LIMIT: usize = 256 * 1024;

/// Splits `text` into tokens covering every byte, in order.
pub fn tokenize(text: &str) -> Vec<(Range<usize>, TokenKind)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
                i = i.min(bytes.len());
                if next_non_space(bytes, i) == Some(b':') {
                    TokenKind::Key
                } else {
                    TokenKind::String
                }
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                TokenKind::Number
            }
            b'<' => {
                // A fold's length is short: look no further, so a line of
                // '<' costs no more than any other.
                let rest = &bytes[i..bytes.len().min(i + 40)];
                match rest.iter().position(|&b| b == b'>' || b == b'\n') {
                    Some(end) if rest[end] == b'>' => {
                        i += end + 1;
                        TokenKind::Fold
                    }
                    _ => {
                        i += 1;
                        TokenKind::Other
                    }
                }
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                i += 1;
                TokenKind::Punctuation
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                TokenKind::Whitespace
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                match &text[start..i] {
                    "true" | "false" | "null" => TokenKind::Literal,
                    _ => TokenKind::Other,
                }
            }
            _ => {
                // One whole character, so ranges stay on UTF-8 boundaries;
                // the ellipsis of a folded value is part of the fold.
                let c = text[i..].chars().next();
                i += c.map_or(1, char::len_utf8);
                if c == Some('…') {
                    TokenKind::Fold
                } else {
                    TokenKind::Other
                }
            }
        };
        // A string cut by a multi-byte character's escape must still end on a boundary.
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        tokens.push((start..i, kind));
    }
    tokens
}

fn next_non_space(bytes: &[u8], mut i: usize) -> Option<u8> {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    bytes.get(i).copied()
}

/// The byte offset of a 1-based line and column (in characters).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let line_text = &text[line_start.min(text.len())..];
    let within = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    (line_start + within).min(text.len())
}

fn colour(kind: TokenKind, dark: bool) -> Color32 {
    match (kind, dark) {
        (TokenKind::Key, true) => Color32::from_rgb(0x9c, 0xdc, 0xfe),
        (TokenKind::Key, false) => Color32::from_rgb(0x00, 0x4e, 0x9a),
        (TokenKind::String, true) => Color32::from_rgb(0xce, 0x91, 0x78),
        (TokenKind::String, false) => Color32::from_rgb(0xa3, 0x15, 0x15),
        (TokenKind::Number, true) => Color32::from_rgb(0xb5, 0xce, 0xa8),
        (TokenKind::Number, false) => Color32::from_rgb(0x09, 0x86, 0x58),
        (TokenKind::Literal, true) => Color32::from_rgb(0x56, 0x9c, 0xd6),
        (TokenKind::Literal, false) => Color32::from_rgb(0x00, 0x00, 0xff),
        (TokenKind::Punctuation | TokenKind::Whitespace, true) => Color32::from_gray(0xd4),
        (TokenKind::Punctuation | TokenKind::Whitespace, false) => Color32::from_gray(0x30),
        (TokenKind::Fold, true) => Color32::from_gray(0x90),
        (TokenKind::Fold, false) => Color32::from_gray(0x70),
        (TokenKind::Other, true) => Color32::from_rgb(0xf4, 0x87, 0x71),
        (TokenKind::Other, false) => Color32::from_rgb(0xc0, 0x20, 0x20),
    }
}

/// The coloured layout of `text`; the character at `error_at` (a byte
/// offset) gets a red underline and background, so the eye finds it.
pub fn layout_job(text: &str, font: FontId, dark: bool, error_at: Option<usize>) -> LayoutJob {
    let mut job = LayoutJob::default();
    if text.len() > HIGHLIGHT_LIMIT {
        job.append(
            text,
            0.0,
            TextFormat::simple(font, colour(TokenKind::Whitespace, dark)),
        );
        return job;
    }
    let error_colour = if dark {
        Color32::from_rgb(0xff, 0x55, 0x55)
    } else {
        Color32::from_rgb(0xd0, 0x00, 0x00)
    };
    for (range, kind) in tokenize(text) {
        let mut pieces = vec![(range.clone(), false)];
        if let Some(at) = error_at.filter(|at| range.contains(at)) {
            let end = at + text[at..].chars().next().map_or(0, char::len_utf8);
            pieces = vec![
                (range.start..at, false),
                (at..end, true),
                (end..range.end, false),
            ];
        }
        for (piece, is_error) in pieces {
            if piece.is_empty() {
                continue;
            }
            let mut format = TextFormat::simple(font.clone(), colour(kind, dark));
            if is_error {
                format.underline = Stroke::new(2.0, error_colour);
                format.background = error_colour.gamma_multiply(0.35);
            }
            job.append(&text[piece], 0.0, format);
        }
    }
    // An error after the last character (unexpected end) is marked on a space.
    if error_at.is_some_and(|at| at >= text.len()) {
        let mut format = TextFormat::simple(font, error_colour);
        format.background = error_colour.gamma_multiply(0.35);
        job.append(" ", 0.0, format);
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&str, TokenKind)> {
        tokenize(text)
            .into_iter()
            .filter(|(_, kind)| *kind != TokenKind::Whitespace)
            .map(|(range, kind)| (&text[range], kind))
            .collect()
    }

    #[test]
    fn keys_are_told_from_string_values() {
        assert_eq!(
            kinds(r#"{"name" : "Ada", "age": 36, "ok": true}"#),
            vec![
                ("{", TokenKind::Punctuation),
                (r#""name""#, TokenKind::Key),
                (":", TokenKind::Punctuation),
                (r#""Ada""#, TokenKind::String),
                (",", TokenKind::Punctuation),
                (r#""age""#, TokenKind::Key),
                (":", TokenKind::Punctuation),
                ("36", TokenKind::Number),
                (",", TokenKind::Punctuation),
                (r#""ok""#, TokenKind::Key),
                (":", TokenKind::Punctuation),
                ("true", TokenKind::Literal),
                ("}", TokenKind::Punctuation),
            ]
        );
    }

    #[test]
    fn tokens_cover_every_byte_of_invalid_and_unicode_text() {
        for text in [r#"{"é\"": ü, nul"#, "\"unterminated", "{\"a\\", "€€ -1e5 ]"] {
            let tokens = tokenize(text);
            let mut next = 0;
            for (range, _) in &tokens {
                assert_eq!(range.start, next, "{text}");
                next = range.end;
            }
            assert_eq!(next, text.len(), "{text}");
        }
    }

    #[test]
    fn a_folded_length_is_one_token() {
        assert_eq!(
            kinds(r#""abc…" <8,388,608 bytes>, < x"#),
            vec![
                (r#""abc…""#, TokenKind::String),
                ("<8,388,608 bytes>", TokenKind::Fold),
                (",", TokenKind::Punctuation),
                ("<", TokenKind::Other),
                ("x", TokenKind::Other),
            ]
        );
    }

    #[test]
    fn very_long_text_is_laid_out_in_one_colour() {
        let text = "[1, ".repeat(HIGHLIGHT_LIMIT);
        let job = layout_job(&text, FontId::monospace(12.0), true, None);
        assert_eq!(job.sections.len(), 1);
    }

    #[test]
    fn unknown_words_are_marked_as_errors() {
        assert_eq!(kinds("nul"), vec![("nul", TokenKind::Other)]);
    }

    #[test]
    fn line_and_column_map_back_to_the_byte_offset() {
        let text = "{\n  \"é\": x}";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(&text[offset_of(text, 2, 8)..], "x}");
        assert_eq!(offset_of(text, 9, 9), text.len());
    }
}
