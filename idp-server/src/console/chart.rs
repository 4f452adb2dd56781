//! Bar charts drawn on the server as SVG (issue 18: the dashboard's charts
//! are readable without JavaScript). This module only computes geometry;
//! `console/dashboard.html` writes the markup, so every label is escaped
//! by the template like any other text.
//!
//! A chart is an `<svg role="img">` named by its `<title>` and described
//! by a `<desc>` (total and highest value) for screen readers; each bar has
//! its own `<title>` (a tooltip); colours come from `console.css` classes
//! (no `style`, which the console's CSP forbids). The same numbers are
//! also listed in a table beside the chart ([`BarChart::points`]), so
//! nobody has to read values off bars.
//!
//! Not supported: stacked or grouped bars, negative values, logarithmic
//! scales. Failures by reason are one total per reason, not a series.

/// The drawing's width in SVG units (it scales to its container).
const WIDTH: u32 = 720;
/// Room for the value axis's labels on the left of a column chart.
const LEFT: f64 = 50.0;
/// Room above the highest bar.
const TOP: f64 = 10.0;
/// Room for the date labels under a column chart.
const BOTTOM: f64 = 26.0;
/// Height of a column chart's plot area.
const PLOT: f64 = 160.0;
/// Height of one row of a row chart.
const ROW: f64 = 28.0;
/// Room for a row chart's labels on the left.
const ROW_LABEL: f64 = 190.0;
/// Room for a row chart's values on the right.
const ROW_VALUE: f64 = 60.0;

/// One value of a chart: what it is (a date, a reason) and how many.
pub(crate) struct Point {
    /// The label (a date `YYYY-MM-DD`, a failure reason).
    pub(crate) label: String,
    /// The value.
    pub(crate) value: u64,
}

/// One bar, placed (SVG units, one decimal).
pub(crate) struct Bar {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) width: String,
    pub(crate) height: String,
    /// Its tooltip: `label: value`.
    pub(crate) tip: String,
}

/// A text placed on the drawing (an axis label, a row's name or value).
pub(crate) struct Label {
    pub(crate) x: String,
    pub(crate) y: String,
    /// `start`, `middle` or `end`.
    pub(crate) anchor: &'static str,
    pub(crate) text: String,
}

/// A horizontal grid line.
pub(crate) struct Line {
    pub(crate) x1: String,
    pub(crate) x2: String,
    pub(crate) y: String,
}

/// A chart ready for the template.
pub(crate) struct BarChart {
    /// Unique on the page: the prefix of its elements' ids.
    pub(crate) id: &'static str,
    /// Its name (the `<title>` and the section's heading).
    pub(crate) title: &'static str,
    /// A sentence for screen readers: the total and the highest value.
    pub(crate) desc: String,
    /// The table's column headings: what a point is, what its value counts.
    pub(crate) label_heading: &'static str,
    pub(crate) value_heading: &'static str,
    /// The `console.css` class of its bars (`bar`, `bar alt`, `bad`).
    pub(crate) class: &'static str,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bars: Vec<Bar>,
    pub(crate) grid: Vec<Line>,
    pub(crate) labels: Vec<Label>,
    /// Every value, for the table (zeros included).
    pub(crate) points: Vec<Point>,
}

/// What a chart shows, before it is drawn.
pub(crate) struct Spec {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) label_heading: &'static str,
    pub(crate) value_heading: &'static str,
    pub(crate) class: &'static str,
    /// Whether the values add up to a meaningful total (logins do; active
    /// users of several days do not).
    pub(crate) additive: bool,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// The smallest of 1, 2, 5, 10, 20, 50, … at least `max`: the value axis's
/// top, so that its middle line is a round number too.
fn nice_ceiling(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let top = step.saturating_mul(m);
            if top >= max {
                return top;
            }
        }
        step = step.saturating_mul(10);
    }
}

fn summary(points: &[Point], unit: &str, additive: bool) -> String {
    let total: u64 = points.iter().map(|p| p.value).sum();
    // The first of the highest, as a reader scanning the table finds it.
    let top = points.iter().fold(None::<&Point>, |best, p| match best {
        Some(b) if b.value >= p.value => Some(b),
        _ => Some(p),
    });
    match top {
        Some(top) if top.value > 0 && additive => format!(
            "In all: {total}; the most, {}, on {}.",
            top.value, top.label
        ),
        Some(top) if top.value > 0 => format!("The most, {}, on {}.", top.value, top.label),
        _ => format!("No {unit} in this period."),
    }
}

