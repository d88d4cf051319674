//! ISO 8601 dates as chart coordinates: a string such as `2026-03-01`,
//! `2026-03-01T09:30:00Z` or `2026-03-01 09:30:00.250+01:00` becomes its
//! seconds since 1970-01-01 UTC (a date or time without an offset is taken
//! as UTC), and back to text for axes and CSV files.
//!
//! Only the forms JSON records commonly hold are read; anything else is not
//! a date (the chart counts it as skipped rather than guessing).

const SECONDS_PER_DAY: i64 = 86_400;

/// Seconds since the Unix epoch (UTC) of an ISO 8601 date or date-time.
pub fn parse_iso_date(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 5, 2)?;
    let day = digits(bytes, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * SECONDS_PER_DAY as f64;
    let rest = &bytes[10..];
    if rest.is_empty() {
        return Some(seconds);
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return None;
    }
    let (time, offset) = time_of_day(&rest[1..])?;
    seconds += time - offset;
    Some(seconds)
}

/// `HH:MM[:SS[.fff]]` and an optional `Z`, `±HH:MM` or `±HHMM`: the
/// seconds into the day and the offset from UTC, in seconds.
fn time_of_day(bytes: &[u8]) -> Option<(f64, f64)> {
    if bytes.len() < 5 || bytes[2] != b':' {
        return None;
    }
    let hour = digits(bytes, 0, 2)?;
    let minute = digits(bytes, 3, 2)?;
    let mut at = 5;
    let mut second = 0.0;
    if bytes.get(at) == Some(&b':') {
        second = digits(bytes, at + 1, 2)? as f64;
        at += 3;
        if bytes.get(at) == Some(&b'.') {
            let start = at + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let fraction: f64 = std::str::from_utf8(&bytes[at..end]).ok()?.parse().ok()?;
            second += fraction;
            at = end;
        }
    }
    if hour > 23 || minute > 59 || second >= 61.0 {
        return None;
    }
    let offset = match &bytes[at..] {
        [] | [b'Z' | b'z'] => 0.0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, minutes) = match rest {
                [_, _, b':', _, _] => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                [_, _, _, _] => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                [_, _] => (digits(rest, 0, 2)?, 0),
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = (hours * 3600 + minutes * 60) as f64;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    Some(((hour * 3600 + minute * 60) as f64 + second, offset))
}

/// The number written by `len` ASCII digits at `at`.
fn digits(bytes: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = bytes.get(at..at + len)?;
    slice.iter().try_fold(0i64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01: `(year, month, day)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds since the epoch as ISO 8601 text, as short as the value allows:
/// `2026-03-01` at midnight, `2026-03-01T09:30Z` on a whole minute,
/// else with seconds (and milliseconds when it has them).
pub fn format_iso_date(seconds: f64) -> String {
    if !seconds.is_finite() || seconds.abs() > 1e14 {
        return format!("{seconds}");
    }
    let millis = (seconds * 1000.0).round() as i64;
    let days = millis.div_euclid(SECONDS_PER_DAY * 1000);
    let in_day = millis.rem_euclid(SECONDS_PER_DAY * 1000);
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    if in_day == 0 {
        return date;
    }
    let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
    match (second, milli) {
        (0, 0) => format!("{date}T{hour:02}:{minute:02}Z"),
        (_, 0) => format!("{date}T{hour:02}:{minute:02}:{second:02}Z"),
        _ => format!("{date}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_seconds_since_the_epoch() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0.0));
        assert_eq!(parse_iso_date("1970-01-02"), Some(86_400.0));
        assert_eq!(parse_iso_date("2000-03-01"), Some(951_868_800.0));
        assert_eq!(
            parse_iso_date("2026-03-01T09:30:00Z"),
            Some(1_772_357_400.0)
        );
        assert_eq!(
            parse_iso_date("2026-03-01 10:30:00+01:00"),
            parse_iso_date("2026-03-01T09:30:00Z")
        );
        assert_eq!(
            parse_iso_date("2026-03-01T09:30:00.250Z"),
            Some(1_772_357_400.25)
        );
        assert_eq!(parse_iso_date("1969-12-31T23:00-0100"), Some(0.0));
        for not_a_date in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "yesterday",
            "2026-03-01T25:00",
            "2026-03-01X",
            "2026-03-01T09:30:00+5",
            "",
        ] {
            assert_eq!(parse_iso_date(not_a_date), None, "{not_a_date}");
        }
    }

    #[test]
    fn text_round_trips_and_orders_like_the_dates() {
        for text in [
            "1970-01-01",
            "2024-02-29",
            "1900-03-01",
            "2026-03-01T09:30Z",
            "2026-03-01T09:30:05Z",
            "2026-03-01T09:30:05.125Z",
        ] {
            let seconds = parse_iso_date(text).unwrap();
            assert_eq!(format_iso_date(seconds), text);
        }
        let ordered = [
            "1899-12-31",
            "1970-01-01T00:00:01Z",
            "2024-02-29",
            "2024-03-01",
        ];
        let seconds: Vec<f64> = ordered.iter().map(|t| parse_iso_date(t).unwrap()).collect();
        assert!(seconds.windows(2).all(|w| w[0] < w[1]));
    }
}
