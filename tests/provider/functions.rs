//! The provider's functions through CallFunction: one main answer each, and errors naming the
//! argument at fault.

use crate::harness::*;
use tfplug::{Type, Value};

fn cidr(c: &str) -> (Value, Type) {
    (s(c), Type::String)
}

fn whole(v: i64) -> (Value, Type) {
    (n(v), Type::Number)
}

fn list(items: &[&str]) -> Value {
    Value::list(items.iter().map(|i| s(i)))
}

#[test]
fn overlaps_and_contains() {
    let tf = Tf::new();
    assert_eq!(
        tf.call("overlaps", &[cidr("10.0.0.0/16"), cidr("10.0.128.0/17")]),
        Ok(Value::bool(true))
    );
    assert_eq!(
        tf.call("overlaps", &[cidr("10.0.0.0/16"), cidr("10.1.0.0/16")]),
        Ok(Value::bool(false))
    );
    assert_eq!(
        tf.call("contains", &[cidr("10.0.0.0/8"), cidr("10.1.0.0/16")]),
        Ok(Value::bool(true))
    );
    assert_eq!(
        tf.call("contains", &[cidr("10.1.0.0/16"), cidr("10.0.0.0/8")]),
        Ok(Value::bool(false))
    );
    // Any case, by meaning.
    assert_eq!(
        tf.call("contains", &[cidr("FD00::/48"), cidr("fd00:0:0:100::/56")]),
        Ok(Value::bool(true))
    );
}

#[test]
fn find_overlaps_lists_the_pairs() {
    let tf = Tf::new();
    let arg = (
        list(&["10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/17"]),
        Type::list(Type::String),
    );
    assert_eq!(
        tf.call("find_overlaps", &[arg]),
        Ok(Value::list([list(&["10.0.0.0/16", "10.0.128.0/17"])]))
    );
}

#[test]
fn subnets_carves_like_fn_cidr() {
    let tf = Tf::new();
    assert_eq!(
        tf.call("subnets", &[cidr("10.1.0.0/16"), whole(4), whole(8)]),
        Ok(list(&[
            "10.1.0.0/24",
            "10.1.1.0/24",
            "10.1.2.0/24",
            "10.1.3.0/24"
        ]))
    );
    assert_eq!(
        tf.call("subnets", &[cidr("2001:db8::/56"), whole(2), whole(64)]),
        Ok(list(&["2001:db8::/64", "2001:db8:0:1::/64"]))
    );
    let (arg, text) = tf
        .call("subnets", &[cidr("10.1.2.3/16"), whole(4), whole(8)])
        .unwrap_err();
    assert_eq!(arg, Some(0));
    assert!(
        text.contains("10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"),
        "{text}"
    );
    let (arg, text) = tf
        .call("subnets", &[cidr("10.1.0.0/16"), whole(4), whole(20)])
        .unwrap_err();
    assert_eq!(arg, Some(2));
    assert!(
        text.contains("host_bits 20 does not fit in 10.1.0.0/16"),
        "{text}"
    );
}

#[test]
fn size_is_exact_past_two_to_the_64() {
    let tf = Tf::new();
    let size = |c: &str| {
        tf.call("size", &[cidr(c)])
            .unwrap()
            .as_number()
            .and_then(|n| n.to_u128())
    };
    assert_eq!(size("10.0.0.0/8"), Some(1 << 24));
    assert_eq!(size("2001:db8::/56"), Some(1 << 72));
    // 2^128 does not fit a u128: compare its text.
    let all = tf.call("size", &[cidr("::/0")]).unwrap();
    assert_eq!(
        all.as_number().map(|n| n.to_string()).as_deref(),
        Some("340282366920938463463374607431768211456")
    );
    let (arg, text) = tf.call("size", &[cidr("010.0.0.0/8")]).unwrap_err();
    assert_eq!(arg, Some(0));
    assert!(
        text.contains("\"010.0.0.0/8\" is ambiguous") && text.contains("write 10.0.0.0/8"),
        "{text}"
    );
}
