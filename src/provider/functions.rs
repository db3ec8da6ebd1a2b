//! Provider functions (Terraform >= 1.8): CIDR arithmetic for modules, with no database, so a
//! module can reject overlapping plans in a `validation` or `precondition` block.

use crate::engine::{block_size, Cidr};
use std::sync::Arc;
use tfplug::{Function, FunctionError, Parameter, Type, Value};

pub fn all() -> Vec<Arc<dyn Function>> {
    [OVERLAPS, CONTAINS, FIND_OVERLAPS, SUBNETS, SIZE]
        .into_iter()
        .map(|d| Arc::new(d) as Arc<dyn Function>)
        .collect()
}

/// A function as data: its documentation, signature and body. One impl serves them all.
struct Def {
    name: &'static str,
    summary: &'static str,
    description: &'static str,
    parameters: fn() -> Vec<Parameter>,
    returns: fn() -> Type,
    call: fn(&[Value]) -> Result<Value, FunctionError>,
}

impl Function for Def {
    fn name(&self) -> &'static str {
        self.name
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn parameters(&self) -> Vec<Parameter> {
        (self.parameters)()
    }
    fn return_type(&self) -> Type {
        (self.returns)()
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        (self.call)(args)
    }
}

fn cidr_arg(args: &[Value], i: usize, name: &str) -> Result<Cidr, FunctionError> {
    let s = args
        .get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::argument(i, format!("{name} must be a CIDR string")))?;
    Cidr::parse(s).map_err(|e| FunctionError::argument(i, format!("{name}: {e}")))
}

fn int_arg(args: &[Value], i: usize, name: &str) -> Result<i64, FunctionError> {
    args.get(i)
        .and_then(Value::as_number)
        .and_then(|n| n.to_i64())
        .ok_or_else(|| FunctionError::argument(i, format!("{name} must be a whole number")))
}

const OVERLAPS: Def = Def {
    name: "overlaps",
    summary: "Whether two CIDR blocks share any address",
    description: "Returns true when the blocks `a` and `b` have at least one address in common. Blocks of different address families never overlap.",
    parameters: || {
    vec![
        Parameter::new("a", Type::String, "A CIDR block."),
        Parameter::new("b", Type::String, "Another CIDR block."),
    ]
    },
    returns: || {
    Type::Bool
    },
    call: overlaps,
};

fn overlaps(args: &[Value]) -> Result<Value, FunctionError> {
    let a = cidr_arg(args, 0, "a")?;
    let b = cidr_arg(args, 1, "b")?;
    Ok(Value::Bool(a.overlaps(&b)))
}

const CONTAINS: Def = Def {
    name: "contains",
    summary: "Whether one CIDR block lies wholly inside another",
    description:
        "Returns true when every address of `inner` is in `outer` (a block contains itself).",
    parameters: || {
        vec![
            Parameter::new("outer", Type::String, "The enclosing CIDR block."),
            Parameter::new("inner", Type::String, "The CIDR block to test."),
        ]
    },
    returns: || Type::Bool,
    call: contains,
};

fn contains(args: &[Value]) -> Result<Value, FunctionError> {
    let outer = cidr_arg(args, 0, "outer")?;
    let inner = cidr_arg(args, 1, "inner")?;
    Ok(Value::Bool(outer.contains(&inner)))
}

const FIND_OVERLAPS: Def = Def {
    name: "find_overlaps",
    summary: "Every pair of overlapping CIDR blocks in a list",
    description: "Returns a list of `[a, b]` pairs, in list order, for every two entries of `cidrs` that overlap; an empty list when none do.",
    parameters: || {
    vec![Parameter::new(
        "cidrs",
        Type::list(Type::String),
        "CIDR blocks to check.",
    )]
    },
    returns: || {
    Type::list(Type::list(Type::String))
    },
    call: find_overlaps,
};

fn find_overlaps(args: &[Value]) -> Result<Value, FunctionError> {
    let items = args
        .first()
        .and_then(Value::as_list)
        .ok_or_else(|| FunctionError::argument(0, "cidrs must be a list of CIDR strings"))?;
    let mut cidrs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let s = item.as_str().ok_or_else(|| {
            FunctionError::argument(0, format!("cidrs[{i}] must be a CIDR string"))
        })?;
        cidrs.push(
            Cidr::parse(s).map_err(|e| FunctionError::argument(0, format!("cidrs[{i}]: {e}")))?,
        );
    }
    // Sort by start so each block is compared only with blocks that start before its end.
    let mut order: Vec<usize> = (0..cidrs.len()).collect();
    order.sort_by_key(|&i| (cidrs[i].family(), cidrs[i].start()));
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if cidrs[j].family() != cidrs[i].family() || cidrs[j].start() > cidrs[i].end() {
                break;
            }
            pairs.push((i.min(j), i.max(j)));
        }
    }
    pairs.sort_unstable();
    Ok(Value::list(pairs.into_iter().map(|(a, b)| {
        Value::list([
            Value::string(cidrs[a].to_string()),
            Value::string(cidrs[b].to_string()),
        ])
    })))
}

