//! `cargo bench --bench engine`: the engine's speed where peers get slow (full and fragmented
//! pools), persisted allocation throughput, and NetBox's netaddr algorithm side by side.
//! Prints a table, then one JSON line with the figures the goals are set on.

use ipam::engine::buddy::{self, Block};
use ipam::engine::{AddressFamily, AllocationKind, AllocationRequest, Cidr, FreeSpace, MemFree};
use ipam::store::{Actor, AllocationSpec, PoolSpec, Store, Tags};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

const V4: AddressFamily = AddressFamily::Ipv4;

/// A small deterministic generator (xorshift), so every run places the same allocations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn root8() -> Cidr {
    Cidr::parse("10.0.0.0/8").unwrap()
}

fn fresh_pool() -> MemFree {
    let mut fs = MemFree::new();
    fs.add(Block {
        start: root8().start(),
        len: 8,
    })
    .unwrap();
    fs
}

fn take_next(fs: &mut MemFree, len: u8) -> Option<Block> {
    let (b, t) = buddy::lowest_fit(fs, V4, 8, len, &[]).unwrap()?;
    buddy::carve(fs, V4, b, t).unwrap();
    Some(t)
}

/// Allocate every /24 of 10.0.0.0/8 in turn; per-op time of the last 1,000 over the first.
fn fill_flatness() -> (f64, f64, f64) {
    let mut fs = fresh_pool();
    let mut times = Vec::with_capacity(65_536);
    for _ in 0..65_536 {
        let t0 = Instant::now();
        take_next(&mut fs, 24).expect("a /24 is free");
        times.push(t0.elapsed().as_nanos() as f64);
    }
    assert!(take_next(&mut fs, 24).is_none(), "the /8 is full");
    let first: f64 = times[..1000].iter().sum::<f64>() / 1000.0;
    let last: f64 = times[times.len() - 1000..].iter().sum::<f64>() / 1000.0;
    (first / 1000.0, last / 1000.0, last / first)
}

/// 1,000,000 /32s scattered over 10.0.0.0/9 (every /24 there holds at least one).
fn fragmented() -> (MemFree, BTreeMap<u128, u8>) {
    let mut fs = fresh_pool();
    let mut allocs = BTreeMap::new();
    let base = root8().start();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut place = |fs: &mut MemFree, addr: u128| {
        let c = Cidr::from_start(V4, addr, 32);
        if let Some(b) = buddy::free_block_holding(fs, V4, &c).unwrap() {
            buddy::carve(
                fs,
                V4,
                b,
                Block {
                    start: addr,
                    len: 32,
                },
            )
            .unwrap();
            allocs.insert(addr, 32u8);
            true
        } else {
            false
        }
    };
    for i in 0..32_768u128 {
        place(&mut fs, base + i * 256 + (rng.next() % 256) as u128);
    }
    let mut n = 32_768;
    while n < 1_000_000 {
        if place(&mut fs, base + (rng.next() % (1 << 23)) as u128) {
            n += 1;
        }
    }
    (fs, allocs)
}

fn mean_us(iters: u32, mut f: impl FnMut()) -> f64 {
    let t0 = Instant::now();
    for _ in 0..iters {
        f();
    }
    t0.elapsed().as_secs_f64() * 1e6 / iters as f64
}

