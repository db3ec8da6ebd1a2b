//! The provider's attribute vocabulary: how its kinds of values are read, checked and compared
//! (tfplug enforces what is declared here), and reading them out of Terraform objects.

use crate::engine::Cidr;
use crate::store::Tags;
use tfplug::{Attribute, Check, Meaning, Pattern, Type, Value};

/// A CIDR block: compared by the block it means, so state keeps the user's spelling
/// (`FD00:0:0:100::/56`) while the database holds the canonical one; an ambiguous spelling is
/// refused at validate with the canonical form.
pub const CIDR: Meaning = Meaning {
    name: "a CIDR block",
    canonical: canonical_cidr,
};

fn canonical_cidr(s: &str) -> Result<String, String> {
    Cidr::parse(s)
        .map(|c| c.to_string())
        .map_err(|e| e.to_string())
}

/// The store's form of a CIDR the user wrote (state holds the user's spelling).
pub fn cidr(v: &Value, name: &str) -> Option<Cidr> {
    string(v, name).and_then(|c| Cidr::parse(&c).ok())
}

/// A prefix length of either family (the family's own bound is the pool's to check).
pub const NETMASK: Check = Check::IntRange {
    min: 0,
    max: 128,
    what: "a prefix length",
};

/// AWS's limits: at most 255 characters.
pub fn description(what: &str) -> Attribute {
    Attribute::optional("description", Type::String)
        .check(Check::Length { min: 0, max: 255 })
        .description(&format!(
            "A description of the {what}, at most 255 characters."
        ))
}

/// A tag map under AWS's limits: keys 1 to 128 characters, values 0 to 256, at most 50 tags.
pub fn tag_map(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::map(Type::String))
        .check(Check::KeyLength { min: 1, max: 128 })
        .check(Check::Length { min: 0, max: 256 })
        .check(Check::Size { min: 0, max: 50 })
        .description(&format!(
            "{description} At most 50 tags; keys 1 to 128 characters, values up to 256."
        ))
}

/// Region names as AWS writes them: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
pub const REGION: Check = Check::Matches(Pattern {
    looks_like: "a region name, such as \"us-east-1\"",
    test: is_region,
});

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let word = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(word)
        && parts[0].len() == 2
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && !parts[parts.len() - 1].starts_with('0'))
}

/// A known, non-null string attribute.
pub fn string(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(String::from)
}

pub fn boolean(v: &Value, name: &str) -> Option<bool> {
    v.get(name).and_then(Value::as_bool)
}

/// A known integer attribute; `Err` carries the offending text when it is not an integer.
pub fn integer(v: &Value, name: &str) -> Result<Option<i64>, String> {
    match v.get(name) {
        Some(Value::Number(n)) => n.to_i64().map(Some).ok_or_else(|| n.to_string()),
        _ => Ok(None),
    }
}

pub fn is_unknown(v: &Value, name: &str) -> bool {
    v.get(name).is_some_and(|a| !a.is_wholly_known())
}

pub fn tags(v: &Value, name: &str) -> Tags {
    v.get(name)
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn strings(v: &Value, name: &str) -> Vec<String> {
    v.get(name)
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every CIDR of a set attribute, in the store's form.
pub fn cidrs(v: &Value, name: &str) -> Vec<Cidr> {
    strings(v, name)
        .iter()
        .filter_map(|c| Cidr::parse(c).ok())
        .collect()
}

/// Tags as state (tfplug keeps the configuration's null or `{}` when there are none).
pub fn tags_value(t: &Tags) -> Value {
    Value::map(t.iter().map(|(k, v)| (k.clone(), Value::string(v))))
}

pub fn opt_string(s: &Option<String>) -> Value {
    Value::opt_string(s.clone())
}

pub fn opt_number(n: Option<u8>) -> Value {
    n.map(Value::number).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-central-10",
        ] {
            assert!(super::is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us-east-01",
            "useast1",
            "us--1",
            "u-east-1",
        ] {
            assert!(!super::is_region(bad), "{bad}");
        }
    }
}
