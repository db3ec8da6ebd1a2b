//! The values that cross the interface: what both backends store the same way, and how a
//! caller binds parameters and reads rows. Only integers (64-bit), text, bytes and NULL cross,
//! so the same statement means the same on both backends.

use crate::{Error, Result};

/// A value crossing the interface: the types both backends store the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// Anything bindable as a statement parameter.
pub trait Param {
    fn value(&self) -> Value;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u8, u16, usize);

impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
/// A fraction (a discovered VPC's `ip_usage`) crosses as its decimal text: SQLite's `REAL`
/// column converts it on the way in, PostgreSQL's `DOUBLE PRECISION` parses it when bound.
impl Param for f64 {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// A statement's parameters: `params![a, b]`, an array of one type, or `()` for none.
pub trait Params {
    fn values(&self) -> Vec<Value>;
}
impl Params for &[&dyn Param] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|p| p.value()).collect()
    }
}
impl<T: Param, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(Param::value).collect()
    }
}
impl Params for () {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn values(&self) -> Vec<Value> {
        self.clone()
    }
}

/// `params![a, b, c]`: parameters of different types, bound `?1`, `?2`, `?3`.
#[macro_export]
macro_rules! params {
    ($($x:expr),* $(,)?) => {
        &[$(&$x as &dyn $crate::Param),*] as &[&dyn $crate::Param]
    };
}

/// A value read from a row.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> std::result::Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        Ok(v)
    }
}
impl FromValue for i64 {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i),
            Value::Text(t) => t.parse().map_err(|_| format!("{t:?} is not an integer")),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(t) => Ok(t),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Text(t) => Ok(t.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row, read by column index.
pub struct Row {
    cells: Vec<Value>,
}

/// A column index (`usize` only; the parameter keeps the `get::<_, T>(i)` spelling).
pub trait Idx {
    fn idx(self) -> usize;
}
impl Idx for usize {
    fn idx(self) -> usize {
        self
    }
}

impl Row {
    pub(crate) fn new(cells: Vec<Value>) -> Row {
        Row { cells }
    }

    /// Every column's value, in order (copying rows between databases).
    pub fn into_values(self) -> Vec<Value> {
        self.cells
    }

    pub fn get<I: Idx, T: FromValue>(&self, i: I) -> Result<T> {
        let i = i.idx();
        let v = self
            .cells
            .get(i)
            .cloned()
            .ok_or_else(|| Error::Column(format!("no column {i}")))?;
        T::from_value(v).map_err(|e| Error::Column(format!("column {i}: {e}")))
    }
}

/// `query_row(..).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T, E> {
    fn optional(self) -> Result<Option<T>, E>;
}
impl<T, E: crate::DbFailure> OptionalExtension<T, E> for Result<T, E> {
    fn optional(self) -> Result<Option<T>, E> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if matches!(e.as_db(), Some(Error::NoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
