//! Fuzz targets for the decoders that read bytes from outside: Terraform's msgpack and JSON
//! values (tfplug), cty type JSON, and the CLI's state-file reader. A bounded-time mutation
//! fuzzer on stable Rust (see fuzz/README.md): seeds from `fuzz/corpus/<target>/` and from
//! encoded values, mutations that aim at the formats' edges, and inputs that decode kept as
//! new seeds. Decoders must return Ok or Err, never panic, and what decodes must survive a
//! round trip.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tfplug::value::{from_json, from_msgpack, to_json, to_msgpack};
use tfplug::{Type, Value};

/// xorshift64*: small, fast, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that sit on the formats' boundaries: msgpack markers (nil, bool, bin/str/array/map
/// with 8/16/32-bit lengths, ext for unknowns), JSON structure, number edges.
const INTERESTING: &[&[u8]] = &[
    b"\xc0",
    b"\xc2",
    b"\xc3",
    b"\xc4\xff",
    b"\xc5\xff\xff",
    b"\xc6\xff\xff\xff\xff",
    b"\xd9\xff",
    b"\xda\xff\xff",
    b"\xdb\xff\xff\xff\xff",
    b"\xdc\xff\xff",
    b"\xdd\xff\xff\xff\xff",
    b"\xde\xff\xff",
    b"\xdf\xff\xff\xff\xff",
    b"\xd4\x00\x00",
    b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00",
    b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x01",
    b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
    b"\x92",
    b"\x91",
    b"\x90",
    b"\x80",
    b"\x81",
    b"\xa0",
    b"\xff",
    b"\x00",
    b"\x7f",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"1e999999",
    b"-0",
    b"0.0000000000000000000000001",
    b"18446744073709551616",
    b"\"\\ud800\"",
    b"[\"object\",{}]",
    b"[\"list\",\"dynamic\"]",
    b"\"dynamic\"",
    b"\"version\":4",
    b"\"resources\":",
    b"\"instances\":[",
    b"\"attributes\":",
    b"\"child_modules\":[",
    b"\"values\":",
    b"\"root_module\":",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(6) {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] =
                    [0x00, 0x7f, 0x80, 0xff, 0xc0, 0xdc, 0xdd, 0xde, 0x90, 0x9f][rng.below(10)];
            }
            2 => {
                let i = rng.below(len + 1);
                let bytes = INTERESTING[rng.below(INTERESTING.len())];
                input.splice(i..i, bytes.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(64)).min(other.len());
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            6 if len > 0 => input.truncate(rng.below(len)),
            7 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            _ if len > 1 => {
                let (a, b) = (rng.below(len), rng.below(len));
                input.swap(a, b);
            }
            _ => input.push(rng.next() as u8),
        }
    }
    input.truncate(64 * 1024);
}

fn crash_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes")
}

/// Runs `target` on mutations of `seeds` (and `fuzz/corpus/<name>/`) for FUZZ_SECONDS.
/// `target` panics on a bug and otherwise names what the input reached (the decoded value's
/// type, or the kind of error): an input that reaches something new is kept as a seed, a
/// coarse stand-in for coverage feedback.
fn fuzz(name: &str, mut seeds: Vec<Vec<u8>>, target: impl Fn(&[u8]) -> String) {
    if let Ok(path) = std::env::var("FUZZ_REPLAY") {
        if path.contains(name) {
            target(&std::fs::read(&path).expect("read FUZZ_REPLAY"));
        }
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        seeds.push(std::fs::read(e.path()).unwrap());
    }
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut kept) = (0u64, 0usize);
    let mut reached = std::collections::HashSet::new();
    for s in &seeds {
        let r = catch_unwind(AssertUnwindSafe(|| target(s)));
        reached.insert(r.unwrap_or_else(|_| panic!("{name}: a seed panics")));
    }
    while Instant::now() < deadline {
        for _ in 0..256 {
            let mut input = seeds[rng.below(seeds.len())].clone();
            mutate(&mut rng, &mut input, &seeds);
            runs += 1;
            match catch_unwind(AssertUnwindSafe(|| target(&input))) {
                Ok(what) => {
                    if reached.insert(what) && seeds.len() < 8192 {
                        seeds.push(input);
                        kept += 1;
                    }
                }
                Err(_) => {
                    std::fs::create_dir_all(crash_dir()).unwrap();
                    let path = crash_dir().join(format!("{name}-{seed}-{runs}"));
                    std::fs::write(&path, &input).unwrap();
                    panic!(
                        "{name}: input {} crashed (FUZZ_SEED={seed}); saved to {}; replay with FUZZ_REPLAY",
                        input.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                        path.display()
                    );
                }
            }
        }
    }
    eprintln!(
        "fuzz {name}: {runs} inputs in {seconds} s, {} behaviours, {kept} seeds kept (FUZZ_SEED={seed})",
        reached.len()
    );
}

