//! Equal-width bins over numbers (or dates, as seconds) in one pass and
//! bounded memory, without knowing the range first: the width is chosen
//! from the first values, and when a value falls outside the bins the
//! width grows to the next step of a ladder whose every step is a whole
//! multiple of the one before, so old bins merge exactly into new ones.
//! Counts are exact for the bins published; their edges are
//! `(first + i) × width`, computed the same way when binning and when
//! reporting.

/// What a bin (or a bar, or a point of a line) holds: the records in it,
/// and the sum and number of the numbers of the measured field.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    pub count: usize,
    pub sum: f64,
    pub numbers: usize,
}

impl Tally {
    pub fn merge(&mut self, other: &Tally) {
        self.count += other.count;
        self.sum += other.sum;
        self.numbers += other.numbers;
    }

    /// The mean of the numbers, if there were any.
    pub fn average(&self) -> Option<f64> {
        (self.numbers > 0).then(|| self.sum / self.numbers as f64)
    }
}

/// Which ladder of widths: round numbers, or durations for dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Numbers,
    /// Seconds: minutes, hours, days, weeks, 4 weeks, 52 weeks.
    Seconds,
}

/// Widths for dates, each a multiple of the one before.
const SECOND_WIDTHS: [f64; 16] = [
    1.0,
    2.0,
    10.0,
    30.0,
    60.0,
    120.0,
    600.0,
    1800.0,
    3600.0,
    7200.0,
    21_600.0,
    43_200.0,
    86_400.0,
    604_800.0,
    2_419_200.0,
    31_449_600.0,
];

impl Scale {
    /// The smallest width of the ladder at least `wanted`.
    fn width_at_least(self, wanted: f64) -> f64 {
        let wanted = wanted.max(f64::MIN_POSITIVE);
        match self {
            Scale::Seconds if wanted <= SECOND_WIDTHS[SECOND_WIDTHS.len() - 1] => SECOND_WIDTHS
                .into_iter()
                .find(|w| *w >= wanted)
                .unwrap_or(1.0),
            Scale::Seconds => {
                let mut width = SECOND_WIDTHS[SECOND_WIDTHS.len() - 1];
                while width < wanted {
                    width *= 2.0;
                }
                width
            }
            Scale::Numbers => {
                let decade = 10f64.powi(wanted.log10().floor() as i32);
                [1.0, 2.0, 5.0, 10.0]
                    .into_iter()
                    .map(|step| step * decade)
                    .find(|w| *w >= wanted)
                    .unwrap_or(10.0 * decade)
            }
        }
    }

    /// The next width up: 1 → 2 → 10 → 20 → 100 (5 → 10), or the next
    /// duration; always a whole multiple of `width`.
    fn next_width(self, width: f64) -> f64 {
        match self {
            Scale::Seconds => SECOND_WIDTHS
                .into_iter()
                .find(|w| *w > width * 1.5)
                .unwrap_or(width * 2.0),
            Scale::Numbers => {
                let decade = 10f64.powi(width.log10().floor() as i32);
                let step = (width / decade).round();
                if step == 2.0 {
                    width * 5.0
                } else {
                    width * 2.0
                }
            }
        }
    }
}

/// One published bin: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bin {
    pub start: f64,
    pub end: f64,
    pub tally: Tally,
}

/// The largest magnitude binned; larger values are counted out of range.
const BINNABLE: f64 = 1e300;
/// Bins kept while reading per bin published.
const KEPT_PER_PUBLISHED: usize = 4;
/// Values held before the width is chosen, per bin allowed.
const PENDING_PER_BIN: usize = 4;

/// Bins of one width over a growing range (see the module's notes).
#[derive(Debug)]
pub struct AdaptiveBins {
    scale: Scale,
    /// Bins published at most.
    target: usize,
    /// Bins kept while reading: several per published one, so the range
    /// found late (sorted input grows it at one end) still fills most of
    /// the published bins after merging.
    max_bins: usize,
    /// The first values, until there are enough to choose a width.
    pending: Vec<(f64, Tally)>,
    /// 0 until chosen.
    width: f64,
    /// The index of the first bin: its start is `first × width`.
    first: i64,
    bins: Vec<Tally>,
    /// Values too far apart to bin (a width past f64's range).
    out_of_range: usize,
}

impl AdaptiveBins {
    pub fn new(scale: Scale, target: usize) -> AdaptiveBins {
        let target = target.max(2);
        AdaptiveBins {
            scale,
            target,
            max_bins: target * KEPT_PER_PUBLISHED,
            pending: Vec::new(),
            width: 0.0,
            first: 0,
            bins: Vec::new(),
            out_of_range: 0,
        }
    }

