//! cty's JSON encoding: how Terraform stores resource state, and hands it back as raw state
//! for upgrading. Numbers keep their exact text (serde_json's arbitrary precision).

use super::{Number, Type, Value, ValueError};
use serde_json::{json, Map};
use std::collections::BTreeMap;

fn mismatch(ty: &Type, v: &serde_json::Value) -> ValueError {
    ValueError::Mismatch {
        expected: ty.to_json().to_string(),
        found: v.to_string().chars().take(80).collect(),
    }
}

/// Reads a JSON value of type `ty`. Object attributes missing from the JSON read as null;
/// attributes the type lacks are dropped (state written by an older schema may have them).
pub fn from_json(v: &serde_json::Value, ty: &Type) -> Result<Value, ValueError> {
    use serde_json::Value as J;
    if v.is_null() {
        return Ok(Value::Null);
    }
    match (ty, v) {
        (Type::Dynamic, J::Object(m)) => {
            let t = m.get("type").ok_or_else(|| mismatch(ty, v))?;
            let t = Type::from_json(t)?;
            from_json(m.get("value").unwrap_or(&J::Null), &t)
        }
        (Type::String, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Number, J::Number(n)) => n
            .to_string()
            .parse::<Number>()
            .map(Value::Number)
            .map_err(|_| ValueError::BadNumber(n.to_string())),
        (Type::Number, J::String(s)) => s
            .parse::<Number>()
            .map(Value::Number)
            .map_err(|_| ValueError::BadNumber(s.clone())),
        (Type::List(et), J::Array(items)) => Ok(Value::List(
            items
                .iter()
                .map(|i| from_json(i, et))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Set(et), J::Array(items)) => Ok(Value::set(
            items
                .iter()
                .map(|i| from_json(i, et))
                .collect::<Result<Vec<_>, _>>()?,
        )),
        (Type::Tuple(ets), J::Array(items)) => {
            if items.len() != ets.len() {
                return Err(ValueError::TupleLength {
                    expected: ets.len(),
                    found: items.len(),
                });
            }
            Ok(Value::Tuple(
                items
                    .iter()
                    .zip(ets)
                    .map(|(i, t)| from_json(i, t))
                    .collect::<Result<_, _>>()?,
            ))
        }
        (Type::Map(et), J::Object(m)) => Ok(Value::Map(
            m.iter()
                .map(|(k, i)| Ok((k.clone(), from_json(i, et)?)))
                .collect::<Result<BTreeMap<_, _>, ValueError>>()?,
        )),
        (Type::Object(attrs), J::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, at) in attrs {
                out.insert(k.clone(), from_json(m.get(k).unwrap_or(&J::Null), at)?);
            }
            Ok(Value::Object(out))
        }
        _ => Err(mismatch(ty, v)),
    }
}

/// Writes a wholly known value as JSON of type `ty`.
pub fn to_json(v: &Value, ty: &Type) -> Result<serde_json::Value, ValueError> {
    use serde_json::Value as J;
    Ok(match (v, ty) {
        (Value::Unknown, _) => {
            return Err(ValueError::Unencodable("an unknown value as JSON".into()))
        }
        (Value::Null, _) => J::Null,
        (_, Type::Dynamic) => {
            let t = v.type_of();
            json!({"value": to_json(v, &t)?, "type": t.to_json()})
        }
        (Value::String(s), Type::String) => J::String(s.clone()),
        (Value::Bool(b), Type::Bool) => J::Bool(*b),
        (Value::Number(n), Type::Number) => {
            let text = n.to_string();
            J::Number(serde_json::from_str(&text).map_err(|_| ValueError::BadNumber(text.clone()))?)
        }
        (Value::List(items), Type::List(et)) | (Value::Set(items), Type::Set(et)) => J::Array(
            items
                .iter()
                .map(|i| to_json(i, et))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Tuple(items), Type::Tuple(ets)) if items.len() == ets.len() => J::Array(
            items
                .iter()
                .zip(ets)
                .map(|(i, t)| to_json(i, t))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Map(m), Type::Map(et)) => J::Object(
            m.iter()
                .map(|(k, i)| Ok((k.clone(), to_json(i, et)?)))
                .collect::<Result<Map<_, _>, ValueError>>()?,
        ),
        (Value::Object(m), Type::Object(attrs)) => J::Object(
            attrs
                .iter()
                .map(|(k, at)| Ok((k.clone(), to_json(m.get(k).unwrap_or(&Value::Null), at)?)))
                .collect::<Result<Map<_, _>, ValueError>>()?,
        ),
        _ => {
            return Err(ValueError::Mismatch {
                expected: ty.to_json().to_string(),
                found: format!("{v:?}").chars().take(80).collect(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_stay_exact() {
        let ty = Type::object([("total", Type::Number), ("gone", Type::String)]);
        let raw: serde_json::Value =
            serde_json::from_str(r#"{"total": 340282366920938463463374607431768211456, "old": 1}"#)
                .unwrap();
        let v = from_json(&raw, &ty).unwrap();
        assert_eq!(
            v.get("total")
                .and_then(Value::as_number)
                .and_then(Number::to_u128),
            None,
            "2^128 does not fit u128"
        );
        assert_eq!(
            v.get("total").unwrap().as_number().unwrap().to_string(),
            "340282366920938463463374607431768211456"
        );
        assert_eq!(v.get("gone"), Some(&Value::Null));
        let back = to_json(&v, &ty).unwrap();
        assert_eq!(
            back["total"].to_string(),
            "340282366920938463463374607431768211456"
        );
    }
}
