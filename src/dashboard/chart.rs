//! Utilization over time as a small SVG step chart: a pool's share in use only changes at the
//! instants recorded in its history, so the line is flat between points.

use super::format;
use crate::store::{utilization_percent, HistoryPoint};
use maud::{html, Markup};

const W: f64 = 720.0;
const H: f64 = 180.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
/// More points than pixels draw nothing more; older history is thinned to this many.
const MAX_POINTS: usize = 600;

/// The chart of `points` (oldest first), extended to `now` with the current figures.
pub fn render(points: &[HistoryPoint], now: HistoryPoint) -> Markup {
    let mut pts: Vec<(i64, f64)> = points
        .iter()
        .map(|p| (p.at, utilization_percent(p.allocated, p.total)))
        .collect();
    if pts.len() > MAX_POINTS {
        let step = pts.len().div_ceil(MAX_POINTS);
        pts = pts
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == points.len() - 1)
            .map(|(_, p)| *p)
            .collect();
    }
    let current = utilization_percent(now.allocated, now.total);
    if pts.last().is_none_or(|l| l.0 < now.at) {
        pts.push((now.at, current));
    }
    let t0 = pts.first().map_or(now.at, |p| p.0);
    let t1 = now.at.max(t0 + 1);
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0) as f64 * (W - LEFT - 8.0);
    // A pool at 3% is drawn on a 0–5% scale: a flat line at the bottom tells nothing.
    let peak = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let top = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|t| peak * 1.25 <= *t)
        .unwrap_or(100.0);
    let y = |p: f64| 8.0 + (top - p.clamp(0.0, top)) / top * (H - BOTTOM - 8.0);
    let mut line = String::new();
    for (i, (t, p)) in pts.iter().enumerate() {
        if i == 0 {
            line.push_str(&format!("M{:.1},{:.1}", x(*t), y(*p)));
        } else {
            line.push_str(&format!("H{:.1}V{:.1}", x(*t), y(*p)));
        }
    }
    let area = format!(
        "{line}H{:.1}V{:.1}H{:.1}Z",
        x(t1),
        y(0.0),
        x(pts.first().map_or(t0, |p| p.0))
    );
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (W) " " (H)} role="img"
            aria-label="utilization over time" {
            @for pct in [0.0, top / 2.0, top].into_iter().chain((top == 100.0).then_some(80.0)) {
                line class={"grid" @if pct == 80.0 { " alarm" }} x1=(LEFT) x2=(W - 8.0) y1=(y(pct)) y2=(y(pct)) {}
                text.axis x=(LEFT - 6.0) y=(y(pct) + 4.0) text-anchor="end" { (pct) "%" }
            }
            path.area d=(area) {}
            path.line d=(line) {}
            text.axis x=(LEFT) y=(H - 4.0) { (format::time(t0)) }
            text.axis x=(W - 8.0) y=(H - 4.0) text-anchor="end" { (format::time(t1)) }
        }
    }
}