const SUBNETS: Def = Def {
    name: "subnets",
    summary: "The first `count` subnets of a block, each with `host_bits` host bits",
    description: "Like CloudFormation's `Fn::Cidr`: `subnets(\"10.0.0.0/16\", 4, 8)` returns the four /24s `10.0.0.0/24` to `10.0.3.0/24`.",
    parameters: || {
    vec![
        Parameter::new("cidr", Type::String, "The block to divide."),
        Parameter::new("count", Type::Number, "How many subnets (1 to 256)."),
        Parameter::new(
            "host_bits",
            Type::Number,
            "Host bits of each subnet: 8 gives IPv4 /24s, 64 gives IPv6 /64s.",
        ),
    ]
    },
    returns: || {
    Type::list(Type::String)
    },
    call: subnets,
};

fn subnets(args: &[Value]) -> Result<Value, FunctionError> {
    let cidr = cidr_arg(args, 0, "cidr")?;
    let count = int_arg(args, 1, "count")?;
    let host_bits = int_arg(args, 2, "host_bits")?;
    let bits = i64::from(cidr.family().bits());
    if !(1..=256).contains(&count) {
        return Err(FunctionError::argument(
            1,
            format!("count must be between 1 and 256, not {count}"),
        ));
    }
    let len = bits - host_bits;
    if host_bits < 0 || len < i64::from(cidr.prefix_len()) {
        return Err(FunctionError::argument(
            2,
            format!(
                "host_bits {host_bits} does not fit in {cidr}: use 0 to {}",
                bits - i64::from(cidr.prefix_len())
            ),
        ));
    }
    let len = len as u8;
    let available = 1u128
        .checked_shl(u32::from(len - cidr.prefix_len()))
        .unwrap_or(u128::MAX);
    if count as u128 > available {
        return Err(FunctionError::argument(
            1,
            format!(
                "{cidr} holds only {available} subnets with {host_bits} host bits, not {count}"
            ),
        ));
    }
    let step = block_size(cidr.family(), len);
    Ok(Value::list((0..count as u128).map(|i| {
        Value::string(Cidr::from_start(cidr.family(), cidr.start() + i * step, len).to_string())
    })))
}

const SIZE: Def = Def {
    name: "size",
    summary: "How many addresses a CIDR block holds",
    description: "Returns the exact address count: 256 for a /24, 2^64 for an IPv6 /64 (Terraform numbers are exact).",
    parameters: || {
    vec![Parameter::new("cidr", Type::String, "A CIDR block.")]
    },
    returns: || {
    Type::Number
    },
    call: size,
};

fn size(args: &[Value]) -> Result<Value, FunctionError> {
    let c = cidr_arg(args, 0, "cidr")?;
    // An IPv6 /0 holds 2^128 addresses, one more than u128 holds: say it exactly.
    if c.family() == crate::engine::AddressFamily::Ipv6 && c.prefix_len() == 0 {
        return Ok(Value::Number(
            "340282366920938463463374607431768211456"
                .parse()
                .unwrap_or_default(),
        ));
    }
    Ok(Value::number(c.size()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn subnets_like_fn_cidr() {
        let out = subnets(&[s("10.1.0.0/16"), Value::number(4), Value::number(8)]).unwrap();
        assert_eq!(
            out,
            Value::list(["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"].map(s))
        );
        let err = subnets(&[s("10.1.0.0/16"), Value::number(4), Value::number(20)]).unwrap_err();
        assert_eq!(err.argument, Some(2));
        let err = subnets(&[s("10.1.2.3/16"), Value::number(4), Value::number(8)]).unwrap_err();
        assert_eq!(err.argument, Some(0));
        assert!(
            err.message.contains("did you mean 10.1.0.0/16"),
            "{}",
            err.message
        );
    }

    #[test]
    fn overlaps_and_sizes() {
        let pairs = find_overlaps(&[Value::list(
            ["10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/17", "10.0.0.0/8"].map(s),
        )])
        .unwrap();
        assert_eq!(pairs.as_list().unwrap().len(), 4);
        assert_eq!(
            size(&[s("2001:db8::/64")]).unwrap(),
            Value::number(1u128 << 64)
        );
        assert_eq!(
            size(&[s("::/0")]).unwrap().as_number().unwrap().to_string(),
            "340282366920938463463374607431768211456"
        );
        assert_eq!(
            overlaps(&[s("10.0.0.0/8"), s("2001:db8::/32")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            contains(&[s("10.0.0.0/8"), s("10.1.0.0/16")]).unwrap(),
            Value::Bool(true)
        );
    }
}
