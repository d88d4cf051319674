//! What a chart's data becomes outside the plot: a CSV file of its series
//! (a header, then a row per bar, bin or point), the names its axes and
//! legend show, and the filter a click on a bar or bin runs.

use serde_json::{Value, json};

use super::schema_tab::SchemaPick;
use crate::engine::chart::dates::format_iso_date;
use crate::engine::chart::{Category, Chart, ChartSpec, Measure, Series};

/// "count", "sum of total", "average of total".
pub fn measure_name(measure: &Measure) -> String {
    match measure {
        Measure::Count => "count".to_owned(),
        Measure::Sum(field) => format!("sum of {field}"),
        Measure::Average(field) => format!("average of {field}"),
    }
}

/// The x axis's name and the y axis's.
pub fn axis_names(spec: &ChartSpec) -> (String, String) {
    match spec {
        ChartSpec::Bar {
            category, measure, ..
        } => (category.clone(), measure_name(measure)),
        ChartSpec::Histogram { field } => (field.clone(), "count".to_owned()),
        ChartSpec::Scatter { x, y } => (x.clone(), y.clone()),
        ChartSpec::Line { x, measure } => (x.clone(), measure_name(measure)),
    }
}

/// A number as CSV writes it: integers without ".0", others in full.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The series as CSV text, with a header naming the fields.
pub fn chart_csv(chart: &Chart) -> Result<String, String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let (x, y) = axis_names(&chart.spec);
    let mut rows: Vec<Vec<String>> = Vec::new();
    match (&chart.series, &chart.spec) {
        (Series::Bars(bars), ChartSpec::Bar { measure, .. }) => {
            let mut header = vec![x, "records".to_owned()];
            if *measure != Measure::Count {
                header.push(y);
            }
            rows.push(header);
            for bar in &bars.bars {
                let mut row = vec![bar.label.clone(), bar.tally.count.to_string()];
                if *measure != Measure::Count {
                    row.push(measure.of(&bar.tally).map(number).unwrap_or_default());
                }
                rows.push(row);
            }
        }
        (Series::Histogram(histogram), _) => {
            rows.push(vec![
                format!("{x} from"),
                format!("{x} to"),
                "records".into(),
            ]);
            for bin in &histogram.bins {
                rows.push(vec![
                    number(bin.start),
                    number(bin.end),
                    bin.tally.count.to_string(),
                ]);
            }
        }
        (Series::Scatter(scatter), _) => {
            rows.push(vec![x, y]);
            for [px, py] in &scatter.points {
                rows.push(vec![number(*px), number(*py)]);
            }
        }
        (Series::Line(line), ChartSpec::Line { measure, .. }) => {
            let text = |v: f64| {
                if line.dates {
                    format_iso_date(v)
                } else {
                    number(v)
                }
            };
            let mut header = vec![if line.bucket.is_some() {
                format!("{x} from")
            } else {
                x.clone()
            }];
            if line.bucket.is_some() {
                header.push(format!("{x} to"));
            }
            header.push("records".into());
            if *measure != Measure::Count {
                header.push(y);
            }
            rows.push(header);
            for point in &line.points {
                let mut row = vec![text(point.x)];
                if let Some(width) = line.bucket {
                    row.push(text(point.x + width));
                }
                row.push(point.tally.count.to_string());
                if *measure != Measure::Count {
                    row.push(measure.of(&point.tally).map(number).unwrap_or_default());
                }
                rows.push(row);
            }
        }
        _ => return Err("the chart's data does not match its type".to_owned()),
    }
    for row in rows {
        out.write_record(&row).map_err(|e| e.to_string())?;
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// The rows a chart's CSV holds (not counting its header).
pub fn csv_rows(chart: &Chart) -> usize {
    match &chart.series {
        Series::Bars(bars) => bars.bars.len(),
        Series::Histogram(histogram) => histogram.bins.len(),
        Series::Scatter(scatter) => scatter.points.len(),
        Series::Line(line) => line.points.len(),
    }
}

/// The filter that shows the records of bar (or bin) `index`, if it
/// stands for records a filter can ask for ("other" and values too long
/// to keep do not).
pub fn pick_filter(chart: &Chart, index: usize) -> Option<Value> {
    match (&chart.series, &chart.spec) {
        (Series::Bars(bars), ChartSpec::Bar { category, .. }) => {
            let pick = match &bars.bars.get(index)?.category {
                Category::Value(value) => SchemaPick::Value {
                    path: category.clone(),
                    value: value.clone(),
                },
                Category::Missing => SchemaPick::Missing {
                    path: category.clone(),
                },
                Category::Long | Category::Other { .. } => return None,
            };
            Some(pick.filter())
        }
        (Series::Histogram(histogram), ChartSpec::Histogram { field }) => {
            let bin = histogram.bins.get(index)?;
            let range = json!({"$gte": bin.start, "$lt": bin.end});
            // In an array, one element must be in the range, not the two
            // bounds met by different elements: `$elemMatch`.
            let (path, test) = match field.rsplit_once("[]") {
                Some((array, "")) => (array.to_owned(), json!({"$elemMatch": range})),
                Some((array, rest)) => {
                    let mut inner = serde_json::Map::new();
                    inner.insert(rest.trim_start_matches('.').to_owned(), range);
                    (array.to_owned(), json!({"$elemMatch": inner}))
                }
                None => (field.clone(), range),
            };
            let mut filter = serde_json::Map::new();
            filter.insert(path.replace("[]", ""), test);
            Some(Value::Object(filter))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::chart::{BarOrder, ChartBuilder};
    use crate::engine::test_doc;

    fn chart_of(spec: ChartSpec, docs: &[Value]) -> Chart {
        let mut builder = ChartBuilder::new(&spec);
        for doc in docs {
            builder.add(&test_doc(doc.clone()));
        }
        builder.finish()
    }

    fn sales() -> Vec<Value> {
        vec![
            json!({"city": "Oslo", "total": 10}),
            json!({"city": "Oslo", "total": 2.5}),
            json!({"city": "Lima, Peru", "total": 4}),
            json!({"total": 1}),
        ]
    }

    #[test]
    fn bars_export_with_a_header_and_quoted_labels() {
        let spec = ChartSpec::Bar {
            category: "city".into(),
            measure: Measure::Sum("total".into()),
            top: 10,
            order: BarOrder::Value,
        };
        let chart = chart_of(spec, &sales());
        assert_eq!(
            chart_csv(&chart).unwrap(),
            "city,records,sum of total\nOslo,2,12.5\n\"Lima, Peru\",1,4\n(missing),1,1\n"
        );
        assert_eq!(csv_rows(&chart), 3);
        assert_eq!(pick_filter(&chart, 0), Some(json!({"city": "Oslo"})));
        assert_eq!(
            pick_filter(&chart, 2),
            Some(json!({"city": {"$exists": false}}))
        );
        assert_eq!(pick_filter(&chart, 3), None);
    }

    #[test]
    fn a_line_over_dates_exports_dates_and_a_bin_picks_its_range() {
        let spec = ChartSpec::Line {
            x: "day".into(),
            measure: Measure::Count,
        };
        let docs = [
            json!({"day": "2026-01-02"}),
            json!({"day": "2026-01-01"}),
            json!({"day": "2026-01-02"}),
        ];
        let chart = chart_of(spec, &docs);
        assert_eq!(
            chart_csv(&chart).unwrap(),
            "day,records\n2026-01-01,1\n2026-01-02,2\n"
        );

        let spec = ChartSpec::Histogram {
            field: "total".into(),
        };
        let chart = chart_of(spec, &sales());
        let csv = chart_csv(&chart).unwrap();
        assert!(csv.starts_with("total from,total to,records\n"), "{csv}");
        let Some(Value::Object(filter)) = pick_filter(&chart, 0) else {
            panic!("a range filter");
        };
        assert!(filter["total"]["$gte"].is_number() && filter["total"]["$lt"].is_number());
        let tags = ChartSpec::Histogram {
            field: "items[].qty".into(),
        };
        let chart = chart_of(tags, &[json!({"items": [{"qty": 2}]})]);
        let filter = pick_filter(&chart, 0).unwrap();
        assert_eq!(
            filter,
            json!({"items": {"$elemMatch": {"qty": {"$gte": 2.0, "$lt": 3.0}}}})
        );
    }
}