/// A column per point (a day), left to right, with the value axis on the
/// left and the first, middle and last labels under the columns.
pub(crate) fn columns(spec: Spec, points: Vec<Point>, unit: &str) -> BarChart {
    let count = points.len().max(1) as f64;
    let top = nice_ceiling(points.iter().map(|p| p.value).max().unwrap_or(0).max(1));
    let plot_width = f64::from(WIDTH) - LEFT - 8.0;
    let slot = plot_width / count;
    let bar_width = (slot * 0.8).max(1.0);
    let base = TOP + PLOT;
    let mut grid = Vec::new();
    let mut labels = Vec::new();
    let mut marks = vec![0, top];
    if top >= 2 && top.is_multiple_of(2) {
        marks.insert(1, top / 2);
    }
    for mark in marks {
        let y = base - PLOT * mark as f64 / top as f64;
        grid.push(Line {
            x1: n(LEFT),
            x2: n(f64::from(WIDTH) - 8.0),
            y: n(y),
        });
        labels.push(Label {
            x: n(LEFT - 6.0),
            y: n(y + 4.0),
            anchor: "end",
            text: mark.to_string(),
        });
    }
    let bars = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.value > 0)
        .map(|(i, p)| {
            let height = PLOT * p.value as f64 / top as f64;
            Bar {
                x: n(LEFT + slot * i as f64 + (slot - bar_width) / 2.0),
                y: n(base - height),
                width: n(bar_width),
                height: n(height),
                tip: format!("{}: {}", p.label, p.value),
            }
        })
        .collect();
    let last = points.len().saturating_sub(1);
    let mut ends = vec![(0, "start")];
    if last >= 2 {
        ends.push((last / 2, "middle"));
    }
    if last >= 1 {
        ends.push((last, "end"));
    }
    for (i, anchor) in ends {
        let centre = LEFT + slot * i as f64 + slot / 2.0;
        let x = match anchor {
            "start" => LEFT,
            "end" => f64::from(WIDTH) - 8.0,
            _ => centre,
        };
        if let Some(p) = points.get(i) {
            labels.push(Label {
                x: n(x),
                y: n(base + 18.0),
                anchor,
                text: p.label.clone(),
            });
        }
    }
    BarChart {
        desc: summary(&points, unit, spec.additive),
        id: spec.id,
        title: spec.title,
        label_heading: spec.label_heading,
        value_heading: spec.value_heading,
        class: spec.class,
        width: WIDTH,
        height: (TOP + PLOT + BOTTOM) as u32,
        bars,
        grid,
        labels,
        points,
    }
}

/// A row per point (a reason), its name on the left and its value at the
/// end of its bar; most first.
pub(crate) fn rows(spec: Spec, mut points: Vec<Point>, unit: &str) -> BarChart {
    points.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    let top = points.iter().map(|p| p.value).max().unwrap_or(0).max(1);
    let room = f64::from(WIDTH) - ROW_LABEL - ROW_VALUE;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let width = room * p.value as f64 / top as f64;
        labels.push(Label {
            x: n(ROW_LABEL - 8.0),
            y: n(y + ROW / 2.0 + 4.0),
            anchor: "end",
            text: p.label.clone(),
        });
        labels.push(Label {
            x: n(ROW_LABEL + width + 6.0),
            y: n(y + ROW / 2.0 + 4.0),
            anchor: "start",
            text: p.value.to_string(),
        });
        if p.value > 0 {
            bars.push(Bar {
                x: n(ROW_LABEL),
                y: n(y + 4.0),
                width: n(width),
                height: n(ROW - 8.0),
                tip: format!("{}: {}", p.label, p.value),
            });
        }
    }
    BarChart {
        desc: summary(&points, unit, spec.additive),
        id: spec.id,
        title: spec.title,
        label_heading: spec.label_heading,
        value_heading: spec.value_heading,
        class: spec.class,
        width: WIDTH,
        height: (TOP * 2.0 + ROW * points.len().max(1) as f64) as u32,
        bars,
        grid: Vec::new(),
        labels,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            id: "t",
            title: "T",
            label_heading: "Date",
            value_heading: "N",
            class: "bar",
            additive: true,
        }
    }

    fn points(values: &[u64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                label: format!("d{i}"),
                value: *v,
            })
            .collect()
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(120), 200);
    }

    #[test]
    fn columns_scale_to_the_highest_and_skip_zeros() {
        let chart = columns(spec(), points(&[0, 5, 10]), "logins");
        assert_eq!(chart.bars.len(), 2);
        // 10 is the axis's top: the full plot height.
        assert_eq!(chart.bars[1].height, n(PLOT));
        assert_eq!(chart.bars[0].height, n(PLOT / 2.0));
        assert_eq!(chart.bars[1].tip, "d2: 10");
        assert_eq!(chart.points.len(), 3);
        assert_eq!(chart.desc, "In all: 15; the most, 10, on d2.");
        let texts: Vec<&str> = chart.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["0", "5", "10", "d0", "d1", "d2"]);
    }

    #[test]
    fn an_empty_series_says_so() {
        let chart = columns(spec(), points(&[0, 0]), "logins");
        assert!(chart.bars.is_empty());
        assert_eq!(chart.desc, "No logins in this period.");
    }

    #[test]
    fn rows_put_the_most_first() {
        let chart = rows(spec(), points(&[1, 3]), "failures");
        assert_eq!(chart.points[0].label, "d1");
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(
            chart.bars[0].width,
            n(f64::from(WIDTH) - ROW_LABEL - ROW_VALUE)
        );
    }
}
