//! cty types, and their JSON form as it travels in schemas and dynamic values.

use super::ValueError;
use serde_json::json;
use std::collections::BTreeMap;

/// The type of a Terraform value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type, decided per value (`any` in HCL).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.to_string(), t)).collect())
    }

    /// cty's JSON type notation: `"string"`, `["list","string"]`, `["object",{"a":"number"}]`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", m])
            }
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Reads cty's JSON type notation (optional-attribute markers on objects are accepted and
    /// ignored: a value always carries every attribute, null when unset).
    pub fn from_json(v: &serde_json::Value) -> Result<Type, ValueError> {
        let bad = || ValueError::BadType(v.to_string());
        match v {
            serde_json::Value::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            serde_json::Value::Array(parts) => {
                let kind = parts.first().and_then(|k| k.as_str()).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "object" => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let mut out = BTreeMap::new();
                        for (k, t) in attrs {
                            out.insert(k.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(out))
                    }
                    "tuple" => {
                        let elems = arg.as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, ValueError> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|_| ValueError::BadType(String::from_utf8_lossy(bytes).into_owned()))?;
        Type::from_json(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let t = Type::object([
            ("id", Type::String),
            ("tags", Type::map(Type::String)),
            (
                "cidrs",
                Type::list(Type::object([("cidr", Type::String), ("n", Type::Number)])),
            ),
            ("any", Type::Dynamic),
            (
                "pair",
                Type::Tuple(vec![Type::Bool, Type::set(Type::Number)]),
            ),
        ]);
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
        assert_eq!(
            String::from_utf8(Type::list(Type::String).to_json_bytes()).unwrap(),
            r#"["list","string"]"#
        );
        let with_optional = serde_json::json!(["object", {"a": "string"}, ["a"]]);
        assert_eq!(
            Type::from_json(&with_optional).unwrap(),
            Type::object([("a", Type::String)])
        );
    }
}
