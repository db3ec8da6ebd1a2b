//! Property tests of the value codec: decode(encode(v)) == v for generated values of generated
//! types, in msgpack and JSON; arbitrary bytes never make the decoder panic.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tfplug::value::{from_json, from_msgpack, to_json, to_msgpack};
use tfplug::{Number, Type, Value};

fn ty() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            proptest::collection::btree_map("[a-z_]{1,8}", inner.clone(), 0..4)
                .prop_map(Type::Object),
            proptest::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u128>().prop_map(Number::from),
        (any::<i64>(), 0u32..12).prop_map(|(m, s)| format!("{m}e-{s}").parse().unwrap()),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

/// A value of type `t`; nulls and (when allowed) unknowns anywhere.
fn value(t: Type, unknowns: bool) -> BoxedStrategy<Value> {
    let special = if unknowns {
        prop_oneof![Just(Value::Null), Just(Value::Unknown)].boxed()
    } else {
        Just(Value::Null).boxed()
    };
    let known: BoxedStrategy<Value> = match t {
        Type::String => ".{0,40}".prop_map(Value::String).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic => Just(Value::Null).boxed(),
        Type::List(e) => proptest::collection::vec(value(*e, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        // Sets of unknowns cannot be compared; keep set elements known.
        Type::Set(e) => proptest::collection::vec(value(*e, false), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(e) => proptest::collection::btree_map("[a-z]{0,6}", value(*e, unknowns), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .into_iter()
                .map(|(k, t)| value(t, unknowns).prop_map(move |v| (k.clone(), v)))
                .collect();
            parts
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Tuple(ts) => {
            let parts: Vec<_> = ts.into_iter().map(|t| value(t, unknowns)).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
    };
    prop_oneof![1 => special, 6 => known].boxed()
}

fn typed(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    ty().prop_flat_map(move |t| (Just(t.clone()), value(t, unknowns)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn msgpack_round_trips((t, v) in typed(true)) {
        let bytes = to_msgpack(&v, &t).unwrap();
        prop_assert_eq!(from_msgpack(&bytes, &t).unwrap(), v.clone());
        // In a dynamic slot the value carries its own type.
        if v.is_wholly_known() && !v.is_null() {
            let bytes = to_msgpack(&v, &Type::Dynamic).unwrap();
            let back = from_msgpack(&bytes, &Type::Dynamic).unwrap();
            prop_assert_eq!(back, v);
        }
    }

    #[test]
    fn json_round_trips((t, v) in typed(false)) {
        let j = to_json(&v, &t).unwrap();
        let text = j.to_string();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(from_json(&parsed, &t).unwrap(), v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(t in ty(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = from_msgpack(&bytes, &t);
        let _ = from_msgpack(&bytes, &Type::Dynamic);
    }

    #[test]
    fn mutated_encodings_never_panic((t, v) in typed(true), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut bytes = to_msgpack(&v, &t).unwrap();
        for (i, b) in flips {
            if !bytes.is_empty() {
                let n = bytes.len();
                bytes[i % n] = b;
            }
        }
        let _ = from_msgpack(&bytes, &t);
    }
}
