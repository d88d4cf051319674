//! The series of a chart, computed in one pass over records in bounded
//! memory: bars of a field's values (a count, or the sum or average of a
//! numeric field, per value), a histogram of a numeric field, a scatter of
//! two numeric fields (a fair sample past [`SCATTER_POINTS`]), and a line
//! over a field that sorts (numbers, or ISO 8601 dates).
//!
//! [`ChartBuilder`] takes records one at a time, so the same code charts
//! what a filter matches ([`FluxDB::chart`](crate::engine::FluxDB::chart)) or an
//! aggregation's output. Every part is capped: categories followed
//! ([`TRACKED_CATEGORIES`]) and shown ([`MAX_BARS`], the rest in "other"),
//! histogram bins ([`HISTOGRAM_BINS`]), scatter points, line points
//! ([`LINE_POINTS`] exact x values, then [`LINE_BINS`] equal-width buckets).

mod bars;
mod bins;
pub mod dates;
mod path;
mod spec;

use hashbrown::HashMap;
use serde_json::Value;

use self::bars::BarsBuilder;
pub use self::bars::{BarValue, Bars, Category, TRACKED_CATEGORIES};
use self::bins::{AdaptiveBins, Scale};
pub use self::bins::{Bin, Tally};
use self::dates::parse_iso_date;
pub use self::path::FieldPath;
pub use self::spec::{BarOrder, ChartSpec, Measure};
use crate::engine::Document;

/// Bars a chart shows at most (the rest are one "other" bar).
pub const MAX_BARS: usize = 100;
/// Bars shown unless the spec says otherwise.
pub const DEFAULT_BARS: usize = 20;
/// Bins a histogram has at most.
pub const HISTOGRAM_BINS: usize = 60;
/// Points a scatter plot shows; past it, a uniform sample of them.
pub const SCATTER_POINTS: usize = 10_000;
/// Distinct x values a line shows exactly; past it, buckets.
pub const LINE_POINTS: usize = 2_000;
/// Buckets of a line with more distinct x values than [`LINE_POINTS`].
pub const LINE_BINS: usize = 500;

