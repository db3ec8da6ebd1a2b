//! Terraform values (cty) and their two wire encodings: msgpack for everything Terraform sends
//! over gRPC, JSON for raw state read back from a state file.

mod json;
mod msgpack;
mod number;
mod types;

pub use json::{from_json, to_json};
pub use msgpack::{from_msgpack, to_msgpack};
pub use number::{Number, ParseNumberError};
pub use types::Type;

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Why bytes or JSON could not be read as a value of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("invalid type description {0}")]
    BadType(String),
    #[error("the encoded value ended early")]
    Truncated,
    #[error("{0} trailing bytes after the encoded value")]
    Trailing(usize),
    #[error("expected {expected}, found {found}")]
    Mismatch { expected: String, found: String },
    #[error("invalid number: {0}")]
    BadNumber(String),
    #[error("invalid UTF-8 in a string")]
    BadUtf8,
    #[error("values nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("object has no attribute {0:?}")]
    UnknownAttribute(String),
    #[error("tuple has {found} elements, its type has {expected}")]
    TupleLength { expected: usize, found: usize },
    #[error("cannot encode {0}")]
    Unencodable(String),
}

/// A Terraform value. Null and unknown can stand anywhere a value of any type can.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    /// Known only after apply.
    Unknown,
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    /// Elements sorted and without duplicates; build with [`Value::set`] to keep that true.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    /// A set: order does not matter and duplicates collapse.
    pub fn set(items: impl IntoIterator<Item = Value>) -> Value {
        let mut v: Vec<Value> = items.into_iter().collect();
        v.sort_by(Value::total_cmp);
        v.dedup();
        Value::Set(v)
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A string value, or null when `s` is None.
    pub fn opt_string(s: Option<impl Into<String>>) -> Value {
        s.map(Value::string).unwrap_or(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Not unknown at the top level (it may still contain unknowns).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// No unknown anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object's attribute.
    pub fn get(&self, attr: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(attr),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, attr: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(attr),
            _ => None,
        }
    }

    /// Sets an object's attribute; does nothing on a non-object.
    pub fn set_attr(&mut self, attr: &str, v: Value) {
        if let Value::Object(m) = self {
            m.insert(attr.to_string(), v);
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The type this value would have in a dynamic slot. Empty collections get element type
    /// `Dynamic`; null and unknown are `Dynamic`.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::String(_) => Type::String,
            Value::Number(_) => Type::Number,
            Value::Bool(_) => Type::Bool,
            Value::List(v) => Type::list(v.first().map(Value::type_of).unwrap_or(Type::Dynamic)),
            Value::Set(v) => Type::set(v.first().map(Value::type_of).unwrap_or(Type::Dynamic)),
            Value::Map(m) => Type::map(
                m.values()
                    .next()
                    .map(Value::type_of)
                    .unwrap_or(Type::Dynamic),
            ),
            Value::Object(m) => {
                Type::Object(m.iter().map(|(k, v)| (k.clone(), v.type_of())).collect())
            }
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::type_of).collect()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Unknown => 1,
            Value::Bool(_) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::List(_) => 5,
            Value::Set(_) => 6,
            Value::Tuple(_) => 7,
            Value::Map(_) => 8,
            Value::Object(_) => 9,
        }
    }

    /// A total order, used to keep sets canonical.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b))
            | (Value::Set(a), Value::Set(b))
            | (Value::Tuple(a), Value::Tuple(b)) => cmp_seq(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                let mut ia = a.iter();
                let mut ib = b.iter();
                loop {
                    match (ia.next(), ib.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some((ka, va)), Some((kb, vb))) => {
                            let o = ka.cmp(kb).then_with(|| va.total_cmp(vb));
                            if o != Ordering::Equal {
                                return o;
                            }
                        }
                    }
                }
            }
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

fn cmp_seq(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.total_cmp(y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            // Sets built outside `Value::set` may be unsorted; compare them as sets.
            (Value::Set(a), Value::Set(b)) => {
                let norm = |v: &[Value]| {
                    let mut v = v.to_vec();
                    v.sort_by(Value::total_cmp);
                    v.dedup_by(|x, y| x.total_cmp(y) == Ordering::Equal);
                    v
                };
                let (a, b) = (norm(a), norm(b));
                a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y)
            }
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => self.rank() == other.rank() && self.total_cmp(other) == Ordering::Equal,
        }
    }
}

impl Eq for Value {}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}
