//! Server-rendered charts: the geometry of line and bar charts in SVG user units, drawn by the
//! `insights/charts.html` macros. No chart JavaScript; every chart has a data table beside it.

use serde::Serialize;

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// One line or set of bars: `key` names its colour class and its legend text (i18n).
pub struct Series {
    pub key: &'static str,
    /// One value per label; `None` where nothing was measured (a gap in a line).
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

#[derive(Debug, Serialize)]
pub struct SeriesView {
    pub key: &'static str,
    /// `points` attributes of polylines, one per stretch without gaps (line charts).
    pub lines: Vec<String>,
    /// Single measured points between gaps, drawn as dots so they do not vanish.
    pub dots: Vec<(f64, f64)>,
    pub bars: Vec<Bar>,
}

/// Everything the template needs to draw the chart and its table.
#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
    /// The value at the top of the plot (the axis maximum).
    #[serde(skip)]
    top: f64,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub series: Vec<SeriesView>,
    /// The data table: one row per label, one cell per series.
    pub labels: Vec<String>,
    pub keys: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// False when every value is missing or zero: the template says so instead of drawing.
    pub has_data: bool,
}

/// A "nice" axis maximum (1, 2 or 5 times a power of ten, at least `max`) and its step, with
/// four steps or fewer.
fn nice_scale(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (4.0, 1.0);
    }
    let raw_step = max / 4.0;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw_step)
        .unwrap_or(10.0 * magnitude)
        .max(1.0);
    ((max / step).ceil() * step, step)
}

fn format_value(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn frame(labels: &[String], series: &[Series], percent: bool) -> Chart {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |m, v| m.max(*v));
    let (top, step) = if percent {
        (100.0, 25.0)
    } else {
        nice_scale(max)
    };
    let baseline = HEIGHT - BOTTOM;
    let plot_height = baseline - TOP;
    let y_ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= top + f64::EPSILON)
        .map(|v| Tick {
            at: baseline - v / top * plot_height,
            label: if percent {
                format!("{v:.0}%")
            } else {
                format_value(v)
            },
        })
        .collect();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, _)| {
            series
                .iter()
                .map(|s| match s.values.get(i).copied().flatten() {
                    Some(v) if percent => format!("{v:.0}%"),
                    Some(v) => format_value(v),
                    None => "–".to_owned(),
                })
                .collect()
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        baseline,
        top,
        y_ticks,
        x_ticks: Vec::new(),
        series: Vec::new(),
        labels: labels.to_vec(),
        keys: series.iter().map(|s| s.key).collect(),
        rows,
        has_data: max > 0.0,
    }
}

/// The x-axis captions: at most about eight labels, always the last, at `at(index)`.
fn x_ticks(labels: &[String], at: impl Fn(usize) -> f64) -> Vec<Tick> {
    let count = labels.len();
    let every = count.div_ceil(8).max(1);
    labels
        .iter()
        .enumerate()
        .filter(|(i, _)| (count - 1 - i).is_multiple_of(every))
        .map(|(i, label)| Tick {
            at: at(i),
            label: label.clone(),
        })
        .collect()
}

fn y_of(value: f64, chart: &Chart) -> f64 {
    let plot_height = chart.baseline - TOP;
    chart.baseline - value / chart.top * plot_height
}

