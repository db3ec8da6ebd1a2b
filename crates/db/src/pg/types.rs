//! How a [`Value`] binds to, and is read from, PostgreSQL's types.

mod impls {
    use crate::value::Value;
    use std::error::Error as StdError;
    use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

    type BoxError = Box<dyn StdError + Sync + Send>;

    /// Binds by the parameter's declared type: integers as the column's width, text and bytes
    /// as they are. The schema uses BIGINT, TEXT and BYTEA only.
    impl ToSql for Value {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut tokio_postgres::types::private::BytesMut,
        ) -> Result<IsNull, BoxError> {
            match self {
                Value::Null => Ok(IsNull::Yes),
                Value::Int(i) => match *ty {
                    Type::INT8 => i.to_sql(ty, out),
                    Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                    Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                    Type::BOOL => (*i != 0).to_sql(ty, out),
                    Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                    _ => i.to_string().as_str().to_sql(&Type::TEXT, out),
                },
                Value::Text(t) => match *ty {
                    Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                    Type::FLOAT8 => t.parse::<f64>()?.to_sql(ty, out),
                    Type::BYTEA => t.as_bytes().to_sql(ty, out),
                    _ => {
                        out.extend_from_slice(t.as_bytes());
                        Ok(IsNull::No)
                    }
                },
                Value::Blob(b) => b.as_slice().to_sql(&Type::BYTEA, out),
            }
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for Value {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
            Ok(match *ty {
                Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
                Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
                Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
                Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
                Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
                Type::BYTEA => Value::Blob(raw.to_vec()),
                Type::FLOAT8 => Value::Int(f64::from_sql(ty, raw)? as i64),
                _ => Value::Text(String::from_utf8(raw.to_vec())?),
            })
        }

        fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
            Ok(Value::Null)
        }

        fn accepts(_: &Type) -> bool {
            true
        }
    }
}
