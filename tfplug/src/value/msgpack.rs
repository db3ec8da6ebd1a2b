//! cty's msgpack encoding, the form of every value Terraform exchanges with a provider.
//!
//! Facts of the format: null is msgpack nil; an unknown value is extension type 0 (a refined
//! unknown is extension 12 carrying its refinements, which this SDK reads as plain unknown);
//! numbers are integers when integral and within i64, float64 when exact, else their decimal
//! text; objects and maps are msgpack maps; lists, sets and tuples are arrays; a value of
//! dynamic type is a two-element array of its type's JSON and the value encoded with that type.

use super::{Number, Type, Value, ValueError};
use std::collections::BTreeMap;

/// How deep values may nest before decoding refuses (protects the stack from hostile input).
const MAX_DEPTH: usize = 256;

/// The bytes cty writes for an unknown value: fixext1, type 0, one zero byte.
const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::with_capacity(64);
    encode(&mut out, v, ty, 0)?;
    Ok(out)
}

pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = decode(&mut r, ty, 0)?;
    if r.pos != bytes.len() {
        return Err(ValueError::Trailing(bytes.len() - r.pos));
    }
    Ok(v)
}

fn mismatch(expected: &Type, found: &Value) -> ValueError {
    ValueError::Mismatch {
        expected: expected.to_json().to_string(),
        found: format!("{found:?}").chars().take(80).collect(),
    }
}

