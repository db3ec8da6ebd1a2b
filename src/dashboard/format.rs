//! Numbers and times as people read them: IPv6 counts as powers of two (`2^75 of 2^76`), IPv4
//! counts with thousands separators, times in UTC.

/// A count of addresses: exact with separators below 2^40, a power of two as `2^k`, otherwise
/// `≈2^k.k` (an IPv6 pool's counts have 20 or more digits, which nobody reads).
pub fn count(n: u128) -> String {
    if n < (1u128 << 40) {
        return separated(n);
    }
    if n.is_power_of_two() {
        return format!("2^{}", n.trailing_zeros());
    }
    let bits = 127 - n.leading_zeros();
    let frac = (n >> bits.saturating_sub(52)) as f64 / (1u128 << bits.min(52)) as f64;
    format!("≈2^{:.1}", bits as f64 + frac.log2())
}

/// `1234567` → `1,234,567`.
pub fn separated(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A block as people write it: a single address without its `/32` or `/128`.
pub fn block(c: &crate::engine::Cidr) -> String {
    if c.prefix_len() == c.family().bits() {
        c.net().addr().to_string()
    } else {
        c.to_string()
    }
}

/// A percentage as the `ipam_utilization` data source reports it (two decimals at most).
pub fn percent(p: f64) -> String {
    let s = format!("{p:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Unix seconds as `2026-11-27 13:45:00 UTC`.
pub fn time(secs: i64) -> String {
    tfplug::time::rfc3339_utc(secs, None)
        .replace('T', " ")
        .replace('Z', " UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(65536), "65,536");
        assert_eq!(count(1 << 76), "2^76");
        assert_eq!(count(3 << 74), "≈2^75.6");
        assert_eq!(percent(50.0), "50");
        assert_eq!(percent(12.5), "12.5");
        assert_eq!(percent(0.39), "0.39");
    }
}