/// The types the msgpack target decodes as, chosen by the input's first byte.
fn types() -> Vec<Type> {
    vec![
        Type::Dynamic,
        Type::String,
        Type::Number,
        Type::Bool,
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::Dynamic),
        Type::list(Type::Dynamic),
        Type::Tuple(vec![Type::String, Type::Dynamic, Type::Bool]),
        Type::object([
            ("id", Type::String),
            ("tags", Type::map(Type::String)),
            ("n", Type::Number),
            ("l", Type::list(Type::set(Type::Bool))),
            ("d", Type::Dynamic),
        ]),
    ]
}

fn sample_values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Unknown,
        Value::string("10.0.0.0/8"),
        Value::number(42),
        Value::bool(true),
        Value::list([Value::string("a"), Value::Null, Value::Unknown]),
        Value::set([Value::number(1), Value::number(2)]),
        Value::map([("k", Value::string("v")), ("u", Value::Unknown)]),
        Value::Tuple(vec![
            Value::string("s"),
            Value::number(1),
            Value::bool(false),
        ]),
        Value::object([
            ("id", Value::string("ipam-pool-0")),
            ("tags", Value::map([("env", Value::string("prod"))])),
            ("n", Value::number(1)),
            ("l", Value::list([Value::set([Value::bool(true)])])),
            ("d", Value::list([Value::number(3)])),
        ]),
    ]
}

#[test]
fn fuzz_msgpack_values() {
    let types = types();
    let mut seeds = Vec::new();
    for (i, t) in types.iter().enumerate() {
        for v in sample_values() {
            if let Ok(bytes) = to_msgpack(&v, t) {
                seeds.push([&[i as u8][..], &bytes].concat());
            }
        }
    }
    assert!(seeds.len() > 10);
    fuzz("msgpack", seeds, |input| {
        let Some((&which, bytes)) = input.split_first() else {
            return String::new();
        };
        let i = which as usize % types.len();
        let v = match from_msgpack(bytes, &types[i]) {
            Ok(v) => v,
            Err(e) => return format!("{i} {}", kind(&e)),
        };
        let again = to_msgpack(&v, &types[i]).expect("a decoded value encodes");
        assert_eq!(
            from_msgpack(&again, &types[i]).expect("re-encoded decodes"),
            v
        );
        format!("{i} {}", shape(&v))
    });
}

#[test]
fn fuzz_json_values_and_types() {
    let types = types();
    let mut seeds: Vec<Vec<u8>> = types.iter().map(Type::to_json_bytes).collect();
    for (t, v) in types.iter().zip(sample_values()) {
        if let Ok(j) = to_json(&v, t) {
            seeds.push(j.to_string().into_bytes());
        }
    }
    fuzz("json", seeds, |input| {
        let mut reached = match Type::from_json_bytes(input) {
            Ok(t) => {
                assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
                t.to_json().to_string()
            }
            Err(e) => kind(&e).to_string(),
        };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(input) else {
            return reached;
        };
        for ty in &types {
            match from_json(&json, ty) {
                Ok(v) => {
                    let back = to_json(&v, ty).expect("a decoded value encodes");
                    assert_eq!(from_json(&back, ty).expect("re-encoded decodes"), v);
                    reached.push_str(&shape(&v));
                }
                Err(e) => reached.push_str(kind(&e)),
            }
        }
        reached
    });
}

#[test]
fn fuzz_state_reader() {
    fuzz("state", Vec::new(), |input| {
        let ids = match ipam::cli::state::read(input) {
            Ok(ids) => ids,
            Err(e) => return e.chars().take(24).collect(),
        };
        // Whatever it reports holding is text that occurs in the input (when no JSON escape
        // could have spelled it differently).
        if !input.contains(&b'\\') {
            let text = String::from_utf8_lossy(input);
            for s in &ids.strings {
                assert!(text.contains(s.as_str()), "{s:?} is not in the input");
            }
        }
        format!("ok {} {}", ids.instances.min(8), ids.strings.len().min(8))
    });
}

/// The kind of a decoding error, without its details.
fn kind(e: &tfplug::ValueError) -> &'static str {
    use tfplug::ValueError as E;
    match e {
        E::BadType(_) => "bad-type",
        E::Truncated => "truncated",
        E::Trailing(_) => "trailing",
        E::Mismatch { .. } => "mismatch",
        E::BadNumber(_) => "bad-number",
        E::BadUtf8 => "bad-utf8",
        E::TooDeep(_) => "too-deep",
        E::UnknownAttribute(_) => "unknown-attribute",
        E::TupleLength { .. } => "tuple-length",
        _ => "other",
    }
}

/// A value's structure: its type, with unknowns and nulls marked, capped in length.
fn shape(v: &Value) -> String {
    let s = match v {
        Value::Null => "null".to_string(),
        Value::Unknown => "unknown".to_string(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => format!(
            "[{}]",
            items
                .iter()
                .take(4)
                .map(shape)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Map(m) | Value::Object(m) => format!(
            "{{{}}}",
            m.values().take(4).map(shape).collect::<Vec<_>>().join(",")
        ),
        other => other.type_of().to_json().to_string(),
    };
    s.chars().take(200).collect()
}