fn persisted_per_s() -> f64 {
    let dir = std::env::temp_dir().join(format!("ipam-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bench.db");
    let actor = Actor::new("000000000000", "us-east-1");
    let store = Store::open(&db, Cidr::parse("2001:db8::/32").unwrap()).unwrap();
    let ipam = store
        .create_ipam(&actor, None, vec![], Tags::new())
        .unwrap();
    let pool = store
        .create_pool(
            &actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    store
        .provision_cidr(&actor, &pool.id, AllocationRequest::Explicit(root8()))
        .unwrap();
    let spec = AllocationSpec::new(
        pool.id.clone(),
        AllocationRequest::Netmask(24),
        AllocationKind::Vpc,
    );
    let t0 = Instant::now();
    for _ in 0..65_536 {
        store.allocate(&actor, &spec).unwrap();
    }
    let rate = 65_536.0 / t0.elapsed().as_secs_f64();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    rate
}

/// NetBox's available-prefix search in Python's netaddr, run in a venv under target/.
fn netaddr_next_24_us(children: &[Cidr]) -> Option<f64> {
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv");
    let py = target.join("bin/python");
    if !py.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&target)
            .status()
            .ok()?
            .success()
            && Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "netaddr",
                ])
                .status()
                .ok()?
                .success();
        if !ok {
            return None;
        }
    }
    let list: Vec<String> = children.iter().map(|c| format!("\"{c}\"")).collect();
    let script = format!(
        r#"
import time, netaddr
children = [{}]
def next_free():
    available = netaddr.IPSet([netaddr.IPNetwork("10.0.0.0/8")]) - netaddr.IPSet([netaddr.IPNetwork(c) for c in children])
    for cidr in available.iter_cidrs():
        if cidr.prefixlen <= 24:
            return netaddr.IPNetwork("%s/24" % cidr.network)
runs = 5
t0 = time.perf_counter()
for _ in range(runs):
    r = next_free()
print((time.perf_counter() - t0) / runs * 1e6, r)
"#,
        list.join(",")
    );
    // The child list is too long for one argv string: hand the script over as a file.
    let file = target.join("netaddr_next_free.py");
    std::fs::write(&file, script).ok()?;
    let out = Command::new(&py).arg(&file).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let (first_us, last_us, flatness) = fill_flatness();

    let t0 = Instant::now();
    let (mut frag, allocs) = fragmented();
    let build_s = t0.elapsed().as_secs_f64();
    let next24 = mean_us(1000, || {
        assert!(buddy::lowest_fit(&mut frag, V4, 8, 24, &[])
            .unwrap()
            .is_some())
    });
    let next20 = mean_us(1000, || {
        assert!(buddy::lowest_fit(&mut frag, V4, 8, 20, &[])
            .unwrap()
            .is_some())
    });
    let none8 = mean_us(1000, || {
        assert!(buddy::lowest_fit(&mut frag, V4, 8, 8, &[])
            .unwrap()
            .is_none())
    });
    let fragmented_us = (next24 + next20 + none8) / 3.0;
    // An explicit /24 in the crowded half: is it free, and if not, which allocation is in the way.
    let explicit = Cidr::parse("10.77.12.0/24").unwrap();
    let explicit_us = mean_us(10_000, || {
        let free = buddy::free_block_holding(&mut frag, V4, &explicit).unwrap();
        let conflict = allocs.range(..=explicit.end()).next_back();
        assert!(free.is_none() && conflict.is_some());
    });
    let t0 = Instant::now();
    let iters = 100;
    for _ in 0..iters {
        let counts = frag.counts().unwrap();
        let free: u128 = counts.iter().map(|(&l, &c)| c << (32 - l)).sum();
        let blocks: Vec<u128> = (8..=32)
            .map(|l| buddy::blocks_available(&counts, l))
            .collect();
        assert!(free > 0 && !blocks.is_empty());
    }
    let utilization_ms = t0.elapsed().as_secs_f64() * 1e3 / iters as f64;

    let persisted = persisted_per_s();

    // 10,000 /24s scattered over the /8, for both algorithms.
    let mut rng = Rng(42);
    let mut pool10k = fresh_pool();
    let mut children = Vec::new();
    while children.len() < 10_000 {
        let c = Cidr::from_start(
            V4,
            root8().start() + ((rng.next() % 65_536) as u128) * 256,
            24,
        );
        if let Some(b) = buddy::free_block_holding(&mut pool10k, V4, &c).unwrap() {
            buddy::carve(
                &mut pool10k,
                V4,
                b,
                Block {
                    start: c.start(),
                    len: 24,
                },
            )
            .unwrap();
            children.push(c);
        }
    }
    let ours_10k = mean_us(10_000, || {
        assert!(buddy::lowest_fit(&mut pool10k, V4, 8, 24, &[])
            .unwrap()
            .is_some())
    });
    let theirs_10k = netaddr_next_24_us(&children);
    let ratio = theirs_10k.map(|t| t / ours_10k);

    println!("{:<58} {:>14} {:>10}", "measure", "value", "goal");
    println!(
        "{:<58} {:>14.3} {:>10}",
        "fill /8 with /24s: first 1,000 ops, us/op", first_us, ""
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "fill /8 with /24s: last 1,000 ops, us/op", last_us, ""
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "fill_flatness (last / first)", flatness, "<= 1.5"
    );
    println!(
        "{:<58} {:>14.1} {:>10}",
        "build 1,000,000 scattered /32s, s", build_s, ""
    );
    println!("{:<58} {:>14.3} {:>10}", "  next free /24, us", next24, "");
    println!("{:<58} {:>14.3} {:>10}", "  next free /20, us", next20, "");
    println!(
        "{:<58} {:>14.3} {:>10}",
        "  a /8 that cannot fit, us", none8, ""
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "fragmented_next_fit_us (mean of the three)", fragmented_us, "<= 10"
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "explicit_check_us (/24 against 1,000,000)", explicit_us, "<= 2"
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "utilization_ms (1,000,000 allocations)", utilization_ms, "<= 5"
    );
    println!(
        "{:<58} {:>14.0} {:>10}",
        "persisted_per_s (/8 fill, one transaction each)", persisted, ">= 5000"
    );
    println!(
        "{:<58} {:>14.3} {:>10}",
        "next free /24 with 10,000 allocations: ours, us", ours_10k, ""
    );
    match theirs_10k {
        Some(t) => println!(
            "{:<58} {:>14.1} {:>10}",
            "  netaddr (NetBox's algorithm), us", t, ""
        ),
        None => println!(
            "{:<58} {:>14} {:>10}",
            "  netaddr (NetBox's algorithm), us", "unavailable", ""
        ),
    }
    match ratio {
        Some(r) => println!(
            "{:<58} {:>14.0} {:>10}",
            "vs_netaddr_10k (theirs / ours)", r, ">= 100"
        ),
        None => println!(
            "{:<58} {:>14} {:>10}",
            "vs_netaddr_10k (theirs / ours)", "unavailable", ">= 100"
        ),
    }
    let json = serde_json::json!({
        "fill_flatness": (flatness * 1000.0).round() / 1000.0,
        "fragmented_next_fit_us": (fragmented_us * 1000.0).round() / 1000.0,
        "explicit_check_us": (explicit_us * 1000.0).round() / 1000.0,
        "utilization_ms": (utilization_ms * 1000.0).round() / 1000.0,
        "persisted_per_s": persisted.round(),
        "vs_netaddr_10k": ratio.map(|r| r.round()),
    });
    println!("{json}");
}
