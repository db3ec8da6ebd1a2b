//! How the CLI prints: tables with headers, readable address counts, times in UTC, and other
//! people's text with its control characters escaped.

use std::io::Write;

/// Rows under a header line, columns padded to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A row of cells; text someone else supplied may be in any of them, so each is shown
    /// with its control characters escaped ([`crate::text`]).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| crate::text::escape_controls(&c).into_owned())
                .collect(),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut s = String::new();
            for (i, (cell, w)) in cells.zip(&widths).enumerate() {
                if i + 1 == widths.len() {
                    s.push_str(cell);
                } else {
                    s.push_str(&format!("{cell:<w$}  "));
                }
            }
            s.trim_end().to_string()
        };
        writeln!(out, "{}", line(&mut self.headers.iter().copied()))?;
        for row in &self.rows {
            writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
        }
        Ok(())
    }
}

/// An address count as a person reads it: exact below ten million, a power of two as `2^n`,
/// anything else larger as `≈2^n.n`.
pub fn count(n: u128) -> String {
    if n < 10_000_000 {
        n.to_string()
    } else if n.is_power_of_two() {
        format!("2^{}", n.trailing_zeros())
    } else {
        format!("≈2^{:.1}", (n as f64).log2())
    }
}

/// `used of total, percent%`, e.g. `2^75 of 2^76, 50%`; when the total is written as a power,
/// so is a used count that is one (`2^17 of 2^24`, not `131072 of 2^24`).
pub fn usage(used: u128, total: u128) -> String {
    let used_text = if total >= 10_000_000 && used >= 1024 && used.is_power_of_two() {
        format!("2^{}", used.trailing_zeros())
    } else {
        count(used)
    };
    format!(
        "{used_text} of {}, {}%",
        count(total),
        crate::store::utilization_percent(used, total)
    )
}

/// Unix seconds as RFC 3339 UTC.
pub fn time(secs: i64) -> String {
    tfplug::time::rfc3339_utc(secs, None)
}

/// `value` or `-` for a missing one.
pub fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

/// Pretty JSON, every control character in it written as a JSON escape.
pub fn json(out: &mut dyn Write, value: &serde_json::Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    writeln!(out, "{}", crate::text::escape_json(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_the_interface_says() {
        assert_eq!(usage(1 << 75, 1 << 76), "2^75 of 2^76, 50%");
        assert_eq!(count(65_536), "65536");
        assert_eq!(usage(1 << 17, 1 << 24), "2^17 of 2^24, 0.78%");
        assert_eq!(usage(5120, 65_536), "5120 of 65536, 7.81%");
        assert_eq!(count(3 << 70), "≈2^71.6");
        assert_eq!(count(u128::MAX), "≈2^128.0");
    }

    #[test]
    fn tables_have_headers_and_aligned_columns() {
        let mut t = Table::new(&["ID", "CIDR", "NOTE"]);
        t.row(vec!["a".into(), "10.0.0.0/8".into(), "x".into()]);
        let mut out = Vec::new();
        t.print(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID  CIDR        NOTE\na   10.0.0.0/8  x\n"
        );
    }
}