/// A chart's data: what was read and the series.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub spec: ChartSpec,
    /// Records read (all that the filter matched, or the pipeline output).
    pub records: usize,
    pub series: Series,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Series {
    Bars(Bars),
    Histogram(Histogram),
    Scatter(Scatter),
    Line(Line),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub bins: Vec<Bin>,
    pub width: f64,
    /// Values binned.
    pub values: usize,
    /// Values of the field that are not numbers (or past f64's range).
    pub skipped: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scatter {
    /// `[x, y]`, all of them or a uniform sample of `cap`.
    pub points: Vec<[f64; 2]>,
    /// Records with a number in both fields.
    pub total: usize,
    pub cap: usize,
}

impl Scatter {
    pub fn is_sampled(&self) -> bool {
        self.total > self.points.len()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// By x, ascending: each distinct x, or each bucket's start.
    pub points: Vec<LinePoint>,
    /// x holds ISO dates (seconds since the epoch here).
    pub dates: bool,
    /// Set when the x values were bucketed: the buckets' width.
    pub bucket: Option<f64>,
    /// Records whose x is missing, or not a number (not a date).
    pub skipped: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinePoint {
    pub x: f64,
    pub tally: Tally,
}

/// Builds a [`Chart`] one record at a time.
#[derive(Debug)]
pub struct ChartBuilder {
    spec: ChartSpec,
    records: usize,
    kind: Building,
}

#[derive(Debug)]
enum Building {
    Bars(BarsBuilder),
    Histogram {
        field: FieldPath,
        bins: AdaptiveBins,
        values: usize,
        skipped: usize,
    },
    Scatter {
        x: FieldPath,
        y: FieldPath,
        sample: Reservoir,
    },
    Line(LineBuilder),
}

impl ChartBuilder {
    pub fn new(spec: &ChartSpec) -> ChartBuilder {
        let kind = match spec {
            ChartSpec::Bar {
                category,
                measure,
                top,
                order,
            } => Building::Bars(BarsBuilder::new(
                category,
                measure,
                (*top).min(MAX_BARS),
                *order,
            )),
            ChartSpec::Histogram { field } => Building::Histogram {
                field: FieldPath::parse(field),
                bins: AdaptiveBins::new(Scale::Numbers, HISTOGRAM_BINS),
                values: 0,
                skipped: 0,
            },
            ChartSpec::Scatter { x, y } => Building::Scatter {
                x: FieldPath::parse(x),
                y: FieldPath::parse(y),
                sample: Reservoir::new(SCATTER_POINTS),
            },
            ChartSpec::Line { x, measure } => Building::Line(LineBuilder::new(x, measure)),
        };
        ChartBuilder {
            spec: spec.clone(),
            records: 0,
            kind,
        }
    }

    pub fn add(&mut self, doc: &Document) {
        self.records += 1;
        match &mut self.kind {
            Building::Bars(bars) => bars.add(doc),
            Building::Histogram {
                field,
                bins,
                values,
                skipped,
            } => field.for_each(doc, &mut |value| match value.as_f64() {
                Some(n) => {
                    *values += 1;
                    bins.add(
                        n,
                        Tally {
                            count: 1,
                            ..Tally::default()
                        },
                    );
                }
                None => *skipped += 1,
            }),
            Building::Scatter { x, y, sample } => {
                if let (Some(x), Some(y)) = (x.first_number(doc), y.first_number(doc)) {
                    sample.offer([x, y]);
                }
            }
            Building::Line(line) => line.add(doc),
        }
    }

    pub fn finish(self) -> Chart {
        let series = match self.kind {
            Building::Bars(bars) => Series::Bars(bars.finish()),
            Building::Histogram {
                bins,
                values,
                skipped,
                ..
            } => {
                let (bins, width, out_of_range) = bins.finish();
                Series::Histogram(Histogram {
                    bins,
                    width,
                    values: values - out_of_range,
                    skipped: skipped + out_of_range,
                })
            }
            Building::Scatter { sample, .. } => Series::Scatter(Scatter {
                total: sample.seen,
                cap: sample.cap,
                points: sample.points,
            }),
            Building::Line(line) => Series::Line(line.finish()),
        };
        Chart {
            spec: self.spec,
            records: self.records,
            series,
        }
    }
}

/// A uniform sample of at most `cap` points (reservoir sampling, Algorithm
/// R): every point offered has the same chance to be kept, whatever its
/// place in the scan. Seeded, so a chart of the same data is the same.
#[derive(Debug)]
struct Reservoir {
    cap: usize,
    seen: usize,
    points: Vec<[f64; 2]>,
    random: SplitMix64,
}

impl Reservoir {
    fn new(cap: usize) -> Reservoir {
        Reservoir {
            cap,
            seen: 0,
            points: Vec::new(),
            random: SplitMix64(0x5EED_C4A7),
        }
    }

    fn offer(&mut self, point: [f64; 2]) {
        self.seen += 1;
        if self.points.len() < self.cap {
            self.points.push(point);
            return;
        }
        let slot = self.random.below(self.seen as u64) as usize;
        if slot < self.cap {
            self.points[slot] = point;
        }
    }
}

/// A small, fast pseudo-random generator (SplitMix64), enough to sample.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is < n / 2^64).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// A line: each distinct x exactly, until there are too many, then
/// equal-width buckets.
#[derive(Debug)]
struct LineBuilder {
    x: FieldPath,
    measure: Option<FieldPath>,
    /// Decided by the first x: numbers, or ISO dates.
    dates: Option<bool>,
    exact: HashMap<u64, (f64, Tally)>,
    bucketed: Option<AdaptiveBins>,
    skipped: usize,
}

impl LineBuilder {
    fn new(x: &str, measure: &Measure) -> LineBuilder {
        LineBuilder {
            x: FieldPath::parse(x),
            measure: measure.field().map(FieldPath::parse),
            dates: None,
            exact: HashMap::new(),
            bucketed: None,
            skipped: 0,
        }
    }

    /// The x of a record: a number, or a date's seconds.
    fn x_of(&mut self, doc: &Document) -> Option<f64> {
        let value = self.x.first(doc)?;
        let (x, is_date) = match value {
            Value::Number(n) => (n.as_f64()?, false),
            Value::String(s) => (parse_iso_date(s)?, true),
            _ => return None,
        };
        match self.dates {
            Some(dates) if dates != is_date => None,
            _ => {
                self.dates = Some(is_date);
                // -0 and 0 are one x.
                Some(x + 0.0)
            }
        }
    }

    fn add(&mut self, doc: &Document) {
        let Some(x) = self.x_of(doc) else {
            self.skipped += 1;
            return;
        };
        let mut tally = Tally {
            count: 1,
            ..Tally::default()
        };
        if let Some(path) = &self.measure {
            path.for_each(doc, &mut |value| {
                if let Some(n) = value.as_f64() {
                    tally.sum += n;
                    tally.numbers += 1;
                }
            });
        }
        if let Some(bins) = &mut self.bucketed {
            bins.add(x, tally);
            return;
        }
        self.exact
            .entry(x.to_bits())
            .or_insert((x, Tally::default()))
            .1
            .merge(&tally);
        if self.exact.len() > LINE_POINTS {
            let scale = if self.dates == Some(true) {
                Scale::Seconds
            } else {
                Scale::Numbers
            };
            let mut bins = AdaptiveBins::new(scale, LINE_BINS);
            for (_, (x, tally)) in self.exact.drain() {
                bins.add(x, tally);
            }
            self.bucketed = Some(bins);
        }
    }

    fn finish(self) -> Line {
        let dates = self.dates == Some(true);
        match self.bucketed {
            Some(bins) => {
                let (bins, width, out_of_range) = bins.finish();
                Line {
                    points: bins
                        .into_iter()
                        .filter(|bin| bin.tally.count > 0)
                        .map(|bin| LinePoint {
                            x: bin.start,
                            tally: bin.tally,
                        })
                        .collect(),
                    dates,
                    bucket: Some(width),
                    skipped: self.skipped + out_of_range,
                }
            }
            None => {
                let mut points: Vec<LinePoint> = self
                    .exact
                    .into_values()
                    .map(|(x, tally)| LinePoint { x, tally })
                    .collect();
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                Line {
                    points,
                    dates,
                    bucket: None,
                    skipped: self.skipped,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::engine::test_doc;

    const CITIES: [&str; 7] = ["Oslo", "Lima", "Kyiv", "Lyon", "Pune", "Rome", "Baku"];

    /// Records with a city (sometimes missing, null or a number), an
    /// amount (an int, a double of exact quarters, text or missing), tags
    /// and a date.
    fn generated(n: u64) -> Vec<Document> {
        let mut seed = 12_345u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 33
        };
        (0..n)
            .map(|i| {
                let r = next();
                let mut doc = json!({"_id": format!("r{i}")});
                let city = match r % 23 {
                    0 => None,
                    1 => Some(Value::Null),
                    2 => Some(json!(3)),
                    3 => Some(json!(3.0)),
                    _ => Some(json!(CITIES[(r as usize / 23) % CITIES.len()])),
                };
                if let Some(city) = city {
                    doc["city"] = city;
                }
                match next() % 10 {
                    0 => {}
                    1 => doc["amount"] = json!("12"),
                    2..=5 => doc["amount"] = json!((next() % 1000) as i64 - 200),
                    _ => doc["amount"] = json!((next() % 4000) as f64 * 0.25),
                }
                doc["tags"] = json!(["t", format!("t{}", i % 3), "t"]);
                let day = 1 + (next() % 28);
                doc["day"] = json!(format!("2026-02-{day:02}"));
                test_doc(doc)
            })
            .collect()
    }

    fn chart_of(docs: &[Document], spec: ChartSpec) -> Chart {
        let mut builder = ChartBuilder::new(&spec);
        for doc in docs {
            builder.add(doc);
        }
        builder.finish()
    }

    fn bars_of(chart: &Chart) -> &Bars {
        match &chart.series {
            Series::Bars(bars) => bars,
            other => panic!("not bars: {other:?}"),
        }
    }

    /// Per city label: (records, sum of numeric amounts, numbers).
    fn truth_by_city(docs: &[Document]) -> BTreeMap<String, (usize, f64, usize)> {
        let mut truth = BTreeMap::new();
        for doc in docs {
            let label = match doc.get("city") {
                None => "(missing)".to_owned(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => format!("{}", n.as_f64().unwrap() as i64),
                Some(other) => other.to_string(),
            };
            let entry = truth.entry(label).or_insert((0, 0.0, 0));
            entry.0 += 1;
            if let Some(n) = doc.get("amount").and_then(Value::as_f64) {
                entry.1 += n;
                entry.2 += 1;
            }
        }
        truth
    }

    #[test]
    fn bars_count_sum_and_average_exactly() {
        let docs = generated(20_000);
        let truth = truth_by_city(&docs);
        for measure in [
            Measure::Count,
            Measure::Sum("amount".into()),
            Measure::Average("amount".into()),
        ] {
            let spec = ChartSpec::Bar {
                category: "city".into(),
                measure: measure.clone(),
                top: MAX_BARS,
                order: BarOrder::Value,
            };
            let chart = chart_of(&docs, spec);
            let bars = bars_of(&chart);
            // 7 cities, null, missing, and 3 / 3.0 as one number.
            assert_eq!(bars.distinct, 10);
            assert_eq!(bars.bars.len(), 10);
            for bar in &bars.bars {
                let (count, sum, numbers) = truth[&bar.label];
                assert_eq!(bar.tally.count, count, "{}", bar.label);
                if measure.field().is_some() {
                    assert_eq!(bar.tally.sum, sum, "{}", bar.label);
                    assert_eq!(bar.tally.numbers, numbers, "{}", bar.label);
                }
                let expected = match &measure {
                    Measure::Count => count as f64,
                    Measure::Sum(_) => sum,
                    Measure::Average(_) => sum / numbers as f64,
                };
                assert_eq!(measure.of(&bar.tally), Some(expected));
            }
            // Largest first.
            let values: Vec<f64> = bars
                .bars
                .iter()
                .map(|b| measure.of(&b.tally).unwrap())
                .collect();
            assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
        }
    }

    #[test]
    fn bars_past_the_top_go_to_other_and_categories_are_capped() {
        let docs = generated(5_000);
        let truth = truth_by_city(&docs);
        let spec = ChartSpec::Bar {
            category: "city".into(),
            measure: Measure::Count,
            top: 3,
            order: BarOrder::Value,
        };
        let chart = chart_of(&docs, spec);
        let bars = &bars_of(&chart).bars;
        assert_eq!(bars.len(), 4);
        let mut counts: Vec<usize> = truth.values().map(|t| t.0).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let shown: Vec<usize> = bars[..3].iter().map(|b| b.tally.count).collect();
        assert_eq!(shown, counts[..3]);
        assert_eq!(
            bars[3].category,
            Category::Other {
                categories: 7,
                at_least: false
            }
        );
        assert_eq!(bars[3].tally.count, counts[3..].iter().sum::<usize>());

        // Many distinct values: followed up to the cap, the rest in other.
        let many: Vec<Document> = (0..TRACKED_CATEGORIES + 500)
            .map(|i| test_doc(json!({"k": i})))
            .collect();
        let spec = ChartSpec::Bar {
            category: "k".into(),
            measure: Measure::Count,
            top: 10,
            order: BarOrder::Category,
        };
        let chart = chart_of(&many, spec);
        let bars = bars_of(&chart);
        assert!(bars.categories_cut);
        assert_eq!(bars.distinct, TRACKED_CATEGORIES);
        let labels: Vec<&str> = bars.bars[..10].iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        let other = bars.bars.last().unwrap();
        assert_eq!(other.tally.count, TRACKED_CATEGORIES + 500 - 10);
        assert!(other.label.starts_with("other (over "));
    }

    #[test]
    fn array_elements_count_once_per_record() {
        let docs = generated(3_000);
        let spec = ChartSpec::Bar {
            category: "tags[]".into(),
            measure: Measure::Count,
            top: 10,
            order: BarOrder::Category,
        };
        let chart = chart_of(&docs, spec);
        let bars = &bars_of(&chart).bars;
        let labels: Vec<(&str, usize)> = bars
            .iter()
            .map(|b| (b.label.as_str(), b.tally.count))
            .collect();
        assert_eq!(
            labels,
            [("t", 3_000), ("t0", 1_000), ("t1", 1_000), ("t2", 1_000)]
        );
    }

    #[test]
    fn histogram_bins_hold_exactly_the_numbers_between_their_edges() {
        let docs = generated(20_000);
        let chart = chart_of(
            &docs,
            ChartSpec::Histogram {
                field: "amount".into(),
            },
        );
        let Series::Histogram(histogram) = &chart.series else {
            panic!("not a histogram");
        };
        let numbers: Vec<f64> = docs
            .iter()
            .filter_map(|d| d.get("amount").and_then(Value::as_f64))
            .collect();
        let texts = docs
            .iter()
            .filter(|d| d.get("amount").is_some_and(Value::is_string))
            .count();
        assert_eq!(histogram.values, numbers.len());
        assert_eq!(histogram.skipped, texts);
        assert!(histogram.bins.len() <= HISTOGRAM_BINS);
        assert!(histogram.bins.len() >= 10, "{}", histogram.bins.len());
        for bin in &histogram.bins {
            let truth = numbers
                .iter()
                .filter(|n| **n >= bin.start && **n < bin.end)
                .count();
            assert_eq!(bin.tally.count, truth);
            assert_eq!(bin.end - bin.start, histogram.width);
        }
    }

    #[test]
    fn scatter_samples_fairly_past_its_cap_and_says_so() {
        let docs: Vec<Document> = (0..SCATTER_POINTS * 3)
            .map(|i| test_doc(json!({"x": i, "y": (i % 100) as f64 / 2.0})))
            .chain([test_doc(json!({"x": "no", "y": 1}))])
            .collect();
        let chart = chart_of(
            &docs,
            ChartSpec::Scatter {
                x: "x".into(),
                y: "y".into(),
            },
        );
        let Series::Scatter(scatter) = &chart.series else {
            panic!("not a scatter");
        };
        assert_eq!(scatter.total, SCATTER_POINTS * 3);
        assert_eq!(scatter.points.len(), SCATTER_POINTS);
        assert!(scatter.is_sampled());
        // Uniform: each third of the scan keeps about a third of the sample.
        for third in 0..3 {
            let range = (third * SCATTER_POINTS) as f64..((third + 1) * SCATTER_POINTS) as f64;
            let kept = scatter
                .points
                .iter()
                .filter(|p| range.contains(&p[0]))
                .count();
            assert!(
                (3_000..3_700).contains(&kept),
                "third {third} kept {kept} points"
            );
        }
        // Each point is a real record's.
        assert!(
            scatter
                .points
                .iter()
                .all(|[x, y]| (*x as usize % 100) as f64 / 2.0 == *y)
        );
        let few = chart_of_few();
        assert!(!few.is_sampled());
    }

    fn chart_of_few() -> Scatter {
        let docs: Vec<Document> = (0..10).map(|i| test_doc(json!({"x": i, "y": i}))).collect();
        match chart_of(
            &docs,
            ChartSpec::Scatter {
                x: "x".into(),
                y: "y".into(),
            },
        )
        .series
        {
            Series::Scatter(scatter) => scatter,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_line_over_iso_dates_is_in_date_order_with_exact_sums() {
        let docs = generated(5_000);
        let chart = chart_of(
            &docs,
            ChartSpec::Line {
                x: "day".into(),
                measure: Measure::Sum("amount".into()),
            },
        );
        let Series::Line(line) = &chart.series else {
            panic!("not a line");
        };
        assert!(line.dates);
        assert_eq!(line.bucket, None);
        assert_eq!(line.points.len(), 28);
        let mut truth: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for doc in &docs {
            let entry = truth
                .entry(doc["day"].as_str().unwrap().to_owned())
                .or_default();
            entry.0 += 1;
            entry.1 += doc.get("amount").and_then(Value::as_f64).unwrap_or(0.0);
        }
        // The text order of these dates is their time order.
        for (point, (day, (count, sum))) in line.points.iter().zip(&truth) {
            assert_eq!(dates::format_iso_date(point.x), *day);
            assert_eq!((point.tally.count, point.tally.sum), (*count, *sum));
        }
    }

    #[test]
    fn a_line_with_many_x_values_is_bucketed_and_numbers_and_dates_do_not_mix() {
        let mut docs: Vec<Document> = (0..LINE_POINTS as i64 * 3)
            .map(|i| test_doc(json!({"x": i * 3 - 1000, "v": 2})))
            .collect();
        docs.push(test_doc(json!({"x": "2026-01-01", "v": 2})));
        docs.push(test_doc(json!({"v": 2})));
        let chart = chart_of(
            &docs,
            ChartSpec::Line {
                x: "x".into(),
                measure: Measure::Average("v".into()),
            },
        );
        let Series::Line(line) = &chart.series else {
            panic!("not a line");
        };
        assert!(!line.dates);
        assert_eq!(line.skipped, 2);
        let width = line.bucket.expect("bucketed");
        assert!(line.points.len() <= LINE_BINS);
        assert!(line.points.windows(2).all(|w| w[0].x < w[1].x));
        let total: usize = line.points.iter().map(|p| p.tally.count).sum();
        assert_eq!(total, LINE_POINTS * 3);
        for point in &line.points {
            let truth = (0..LINE_POINTS as i64 * 3)
                .map(|i| (i * 3 - 1000) as f64)
                .filter(|x| *x >= point.x && *x < point.x + width)
                .count();
            assert_eq!(point.tally.count, truth);
            assert_eq!(point.tally.average(), Some(2.0));
        }
    }
}
