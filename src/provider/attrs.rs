//! Reading attributes out of Terraform objects, and writing store records back into them.

use crate::store::Tags;
use tfplug::Value;

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

/// Tags as state: an empty map is written the way the configuration wrote it (null or {}).
pub fn tags_value(t: &Tags, like: Option<&Value>) -> Value {
    if t.is_empty() && !matches!(like, Some(Value::Map(_))) {
        return Value::Null;
    }
    Value::map(t.iter().map(|(k, v)| (k.clone(), Value::string(v))))
}

pub fn opt_string(s: &Option<String>) -> Value {
    Value::opt_string(s.clone())
}

pub fn opt_number(n: Option<u8>) -> Value {
    n.map(Value::number).unwrap_or(Value::Null)
}
