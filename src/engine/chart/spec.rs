//! What a chart is: its type and fields ([`ChartSpec`]), what its bars
//! and lines measure ([`Measure`]) and how bars are ordered.

use super::bins::Tally;

/// What is computed per category, bin or point of a line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Records.
    Count,
    /// The sum of this field's numbers.
    Sum(String),
    /// The mean of this field's numbers.
    Average(String),
}

impl Measure {
    pub fn field(&self) -> Option<&str> {
        match self {
            Measure::Count => None,
            Measure::Sum(field) | Measure::Average(field) => Some(field),
        }
    }

    /// The measure of a tally (`None`: an average of no numbers).
    pub fn of(&self, tally: &Tally) -> Option<f64> {
        match self {
            Measure::Count => Some(tally.count as f64),
            Measure::Sum(_) => Some(tally.sum),
            Measure::Average(_) => tally.average(),
        }
    }
}

/// How bars are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BarOrder {
    /// Largest first.
    #[default]
    Value,
    /// By the category's value (numbers ascending, then text).
    Category,
}

impl ChartSpec {
    /// The paths the chart reads.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            ChartSpec::Bar {
                category, measure, ..
            } => [Some(category.as_str()), measure.field()]
                .into_iter()
                .flatten()
                .collect(),
            ChartSpec::Histogram { field } => vec![field],
            ChartSpec::Scatter { x, y } => vec![x, y],
            ChartSpec::Line { x, measure } => [Some(x.as_str()), measure.field()]
                .into_iter()
                .flatten()
                .collect(),
        }
    }
}

/// Which chart, of which fields (schema paths: `a.b`, `tags[]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChartSpec {
    Bar {
        category: String,
        measure: Measure,
        /// Bars shown before "other" (1 to [`MAX_BARS`](super::MAX_BARS)).
        top: usize,
        order: BarOrder,
    },
    Histogram {
        field: String,
    },
    Scatter {
        x: String,
        y: String,
    },
    Line {
        x: String,
        measure: Measure,
    },
}
