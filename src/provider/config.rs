//! The provider block: where the database is, who is asking, and the plan-time policies.

use super::attrs::string;
use super::Context;
use crate::engine::Cidr;
use crate::store::{Actor, Store};
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

const DEFAULT_PROVIDED_IPV6: &str = crate::defaults::PROVIDED_IPV6;

pub fn schema() -> Schema {
    Schema::new()
        .attribute(Attribute::optional("database", Type::String).description(
            "Where the allocation state lives: a SQLite file path (`sqlite://` prefix optional). Default: `IPAM_DATABASE`, else `ipam.db` in the working directory.",
        ))
        .attribute(Attribute::optional("account_id", Type::String).description(
            "The caller's 12-digit account id. Default: `IPAM_ACCOUNT_ID`, else `000000000000`.",
        ))
        .attribute(Attribute::optional("region", Type::String).description(
            "The caller's region. Default: `IPAM_REGION`, else `AWS_REGION`, else `us-east-1`.",
        ))
        .attribute(Attribute::optional("reservation_ttl", Type::String).description(
            "How long a plan-time reservation of a named allocation lives unapplied, e.g. `30m`, `24h`. Default `24h`.",
        ))
        .attribute(Attribute::optional("provided_ipv6_cidr", Type::String).description(
            "The provider-owned IPv6 space public IPv6 pools draw from by netmask length. Default `2001:db8::/32`.",
        ))
}

/// Parses durations like `90s`, `30m`, `24h`, `7d`, `1h30m` into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut num = String::new();
    let mut any = false;
    for ch in s.trim().chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: i64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        num.clear();
        any = true;
    }
    (any && num.is_empty() && total > 0).then_some(total)
}

pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(a) = string(config, "account_id") {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            diags.error_at(
                "account_id",
                "Invalid account_id",
                format!("{a:?} is not a 12-digit account id, such as \"111122223333\"."),
            );
        }
    }
    if let Some(t) = string(config, "reservation_ttl") {
        if parse_duration(&t).is_none() {
            diags.error_at("reservation_ttl", "Invalid reservation_ttl", format!("{t:?} is not a duration: write a number and a unit (s, m, h, d), such as \"30m\" or \"24h\"."));
        }
    }
    if let Some(c) = string(config, "provided_ipv6_cidr") {
        match Cidr::parse(&c) {
            Ok(c) if c.family() == crate::engine::AddressFamily::Ipv6 => {}
            Ok(_) => diags.error_at(
                "provided_ipv6_cidr",
                "Invalid provided_ipv6_cidr",
                format!("{c} is not an IPv6 block."),
            ),
            Err(e) => diags.error_at(
                "provided_ipv6_cidr",
                "Invalid provided_ipv6_cidr",
                e.to_string(),
            ),
        }
    }
    if let Some(d) = string(config, "database") {
        if d.starts_with("postgres://") || d.starts_with("postgresql://") {
            diags.error_at(
                "database",
                "PostgreSQL is not supported yet",
                "Use a SQLite file path for now.",
            );
        }
    }
}

pub fn configure(config: &Value, diags: &mut Diagnostics) -> Option<Context> {
    validate(config, diags);
    if diags.has_errors() {
        return None;
    }
    let path = crate::defaults::database_path(string(config, "database"));
    let account_id = string(config, "account_id").unwrap_or_else(crate::defaults::account_id);
    let region = string(config, "region").unwrap_or_else(crate::defaults::region);
    let ttl = string(config, "reservation_ttl")
        .and_then(|t| parse_duration(&t))
        .unwrap_or(86_400);
    let provided = string(config, "provided_ipv6_cidr")
        .and_then(|c| Cidr::parse(&c).ok())
        .or_else(|| Cidr::parse(DEFAULT_PROVIDED_IPV6).ok())?;
    match Store::open(&path, provided) {
        Ok(store) => Some(Context {
            store,
            actor: Actor::new(account_id, region),
            reservation_ttl_secs: ttl,
        }),
        Err(e) => {
            diags.error_at("database", "Cannot open the IPAM database", e.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        use super::parse_duration as p;
        assert_eq!(p("24h"), Some(86_400));
        assert_eq!(p("1h30m"), Some(5400));
        assert_eq!(p("90s"), Some(90));
        assert_eq!(p("7d"), Some(604_800));
        for bad in ["", "h", "10", "5x", "-1h"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
