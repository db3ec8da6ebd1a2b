//! The provider block: where the database is, who is asking, and the plan-time policies.

use super::attrs::{cidr, string, CIDR, REGION};
use super::context::Context;
use super::errors::{from_store, Blame, Failure, WHOLE};
use crate::defaults;
use crate::engine::{AddressFamily, Cidr};
use crate::store::{Actor, Store};
use std::time::Duration;
use tfplug::{Attribute, Check, Diagnostics, Pattern, Schema, Type, Value};

pub fn schema() -> Schema {
    Schema::new()
        .attribute(Attribute::optional("database", Type::String).description(
            "Where the allocation state lives: a SQLite file path (`sqlite://` prefix optional), or a PostgreSQL server as a libpq URL (`postgres://user:pass@host:5432/ipam?sslmode=require`; what it leaves out comes from the `PG*` environment variables). Default: `IPAM_DATABASE`, else `ipam.db` in the working directory.",
        ))
        .attribute(Attribute::optional("account_id", Type::String).check(ACCOUNT_ID).description(
            "The caller's 12-digit account id. Default: `IPAM_ACCOUNT_ID`, else `000000000000`. On PostgreSQL a login role that an `ipam_organization_account` names in `database_role` is that account, and a different `account_id` is an error.",
        ))
        .attribute(Attribute::optional("lock_timeout", Type::String).check(DURATION).description(
            "How long a change waits for another writer before failing with an error that says the database is busy, e.g. `30s`, `5m`. Default `60s`.",
        ))
        .attribute(Attribute::optional("region", Type::String).check(REGION).description(
            "The caller's region. Default: `IPAM_REGION`, else `AWS_REGION`, else `us-east-1`.",
        ))
        .attribute(Attribute::optional("reservation_ttl", Type::String).check(DURATION).description(
            "How long a plan-time reservation of a named allocation lives unapplied, e.g. `30m`, `24h`. Default `24h`.",
        ))
        .attribute(Attribute::optional("provided_ipv6_cidr", Type::String).meaning(CIDR).description(
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

/// A 12-digit account id.
pub(super) const ACCOUNT_ID: Check = Check::Matches(Pattern {
    looks_like: "a 12-digit account id, such as \"111122223333\"",
    test: |s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()),
});

/// A duration [`parse_duration`] reads.
pub(super) const DURATION: Check = Check::Matches(Pattern {
    looks_like: "a duration: a number and a unit (s, m, h, d), such as \"30s\" or \"24h\"",
    test: |s| parse_duration(s).is_some(),
});

/// What the schema's checks cannot say: the family of the provided space, the backend.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(c) = cidr(config, "provided_ipv6_cidr") {
        if c.family() != AddressFamily::Ipv6 {
            let hint = defaults::PROVIDED_IPV6;
            Failure::at(
                "provided_ipv6_cidr",
                "Invalid provided_ipv6_cidr",
                format!("{c} is not an IPv6 block: write one such as \"{hint}\"."),
            )
            .report(diags);
        }
    }
    if let Some(d) = string(config, "database") {
        if let Err(e) = ipam_db::Location::parse(&d).check() {
            Failure::at("database", "Invalid database URL", e.to_string()).report(diags);
        }
    }
}