fn encode(out: &mut Vec<u8>, v: &Value, ty: &Type, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::TooDeep(MAX_DEPTH));
    }
    match (v, ty) {
        (Value::Unknown, _) => out.extend_from_slice(&UNKNOWN),
        (Value::Null, _) => out.push(0xc0),
        (_, Type::Dynamic) => {
            let actual = v.type_of();
            out.push(0x92);
            write_bin(out, &actual.to_json_bytes());
            encode(out, v, &actual, depth + 1)?;
        }
        (Value::String(s), Type::String) => write_str(out, s),
        (Value::Bool(b), Type::Bool) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Value::Number(n), Type::Number) => write_number(out, n),
        (Value::List(items), Type::List(et)) | (Value::Set(items), Type::Set(et)) => {
            write_array_len(out, items.len());
            for item in items {
                encode(out, item, et, depth + 1)?;
            }
        }
        (Value::Tuple(items), Type::Tuple(ets)) => {
            if items.len() != ets.len() {
                return Err(ValueError::TupleLength {
                    expected: ets.len(),
                    found: items.len(),
                });
            }
            write_array_len(out, items.len());
            for (item, et) in items.iter().zip(ets) {
                encode(out, item, et, depth + 1)?;
            }
        }
        (Value::Map(m), Type::Map(et)) => {
            write_map_len(out, m.len());
            for (k, item) in m {
                write_str(out, k);
                encode(out, item, et, depth + 1)?;
            }
        }
        (Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(ValueError::UnknownAttribute(extra.clone()));
            }
            write_map_len(out, attrs.len());
            for (k, at) in attrs {
                write_str(out, k);
                encode(out, m.get(k).unwrap_or(&Value::Null), at, depth + 1)?;
            }
        }
        _ => return Err(mismatch(ty, v)),
    }
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.to_i64() {
        write_int(out, i);
    } else if let Some(f) = n.to_f64_exact() {
        out.push(0xcb);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        write_str(out, &n.to_string());
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if (0..=0x7f).contains(&i) {
        out.push(i as u8);
    } else if (-32..0).contains(&i) {
        out.push(i as i8 as u8);
    } else if i8::try_from(i).is_ok() {
        out.push(0xd0);
        out.push(i as i8 as u8);
    } else if i16::try_from(i).is_ok() {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i32::try_from(i).is_ok() {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.push(0xd9);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n <= 0xff {
        out.push(0xc4);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_array_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x90 | n as u8);
    } else if n <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn write_map_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x80 | n as u8);
    } else if n <= 0xffff {
        out.push(0xde);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// One msgpack item's header, before its payload.
enum Head {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    Ext(usize),
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ValueError> {
        let end = self.pos.checked_add(n).ok_or(ValueError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(ValueError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, ValueError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len8(&mut self) -> Result<usize, ValueError> {
        Ok(self.byte()? as usize)
    }

    fn len16(&mut self) -> Result<usize, ValueError> {
        Ok(u16::from_be_bytes(self.be()?) as usize)
    }

    fn len32(&mut self) -> Result<usize, ValueError> {
        Ok(u32::from_be_bytes(self.be()?) as usize)
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn head(&mut self) -> Result<Head, ValueError> {
        let b = self.byte()?;
        Ok(match b {
            0x00..=0x7f => Head::Int(b as i128),
            0x80..=0x8f => Head::Map((b & 0x0f) as usize),
            0x90..=0x9f => Head::Array((b & 0x0f) as usize),
            0xa0..=0xbf => Head::Str((b & 0x1f) as usize),
            0xc0 => Head::Nil,
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(self.len8()?),
            0xc5 => Head::Bin(self.len16()?),
            0xc6 => Head::Bin(self.len32()?),
            0xc7 => {
                let n = self.len8()?;
                self.byte()?;
                Head::Ext(n)
            }
            0xc8 => {
                let n = self.len16()?;
                self.byte()?;
                Head::Ext(n)
            }
            0xc9 => {
                let n = self.len32()?;
                self.byte()?;
                Head::Ext(n)
            }
            0xca => Head::Float(f32::from_be_bytes(self.be()?) as f64),
            0xcb => Head::Float(f64::from_be_bytes(self.be()?)),
            0xcc => Head::Int(self.byte()? as i128),
            0xcd => Head::Int(u16::from_be_bytes(self.be()?) as i128),
            0xce => Head::Int(u32::from_be_bytes(self.be()?) as i128),
            0xcf => Head::Int(u64::from_be_bytes(self.be()?) as i128),
            0xd0 => Head::Int(i8::from_be_bytes(self.be()?) as i128),
            0xd1 => Head::Int(i16::from_be_bytes(self.be()?) as i128),
            0xd2 => Head::Int(i32::from_be_bytes(self.be()?) as i128),
            0xd3 => Head::Int(i64::from_be_bytes(self.be()?) as i128),
            0xd4..=0xd8 => {
                self.byte()?;
                Head::Ext(1usize << (b - 0xd4))
            }
            0xd9 => Head::Str(self.len8()?),
            0xda => Head::Str(self.len16()?),
            0xdb => Head::Str(self.len32()?),
            0xdc => Head::Array(self.len16()?),
            0xdd => Head::Array(self.len32()?),
            0xde => Head::Map(self.len16()?),
            0xdf => Head::Map(self.len32()?),
            0xe0..=0xff => Head::Int((b as i8) as i128),
            0xc1 => {
                return Err(ValueError::Mismatch {
                    expected: "a msgpack value".into(),
                    found: "the reserved byte 0xc1".into(),
                })
            }
        })
    }

    fn string(&mut self, n: usize) -> Result<String, ValueError> {
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| ValueError::BadUtf8)
    }

    /// A map key: always a string in cty's encoding.
    fn key(&mut self) -> Result<String, ValueError> {
        match self.head()? {
            Head::Str(n) => self.string(n),
            h => Err(want(&Type::String, &h)),
        }
    }

    /// Skips one whole item (used for the payload-free checks of unexpected data).
    fn skip(&mut self, depth: usize) -> Result<(), ValueError> {
        if depth > MAX_DEPTH {
            return Err(ValueError::TooDeep(MAX_DEPTH));
        }
        match self.head()? {
            Head::Str(n) | Head::Bin(n) | Head::Ext(n) => {
                self.take(n)?;
            }
            Head::Array(n) => {
                for _ in 0..n {
                    self.skip(depth + 1)?;
                }
            }
            Head::Map(n) => {
                for _ in 0..n {
                    self.skip(depth + 1)?;
                    self.skip(depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn found(h: &Head) -> &'static str {
    match h {
        Head::Nil => "nil",
        Head::Bool(_) => "a bool",
        Head::Int(_) => "an integer",
        Head::Float(_) => "a float",
        Head::Str(_) => "a string",
        Head::Bin(_) => "binary data",
        Head::Array(_) => "an array",
        Head::Map(_) => "a map",
        Head::Ext(_) => "an extension",
    }
}

fn want(ty: &Type, h: &Head) -> ValueError {
    ValueError::Mismatch {
        expected: ty.to_json().to_string(),
        found: found(h).to_string(),
    }
}

/// Element counts come from the input: never reserve more than the bytes left could hold.
fn capacity(n: usize, r: &Reader) -> usize {
    n.min(r.remaining())
}

fn decode(r: &mut Reader, ty: &Type, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_DEPTH {
        return Err(ValueError::TooDeep(MAX_DEPTH));
    }
    let head = r.head()?;
    match head {
        Head::Nil => return Ok(Value::Null),
        Head::Ext(n) => {
            r.take(n)?;
            return Ok(Value::Unknown);
        }
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let Head::Array(2) = head else {
                return Err(want(ty, &head));
            };
            let type_bytes = match r.head()? {
                Head::Bin(n) | Head::Str(n) => r.take(n)?,
                h => return Err(want(&Type::String, &h)),
            };
            let actual = Type::from_json_bytes(type_bytes)?;
            if actual == Type::Dynamic {
                return Err(ValueError::BadType("dynamic inside dynamic".into()));
            }
            decode(r, &actual, depth + 1)
        }
        Type::String => match head {
            Head::Str(n) => Ok(Value::String(r.string(n)?)),
            h => Err(want(ty, &h)),
        },
        Type::Bool => match head {
            Head::Bool(b) => Ok(Value::Bool(b)),
            h => Err(want(ty, &h)),
        },
        Type::Number => match head {
            Head::Int(i) => Ok(Value::Number(Number::from(i))),
            Head::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| ValueError::BadNumber(f.to_string())),
            Head::Str(n) => {
                let s = r.string(n)?;
                s.parse()
                    .map(Value::Number)
                    .map_err(|_| ValueError::BadNumber(s))
            }
            h => Err(want(ty, &h)),
        },
        Type::List(et) | Type::Set(et) => {
            let Head::Array(n) = head else {
                return Err(want(ty, &head));
            };
            let mut items = Vec::with_capacity(capacity(n, r));
            for _ in 0..n {
                items.push(decode(r, et, depth + 1)?);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::set(items)
            } else {
                Value::List(items)
            })
        }
        Type::Tuple(ets) => {
            let Head::Array(n) = head else {
                return Err(want(ty, &head));
            };
            if n != ets.len() {
                return Err(ValueError::TupleLength {
                    expected: ets.len(),
                    found: n,
                });
            }
            let mut items = Vec::with_capacity(n);
            for et in ets {
                items.push(decode(r, et, depth + 1)?);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(et) => {
            let Head::Map(n) = head else {
                return Err(want(ty, &head));
            };
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.key()?;
                m.insert(k, decode(r, et, depth + 1)?);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let Head::Map(n) = head else {
                return Err(want(ty, &head));
            };
            let mut m = BTreeMap::new();
            for _ in 0..n {
                let k = r.key()?;
                match attrs.get(&k) {
                    Some(at) => {
                        let v = decode(r, at, depth + 1)?;
                        m.insert(k, v);
                    }
                    None => {
                        r.skip(depth + 1)?;
                        return Err(ValueError::UnknownAttribute(k));
                    }
                }
            }
            for k in attrs.keys() {
                m.entry(k.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_type() -> Type {
        Type::object([("id", Type::String), ("n", Type::Number)])
    }

    #[test]
    fn known_bytes() {
        let v = Value::object([("id", Value::string("x")), ("n", Value::number(1))]);
        // fixmap(2) "id" "x" "n" 1 — attributes in name order
        assert_eq!(
            to_msgpack(&v, &obj_type()).unwrap(),
            vec![0x82, 0xa2, b'i', b'd', 0xa1, b'x', 0xa1, b'n', 0x01]
        );
        assert_eq!(to_msgpack(&Value::Unknown, &Type::String).unwrap(), UNKNOWN);
        assert_eq!(to_msgpack(&Value::Null, &Type::String).unwrap(), vec![0xc0]);
        assert_eq!(
            to_msgpack(&Value::number(-1), &Type::Number).unwrap(),
            vec![0xff]
        );
        assert_eq!(
            to_msgpack(&Value::number(300), &Type::Number).unwrap(),
            vec![0xd1, 0x01, 0x2c]
        );
        let half = Value::Number("0.5".parse().unwrap());
        let mut want = vec![0xcb];
        want.extend_from_slice(&0.5f64.to_be_bytes());
        assert_eq!(to_msgpack(&half, &Type::Number).unwrap(), want);
        let big = Value::Number(Number::from(1u128 << 100));
        let enc = to_msgpack(&big, &Type::Number).unwrap();
        assert_eq!(from_msgpack(&enc, &Type::Number).unwrap(), big);
        let huge = Value::Number("340282366920938463463374607431768211457".parse().unwrap());
        let enc = to_msgpack(&huge, &Type::Number).unwrap();
        assert_eq!(enc[0], 0xd9, "not exact as float: decimal text");
        assert_eq!(from_msgpack(&enc, &Type::Number).unwrap(), huge);
    }

    #[test]
    fn dynamic_carries_its_type() {
        let v = Value::string("hi");
        let enc = to_msgpack(&v, &Type::Dynamic).unwrap();
        let mut want = vec![0x92, 0xc4, 8];
        want.extend_from_slice(b"\"string\"");
        want.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(enc, want);
        assert_eq!(from_msgpack(&enc, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn any_extension_reads_as_unknown() {
        // ext 12 (refined unknown) carrying a one-entry map
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        assert_eq!(
            from_msgpack(&refined, &Type::String).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            from_msgpack(&[0xd4, 0x05, 0x00], &Type::Number).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn missing_object_attributes_are_null_and_extra_ones_are_errors() {
        let enc = [0x81, 0xa2, b'i', b'd', 0xa1, b'x'];
        let v = from_msgpack(&enc, &obj_type()).unwrap();
        assert_eq!(v.get("n"), Some(&Value::Null));
        let extra = [0x81, 0xa1, b'z', 0x01];
        assert!(from_msgpack(&extra, &obj_type()).is_err());
    }

    #[test]
    fn hostile_lengths_fail_cleanly() {
        assert!(from_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
        assert!(from_msgpack(&[0xdb, 0xff, 0xff, 0xff, 0xff], &Type::String).is_err());
        let deep = vec![0x91; 10_000];
        assert!(from_msgpack(&deep, &Type::Dynamic).is_err());
    }
}
