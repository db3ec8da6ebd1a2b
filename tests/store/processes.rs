//! Several processes allocate from one pool in one database at the same moment (a SQLite
//! file, or a PostgreSQL database with `IPAM_TEST_BACKEND=postgres`): every request succeeds
//! and no two blocks overlap. The test re-runs its own binary as the workers: `worker` is
//! `#[ignore]`d, so a plain `cargo test` lists it as ignored instead of counting a test that
//! did nothing as passed, and the parent runs it with `--ignored --exact` and its full name.

use crate::support::{fixtures, pg};

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Store};
use std::process::Command;

const WORKERS: usize = 4;
const EACH: usize = 50;

fn provided() -> Cidr {
    Cidr::parse("2001:db8::/32").unwrap()
}

fn actor() -> Actor {
    Actor::new("000000000000", "us-east-1")
}

/// A worker process of `processes_allocating_at_once_never_overlap`, which starts this binary
/// with `--ignored --exact` and [`worker_name`], and the database and pool in IPAM_WORKER_DB and
/// IPAM_WORKER_POOL. Run any other way it fails: it has nothing to test on its own.
#[test]
#[ignore = "a worker process of processes_allocating_at_once_never_overlap, which runs it"]
fn worker() {
    let (Ok(db), Ok(pool)) = (
        std::env::var("IPAM_WORKER_DB"),
        std::env::var("IPAM_WORKER_POOL"),
    ) else {
        panic!("run by processes_allocating_at_once_never_overlap, with IPAM_WORKER_DB and IPAM_WORKER_POOL set");
    };
    let store = Store::open(db.as_ref(), provided()).unwrap();
    for i in 0..EACH {
        let len = if i % 3 == 0 { 22 } else { 24 };
        let a = store
            .allocate(
                &actor(),
                &AllocationSpec::new(
                    pool.clone(),
                    AllocationRequest::Netmask(len),
                    AllocationKind::Vpc,
                ),
            )
            .unwrap();
        println!("ALLOCATED {}", a.cidr);
    }
}

/// The name libtest knows [`worker`] by: its module path within the test binary (the path
/// without the binary's own name), so a module moved or renamed still finds its worker.
fn worker_name() -> String {
    let module = module_path!()
        .split_once("::")
        .map_or("", |(_, within)| within);
    format!("{module}::worker")
}

#[test]
fn processes_allocating_at_once_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let db = match pg::backend() {
        pg::Backend::Sqlite => dir.path().join("ipam.db"),
        pg::Backend::Postgres => std::path::PathBuf::from(pg::cluster().new_database()),
    };
    let store = Store::open(&db, provided()).unwrap();
    let pool = fixtures::top_pool(&store, &actor(), Cidr::parse("10.0.0.0/12").unwrap());
    drop(store);

    let exe = std::env::current_exe().unwrap();
    let worker = worker_name();
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    &worker,
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("IPAM_WORKER_DB", &db)
                .env("IPAM_WORKER_POOL", &pool)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut cidrs = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a worker failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // libtest may print "test worker ... " on the same line as the first result.
            if let Some(i) = line.find("ALLOCATED ") {
                cidrs.push(Cidr::parse(line[i + 10..].trim()).unwrap());
            }
        }
    }
    // A worker that ran nothing (its name not matched, or not run as ignored) prints no line.
    assert_eq!(cidrs.len(), WORKERS * EACH, "every request succeeded");
    cidrs.sort();
    for w in cidrs.windows(2) {
        assert!(!w[0].overlaps(&w[1]), "{} overlaps {}", w[0], w[1]);
    }
    let store = Store::open(&db, provided()).unwrap();
    assert_eq!(store.list_allocations(&pool).unwrap().len(), WORKERS * EACH);
}