    pub fn add(&mut self, x: f64, tally: Tally) {
        // Past this, a range of bins could overflow f64 (1e308).
        if !x.is_finite() || x.abs() > BINNABLE {
            self.out_of_range += tally.count;
            return;
        }
        if self.width == 0.0 {
            self.pending.push((x, tally));
            if self.pending.len() >= self.max_bins * PENDING_PER_BIN {
                self.choose_width();
            }
            return;
        }
        self.place(x, tally);
    }

    /// The width that spreads the first values over about half the bins
    /// (room to grow on either side before the width must double).
    fn choose_width(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let (low, high) = pending
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| {
                (lo.min(*x), hi.max(*x))
            });
        if pending.is_empty() {
            return;
        }
        let spread = high - low;
        let wanted = if spread > 0.0 {
            spread / (self.max_bins as f64 / 2.0)
        } else {
            low.abs().max(1.0) / self.max_bins as f64
        };
        let integers = pending.iter().all(|(x, _)| x.fract() == 0.0);
        let mut width = self.scale.width_at_least(wanted);
        if integers && self.scale == Scale::Numbers {
            width = width.max(1.0);
        }
        self.width = width;
        let middle = ((low + high) / 2.0 / width).floor() as i64;
        self.first = middle.saturating_sub(self.max_bins as i64 / 2);
        self.bins = vec![Tally::default(); self.max_bins];
        for (x, tally) in pending {
            self.place(x, tally);
        }
    }

    fn edge(&self, index: i64) -> f64 {
        index as f64 * self.width
    }

    /// The bin index of `x` at the current width: its start ≤ x < its end.
    fn index_of(&self, x: f64) -> i64 {
        let mut index = (x / self.width).floor() as i64;
        while index > i64::MIN && x < self.edge(index) {
            index -= 1;
        }
        while index < i64::MAX && x >= self.edge(index + 1) {
            index += 1;
        }
        index
    }

    fn place(&mut self, x: f64, tally: Tally) {
        loop {
            let index = self.index_of(x);
            if let Some(offset) = index.checked_sub(self.first)
                && (0..self.bins.len() as i64).contains(&offset)
            {
                self.bins[offset as usize].merge(&tally);
                return;
            }
            if !self.grow() {
                self.out_of_range += tally.count;
                return;
            }
        }
    }

    /// Widens every bin to the next step, merging them; false when the
    /// width would leave f64's range.
    fn grow(&mut self) -> bool {
        let next = self.scale.next_width(self.width);
        if !(next * self.max_bins as f64).is_finite() {
            return false;
        }
        let factor = (next / self.width).round() as i64;
        let first = self.first.div_euclid(factor);
        let mut merged = vec![Tally::default(); self.bins.len()];
        for (offset, tally) in self.bins.iter().enumerate() {
            let index = (self.first + offset as i64).div_euclid(factor) - first;
            merged[index as usize].merge(tally);
        }
        self.width = next;
        self.first = first;
        self.bins = merged;
        true
    }

    /// Widens the bins (to the ladder's next steps) until the used range
    /// fits in `target` of them.
    fn merge_to_target(&mut self) {
        let used = |t: &Tally| t.count > 0;
        let (Some(start), Some(end)) = (
            self.bins.iter().position(used),
            self.bins.iter().rposition(used),
        ) else {
            return;
        };
        let (low, high) = (self.first + start as i64, self.first + end as i64);
        let fits = |factor: i64| {
            (high.div_euclid(factor) - low.div_euclid(factor) + 1) as usize <= self.target
        };
        // The roundest width that is a whole number of the bins kept and
        // spreads the used range over at most `target` bins.
        let span = (high - low + 1) as f64;
        let mut width = self
            .scale
            .width_at_least(self.width * span / self.target as f64)
            .max(self.width);
        let factor = loop {
            let ratio = width / self.width;
            let factor = ratio.round();
            if (ratio - factor).abs() < 1e-6 && fits(factor as i64) {
                break factor as i64;
            }
            width = self.scale.width_at_least(width * 1.000_001);
        };
        if factor == 1 {
            return;
        }
        let first = self.first.div_euclid(factor);
        let mut merged = vec![Tally::default(); self.bins.len()];
        for (offset, tally) in self.bins.iter().enumerate() {
            let index = (self.first + offset as i64).div_euclid(factor) - first;
            merged[index as usize].merge(tally);
        }
        self.width = width;
        self.first = first;
        self.bins = merged;
    }

    /// The bins from the first to the last that holds anything (empty ones
    /// between them included), their width, and the values that could
    /// not be binned.
    pub fn finish(mut self) -> (Vec<Bin>, f64, usize) {
        if self.width == 0.0 {
            self.choose_width();
        }
        self.merge_to_target();
        let used = |t: &Tally| t.count > 0;
        let (Some(start), Some(end)) = (
            self.bins.iter().position(used),
            self.bins.iter().rposition(used),
        ) else {
            return (Vec::new(), self.width, self.out_of_range);
        };
        let bins = (start..=end)
            .map(|offset| {
                let index = self.first + offset as i64;
                Bin {
                    start: self.edge(index),
                    end: self.edge(index + 1),
                    tally: self.bins[offset],
                }
            })
            .collect();
        (bins, self.width, self.out_of_range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one() -> Tally {
        Tally {
            count: 1,
            ..Tally::default()
        }
    }

    /// Values counted by the published edges, independently of the bins.
    fn check_against_edges(values: &[f64], bins: &[Bin]) {
        for bin in bins {
            let truth = values
                .iter()
                .filter(|v| **v >= bin.start && **v < bin.end)
                .count();
            assert_eq!(bin.tally.count, truth, "bin {}..{}", bin.start, bin.end);
        }
        let total: usize = bins.iter().map(|b| b.tally.count).sum();
        assert_eq!(total, values.len());
        assert!(bins.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn the_ladders_step_by_whole_multiples() {
        let mut width = 0.001;
        for _ in 0..40 {
            let next = Scale::Numbers.next_width(width);
            let factor = next / width;
            assert!((factor - factor.round()).abs() < 1e-9, "{width} -> {next}");
            width = next;
        }
        assert_eq!(Scale::Numbers.width_at_least(3.1), 5.0);
        assert_eq!(Scale::Numbers.width_at_least(0.07), 0.1);
        let mut width = 1.0;
        for _ in 0..30 {
            let next = Scale::Seconds.next_width(width);
            assert_eq!(next % width, 0.0, "{width} -> {next}");
            width = next;
        }
        assert_eq!(Scale::Seconds.width_at_least(5000.0), 7200.0);
    }

    #[test]
    fn counts_are_exact_when_the_range_grows_both_ways() {
        // Small values first (a narrow width), then far larger and smaller.
        let mut values: Vec<f64> = (0..500).map(|i| f64::from(i % 37)).collect();
        values.extend((0..3000).map(|i| f64::from((i * 7919) % 20_000) - 9000.0));
        values.push(1e9);
        let mut bins = AdaptiveBins::new(Scale::Numbers, 60);
        for v in &values {
            bins.add(*v, one());
        }
        bins.add(-1e308, one());
        let (published, width, out) = bins.finish();
        assert_eq!(out, 1, "past what bins can hold");
        assert!(published.len() <= 60);
        assert!(width >= 1e9 / 60.0);
        check_against_edges(&values, &published);
    }

    #[test]
    fn few_values_are_binned_on_finish_and_equal_ones_share_a_bin() {
        let mut bins = AdaptiveBins::new(Scale::Numbers, 20);
        for _ in 0..5 {
            bins.add(7.0, one());
        }
        let (published, _, _) = bins.finish();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].tally.count, 5);
        assert!(published[0].start <= 7.0 && 7.0 < published[0].end);

        let values: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.25 - 3.0).collect();
        let mut bins = AdaptiveBins::new(Scale::Numbers, 20);
        for v in &values {
            bins.add(*v, one());
        }
        let (published, _, _) = bins.finish();
        check_against_edges(&values, &published);
    }

    #[test]
    fn sorted_input_still_fills_most_of_the_bins() {
        let values: Vec<f64> = (0..100_000).map(|i| f64::from(i) / 7.0).collect();
        let mut bins = AdaptiveBins::new(Scale::Numbers, 60);
        for v in &values {
            bins.add(*v, one());
        }
        let (published, _, _) = bins.finish();
        assert!(
            (24..=60).contains(&published.len()),
            "{} bins",
            published.len()
        );
        check_against_edges(&values, &published);
    }

    #[test]
    fn dates_bin_on_whole_days() {
        let day = 86_400.0;
        let values: Vec<f64> = (0..2000)
            .map(|i| 1_700_000_000.0 + f64::from(i * 3600 * 7))
            .collect();
        let mut bins = AdaptiveBins::new(Scale::Seconds, 100);
        for v in &values {
            bins.add(*v, one());
        }
        let (published, width, _) = bins.finish();
        assert_eq!(width % day, 0.0, "width {width}");
        assert_eq!(published[0].start % day, 0.0);
        check_against_edges(&values, &published);
    }
}
