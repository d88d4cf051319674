//! `$inc` and `$mul` arithmetic: integers stay exact while they fit, and
//! become floats (or an error, when not finite) beyond.

use serde_json::Number;

/// `$mul` on a missing field sets 0 of the operand's kind.
pub(super) fn zero_like(n: &Number) -> Number {
    if n.is_f64() {
        Number::from_f64(0.0).unwrap_or_else(|| Number::from(0))
    } else {
        Number::from(0)
    }
}

fn as_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Integers stay integers while they fit `i64`/`u64`; otherwise (or with a
/// float operand) the result is a float. `None` when it is not finite.
fn integer_or_float(exact: Option<i128>, float: f64) -> Option<Number> {
    if let Some(v) = exact {
        if let Ok(i) = i64::try_from(v) {
            return Some(Number::from(i));
        }
        if let Ok(u) = u64::try_from(v) {
            return Some(Number::from(u));
        }
    }
    Number::from_f64(float)
}

pub(super) fn add(a: &Number, b: &Number) -> Option<Number> {
    let exact = as_integer(a)
        .zip(as_integer(b))
        .and_then(|(x, y)| x.checked_add(y));
    integer_or_float(exact, a.as_f64()? + b.as_f64()?)
}

pub(super) fn mul(a: &Number, b: &Number) -> Option<Number> {
    let exact = as_integer(a)
        .zip(as_integer(b))
        .and_then(|(x, y)| x.checked_mul(y));
    integer_or_float(exact, a.as_f64()? * b.as_f64()?)
}
