//! `cargo bench --bench backends`: SQLite and PostgreSQL side by side (PostgreSQL is a
//! private server this benchmark starts, durable: fsync and synchronous commit on).
//!
//! 1. Persisted allocations per second into one pool, each its own transaction with its audit
//!    row, from 1 client and from 8 concurrent clients (each its own connection).
//! 2. `terraform plan` of one allocation against a database holding 1,000,000 allocations in
//!    10,000 pools, over the same plan against a database holding only that pool (median of
//!    runs, ratio). The big database is built with bulk SQL, not through Terraform.
//!
//! Prints a table, then one JSON line with the figures the goals are set on.

#[path = "../tests/support/mod.rs"]
mod support;

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Store};
use std::time::{Duration, Instant};
use support::{pg, Tf, Workspace};

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::new("000000000000", "us-east-1")
}

/// A database of `kind` ("sqlite", "sqlite-normal" or "postgres"): its `database` string.
fn new_database(kind: &str, dir: &std::path::Path, name: &str) -> String {
    match kind {
        "postgres" => pg::cluster().new_database(),
        _ => dir.join(format!("{name}.db")).display().to_string(),
    }
}

fn open(db: &str) -> Store {
    Store::open_database(db, c("2001:db8::/32"), Duration::from_secs(120)).unwrap()
}

/// One IPAM and one pool holding `root`; the pool's id.
fn one_pool(store: &Store, root: &str) -> String {
    support::fixtures::top_pool(store, &actor(), c(root))
}

/// Allocations per second from `clients` threads, `per_client` each, into one /8 pool.
fn throughput(db: &str, clients: usize, per_client: usize) -> f64 {
    let pool = one_pool(&open(db), "10.0.0.0/8");
    let stores: Vec<Store> = (0..clients).map(|_| open(db)).collect();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for store in &stores {
            let pool = pool.clone();
            s.spawn(move || {
                let spec =
                    AllocationSpec::new(pool, AllocationRequest::Netmask(26), AllocationKind::Vpc);
                for _ in 0..per_client {
                    store.allocate(&actor(), &spec).unwrap();
                }
            });
        }
    });
    let rate = (clients * per_client) as f64 / t0.elapsed().as_secs_f64();
    assert!(
        open(db).verify().unwrap().is_empty(),
        "the pool is inconsistent"
    );
    rate
}

