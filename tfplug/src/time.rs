//! UTC timestamps without a calendar crate: log lines and the audit listings of providers need
//! only RFC 3339 in UTC.

use std::fmt::Write as _;

/// Unix seconds (and, when given, microseconds) as RFC 3339 in UTC, e.g.
/// `2026-11-25T17:10:58Z` or `2026-11-25T17:10:58.123456Z`. The date is the civil-from-days
/// conversion of the proleptic Gregorian calendar.
pub fn rfc3339_utc(secs: i64, micros: Option<u32>) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    );
    if let Some(us) = micros {
        let _ = write!(s, ".{us:06}");
    }
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::rfc3339_utc;

    #[test]
    fn formats_known_instants() {
        let utc = |secs| rfc3339_utc(secs, None);
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_651_199), "2026-11-25T23:59:59Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(0, Some(42)), "1970-01-01T00:00:00.000042Z");
    }
}