/// Lines over evenly spaced labels. `percent` fixes the axis at 0–100 %.
pub fn lines(labels: &[String], series: &[Series], percent: bool) -> Chart {
    let mut chart = frame(labels, series, percent);
    let count = labels.len();
    let span = chart.right - chart.left;
    let x_of = |i: usize| {
        if count <= 1 {
            chart.left + span / 2.0
        } else {
            chart.left + span * i as f64 / (count - 1) as f64
        }
    };
    chart.x_ticks = x_ticks(labels, x_of);
    chart.series = series
        .iter()
        .map(|s| {
            let mut lines = Vec::new();
            let mut dots = Vec::new();
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut flush = |run: &mut Vec<(f64, f64)>| {
                match run.len() {
                    0 => {}
                    1 => dots.push(run[0]),
                    _ => lines.push(
                        run.iter()
                            .map(|(x, y)| format!("{x:.1},{y:.1}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                }
                run.clear();
            };
            for (i, value) in s.values.iter().enumerate().take(count) {
                match value {
                    Some(v) => run.push((x_of(i), y_of(*v, &chart))),
                    None => flush(&mut run),
                }
            }
            flush(&mut run);
            SeriesView {
                key: s.key,
                lines,
                dots,
                bars: Vec::new(),
            }
        })
        .collect();
    chart
}

/// Grouped bars, one group per label.
pub fn bars(labels: &[String], series: &[Series], percent: bool) -> Chart {
    let mut chart = frame(labels, series, percent);
    let count = labels.len().max(1);
    let group = (chart.right - chart.left) / count as f64;
    let gap = group * 0.2;
    let bar_width = (group - gap) / series.len().max(1) as f64;
    let left = chart.left;
    chart.x_ticks = x_ticks(labels, |i| left + group * (i as f64 + 0.5));
    chart.series = series
        .iter()
        .enumerate()
        .map(|(k, s)| SeriesView {
            key: s.key,
            lines: Vec::new(),
            dots: Vec::new(),
            bars: s
                .values
                .iter()
                .enumerate()
                .take(count)
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .map(|(i, v)| {
                    let y = y_of(v, &chart);
                    Bar {
                        x: chart.left + group * i as f64 + gap / 2.0 + bar_width * k as f64,
                        y,
                        width: bar_width,
                        height: chart.baseline - y,
                    }
                })
                .collect(),
        })
        .collect();
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_scale(0.0), (4.0, 1.0));
        assert_eq!(nice_scale(3.0), (3.0, 1.0));
        assert_eq!(nice_scale(37.0), (40.0, 10.0));
        assert_eq!(nice_scale(101.0), (150.0, 50.0));
        assert_eq!(nice_scale(98_500.0), (100_000.0, 50_000.0));
    }

    #[test]
    fn a_line_spans_the_plot_and_breaks_at_gaps() {
        let chart = lines(
            &labels(5),
            &[Series {
                key: "posts",
                values: vec![Some(0.0), Some(4.0), None, Some(2.0), Some(4.0)],
            }],
            false,
        );
        let s = &chart.series[0];
        assert_eq!(s.lines.len(), 2, "{:?}", s.lines);
        assert!(s.lines[0].starts_with(&format!("{LEFT:.1},{:.1}", HEIGHT - BOTTOM)));
        // The highest value touches the top of the plot (axis maximum 4).
        assert!(s.lines[1].ends_with(&format!("{:.1},{TOP:.1}", WIDTH - RIGHT)));
        assert_eq!(chart.rows[2], vec!["–".to_owned()]);
        assert!(chart.has_data);
    }

    #[test]
    fn bars_are_grouped_and_never_overlap() {
        let chart = bars(
            &labels(3),
            &[
                Series {
                    key: "a",
                    values: vec![Some(1.0), Some(2.0), Some(3.0)],
                },
                Series {
                    key: "b",
                    values: vec![Some(3.0), None, Some(1.0)],
                },
            ],
            false,
        );
        let a = &chart.series[0].bars;
        let b = &chart.series[1].bars;
        assert_eq!((a.len(), b.len()), (3, 2));
        assert!(a[0].x + a[0].width <= b[0].x + 1e-9);
        assert!(b[0].x + b[0].width <= a[1].x);
        assert!(
            (a[2].height - b[0].height).abs() < 1e-9,
            "equal values, equal bars"
        );
    }

    #[test]
    fn nothing_measured_is_said_not_drawn() {
        let chart = lines(
            &labels(2),
            &[Series {
                key: "x",
                values: vec![None, Some(0.0)],
            }],
            false,
        );
        assert!(!chart.has_data);
    }
}