/// Fills the database behind `db` with 10,000 more pools of 100 /32 allocations each (and the
/// free blocks that leaves), shaped like `template`, in bulk SQL.
fn bulk_fill(kind: &str, db: &str, template: &str) {
    // Keys are 16 big-endian bytes; IPv4 addresses fill the last four.
    let (series_n, series_i, key, pad) = match kind {
        "postgres" => (
            "generate_series(0, 9999) AS n(v)",
            "generate_series(0, 99) AS i(v)",
            "'\\x000000000000000000000000'::bytea || int4send(CAST(X AS INTEGER))",
            "lpad(CAST(n.v AS TEXT), 5, '0')",
        ),
        _ => (
            "(WITH RECURSIVE s(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM s WHERE v < 9999) SELECT v FROM s) AS n",
            "(WITH RECURSIVE s(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM s WHERE v < 99) SELECT v FROM s) AS i",
            "unhex(printf('%032x', X))",
            "printf('%05d', n.v)",
        ),
    };
    let k = |x: &str| key.replace('X', x);
    let base = "(167772160 + n.v * 256)";
    let statements = [
        format!(
            "INSERT INTO pools (id, ipam_id, scope_id, family, parent_id, locale, description, min_len, max_len, default_len, allocation_tags, auto_import, publicly_advertisable, aws_service, tags, depth, owner_id)
             SELECT 'ipam-pool-bulk' || {pad}, ipam_id, scope_id, family, NULL, locale, description, min_len, max_len, default_len, allocation_tags, auto_import, publicly_advertisable, aws_service, tags, depth, owner_id
             FROM pools, {series_n} WHERE id = '{template}'"
        ),
        format!(
            "INSERT INTO pool_cidrs (id, pool_id, cidr, start, len, source_allocation_id)
             SELECT 'ipam-pool-cidr-bulk' || {pad}, 'ipam-pool-bulk' || {pad},
                    '10.' || (n.v / 256) || '.' || (n.v % 256) || '.0/24', {}, 24, NULL
             FROM {series_n}",
            k(base)
        ),
        format!(
            "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, resource_id, name, state, expires_at, description, tags, owner_id, region, created_at, disallowed, origin_dir, origin_workspace, origin_at)
             SELECT 'ipam-pool-alloc-bulk' || {pad} || '-' || i.v, 'ipam-pool-bulk' || {pad},
                    '10.' || (n.v / 256) || '.' || (n.v % 256) || '.' || i.v || '/32', {}, 32, 'vpc',
                    NULL, NULL, 'allocated', NULL, NULL, '{{}}', '000000000000', 'us-east-1', 0, '[]', NULL, NULL, NULL
             FROM {series_n}, {series_i}",
            k(&format!("{base} + i.v"))
        ),
        format!(
            "INSERT INTO free_blocks (pool_id, start, len)
             SELECT 'ipam-pool-bulk' || {pad}, {}, f.len
             FROM {series_n}, (SELECT 100 AS off, 30 AS len UNION ALL SELECT 104, 29 UNION ALL SELECT 112, 28 UNION ALL SELECT 128, 25) AS f",
            k(&format!("{base} + f.off"))
        ),
    ];
    match kind {
        "postgres" => {
            let mut client =
                ipam_db::drivers::postgres::Client::connect(db, ipam_db::drivers::postgres::NoTls)
                    .unwrap();
            let mut tx = client.transaction().unwrap();
            for s in &statements {
                tx.batch_execute(s).unwrap();
            }
            tx.commit().unwrap();
            client.batch_execute("VACUUM ANALYZE").unwrap();
        }
        _ => {
            let mut conn = ipam_db::drivers::rusqlite::Connection::open(db).unwrap();
            let tx = conn.transaction().unwrap();
            for s in &statements {
                tx.execute_batch(s).unwrap();
            }
            tx.commit().unwrap();
            conn.execute_batch("ANALYZE").unwrap();
        }
    }
    let store = open(db);
    let count = |sql: &str| -> i64 {
        match kind {
            "postgres" => {
                ipam_db::drivers::postgres::Client::connect(db, ipam_db::drivers::postgres::NoTls)
                    .unwrap()
                    .query_one(sql, &[])
                    .unwrap()
                    .get(0)
            }
            _ => ipam_db::drivers::rusqlite::Connection::open(db)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM allocations"), 1_000_000);
    assert_eq!(count("SELECT COUNT(*) FROM pools"), 10_001);
    drop(store);
}

/// Median seconds of `runs` plans of one new allocation in `pool` of `db`.
fn plan_seconds(db: &str, pool: &str, runs: usize) -> f64 {
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(db);
    w.config(&format!(
        "resource \"ipam_vpc_allocation\" \"one\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 28\n}}\n"
    ));
    w.init();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let out = w.plan();
            assert_eq!(out.code, 2, "{}", out.text());
            t0.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // Honest numbers: the benchmark's server commits durably.
    std::env::set_var("IPAM_PG_DURABLE", "1");
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let mut json = serde_json::Map::new();
    println!("| backend | allocations/s, 1 client | allocations/s, 8 clients | plan 1M/10k pools (s) | plan empty (s) | ratio |");
    println!("|---|---|---|---|---|---|");
    // `THROUGHPUT_ONLY=1` skips the plan figures (a quicker loop while tuning the write path).
    let throughput_only = std::env::var_os("THROUGHPUT_ONLY").is_some();
    // `sqlite-normal`: SQLite with the documented opt-out (`IPAM_SQLITE_SYNCHRONOUS=normal`),
    // which syncs at checkpoints only: what durability costs, side by side. Its plans are
    // SQLite's (reads do not sync), so only its throughput is measured.
    let backends =
        std::env::var("BACKENDS").unwrap_or_else(|_| "sqlite,sqlite-normal,postgres".into());
    for kind in backends.split(',') {
        if kind == "sqlite-normal" {
            std::env::set_var(ipam::store::SQLITE_SYNCHRONOUS_VAR, "normal");
        } else {
            std::env::remove_var(ipam::store::SQLITE_SYNCHRONOUS_VAR);
        }
        let one = throughput(&new_database(kind, dir.path(), "t1"), 1, 2000);
        let eight = throughput(&new_database(kind, dir.path(), "t8"), 8, 500);
        json.insert(format!("{kind}_per_s_1"), one.round().into());
        json.insert(format!("{kind}_per_s_8"), eight.round().into());
        if throughput_only || kind == "sqlite-normal" {
            println!("| {kind} | {one:.0} | {eight:.0} | - | - | - |");
            continue;
        }
        let empty_db = new_database(kind, dir.path(), "empty");
        let pool_empty = one_pool(&open(&empty_db), "10.200.0.0/24");
        let big_db = new_database(kind, dir.path(), "big");
        let pool_big = one_pool(&open(&big_db), "10.200.0.0/24");
        bulk_fill(kind, &big_db, &pool_big);
        let empty = plan_seconds(&empty_db, &pool_empty, runs);
        let big = plan_seconds(&big_db, &pool_big, runs);
        println!(
            "| {kind} | {one:.0} | {eight:.0} | {big:.3} | {empty:.3} | {:.3} |",
            big / empty
        );
        json.insert(
            format!("{kind}_plan_ratio_1m"),
            ((big / empty * 1000.0).round() / 1000.0).into(),
        );
    }
    println!("{}", serde_json::Value::Object(json));
    if std::env::var_os("IPAM_PG_LOG_MS").is_some() && backends.contains("postgres") {
        eprintln!("{}", pg::cluster().log());
    }
}