/// Opens the store. Values unknown at validate (taken from other resources) are known now:
/// the schema's checks run again before anything is opened.
pub fn configure(config: &Value, diags: &mut Diagnostics) -> Option<Context> {
    tfplug::rules::validate(&schema(), config, diags);
    validate(config, diags);
    if diags.has_errors() {
        return None;
    }
    let location = crate::defaults::database(string(config, "database"));
    let declared = string(config, "account_id").or_else(|| {
        std::env::var("IPAM_ACCOUNT_ID")
            .ok()
            .filter(|a| !a.is_empty())
    });
    let region = string(config, "region").unwrap_or_else(crate::defaults::region);
    let ttl = string(config, "reservation_ttl")
        .and_then(|t| parse_duration(&t))
        .unwrap_or(defaults::RESERVATION_TTL_SECS);
    let lock_timeout = string(config, "lock_timeout")
        .and_then(|t| parse_duration(&t))
        .unwrap_or(defaults::LOCK_TIMEOUT_SECS);
    let provided =
        cidr(config, "provided_ipv6_cidr").or_else(|| Cidr::parse(defaults::PROVIDED_IPV6).ok())?;
    let lock_timeout = Duration::from_secs(lock_timeout.unsigned_abs());
    match Store::open_at(&location, provided, lock_timeout).and_then(|store| {
        let login = match store.login_account()? {
            Some(account) => Login::Account(account),
            None => store
                .login_unmapped_role()?
                .map_or(Login::Trusted, Login::Unmapped),
        };
        Ok((login, store))
    }) {
        Ok((login, store)) => {
            let account_id = account_of(login, declared, diags)?;
            Some(Context {
                store,
                actor: Actor::new(account_id, region),
                reservation_ttl_secs: ttl,
            })
        }
        Err(e) => {
            let blame = Blame {
                refused: "database",
                ..WHOLE
            };
            let mut f = from_store(e, "Cannot open the IPAM database", &blame);
            f.path = Some("database");
            f.report(diags);
            None
        }
    }
}

/// What the database says of the login role (PostgreSQL; SQLite trusts every writer).
enum Login {
    /// An organization account's `database_role`: the role is that account.
    Account(String),
    /// A role the rules do not bind (the database owner, SQLite, no organization yet).
    Trusted,
    /// A role the rules bind that no account names: it acts as no account.
    Unmapped(String),
}

/// Who the provider acts as. On PostgreSQL a login role that an organization account names
/// (`database_role`) is that account, and a declared `account_id` must agree; a role the rules
/// bind but no account names acts as none, so a declared `account_id` is refused here, at plan,
/// by the rule the database would apply at apply. Otherwise (SQLite, or the database owner,
/// whom the database trusts) the declared account, else the default.
fn account_of(login: Login, declared: Option<String>, diags: &mut Diagnostics) -> Option<String> {
    match (login, declared) {
        (Login::Account(login), Some(declared)) if login != declared => {
            Failure::at(
                "account_id",
                "account_id disagrees with the database login role",
                format!("account_id is {declared}, but the database login role acts as the account {login} (its ipam_organization_account.database_role): on PostgreSQL the account comes from the login role; remove account_id, set it to {login}, or connect with {declared}'s role"),
            )
            .report(diags);
            None
        }
        (Login::Unmapped(role), Some(declared)) => {
            Failure::at(
                "account_id",
                "The database login role acts as no account",
                format!("account_id is {declared}, but the database login role {role} is not the database_role of any ipam_organization_account, so the database refuses every change it would make in {declared}'s name (or any account's); ask the management account to set database_role = \"{role}\" on {declared}'s ipam_organization_account, or connect with {declared}'s role"),
            )
            .report(diags);
            None
        }
        (Login::Account(login), _) => Some(login),
        (_, declared) => Some(declared.unwrap_or_else(crate::defaults::account_id)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_login_role_decides_the_account() {
        use super::account_of;
        use super::Login::{Account, Trusted, Unmapped};
        let s = |v: &str| Some(v.to_string());
        let dev = || Account("333333333333".into());
        let mut d = tfplug::Diagnostics::default();
        assert_eq!(account_of(dev(), None, &mut d), s("333333333333"));
        assert_eq!(
            account_of(Trusted, s("111111111111"), &mut d),
            s("111111111111")
        );
        assert_eq!(
            account_of(dev(), s("333333333333"), &mut d),
            s("333333333333")
        );
        // A role no account names may still read: without a declared account nothing is
        // claimed.
        assert!(account_of(Unmapped("ipam_ci".into()), None, &mut d).is_some());
        assert!(!d.has_errors());
        assert_eq!(account_of(dev(), s("111111111111"), &mut d), None);
        assert!(d.has_errors());
        let mut d = tfplug::Diagnostics::default();
        assert_eq!(
            account_of(Unmapped("ipam_ci".into()), s("222222222222"), &mut d),
            None
        );
        assert!(d.has_errors());
    }

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
