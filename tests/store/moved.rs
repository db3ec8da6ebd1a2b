//! A SQLite file `migrate` copied into PostgreSQL is retired: every later write to it fails
//! naming the new URL without its password (an allocation, a plan-time reservation, a
//! discovery scan, another migration), also after reopening; reads go on; and a writer racing
//! the migration either lands before the snapshot (and is in the copy) or is refused.
// test-backends: own (a SQLite file migrated into PostgreSQL: both, in every run)

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, DiscoverySpec, Error, PoolSpec, ScanError, Store, Tags};
use std::time::Duration;

use crate::support::pg;

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn spec(pool: &str, name: Option<&str>) -> AllocationSpec {
    AllocationSpec {
        name: name.map(String::from),
        ..AllocationSpec::new(pool, AllocationRequest::Netmask(24), AllocationKind::Vpc)
    }
}

/// A file with an IPv4 pool 10.0.0.0/16 holding one /24; (store, pool).
fn source(path: &std::path::Path) -> (Store, String) {
    let s = Store::open(path, c("2001:db8::/32")).unwrap();
    let a = actor();
    let ipam = s
        .create_ipam(&a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let p = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &p.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    s.allocate(&a, &spec(&p.id, None)).unwrap();
    (s, p.id)
}

/// The test server's URL for a new database, with a password in the user part and in the
/// query string (the server trusts its socket, so both are ignored by it).
fn url_with_passwords() -> String {
    let url = pg::cluster().new_database();
    url.replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1) + "&password=hunter2"
}

fn assert_moved(e: &Error, url: &str) {
    let text = e.to_string();
    assert!(matches!(e, Error::Moved { .. }), "{e:?}");
    assert!(!text.contains("hunter2"), "the password is shown: {text}");
    assert!(text.contains(&ipam_db::redact(url)), "{text}");
    assert!(text.contains("postgres:***@"), "{text}");
}

#[test]
fn a_migrated_file_refuses_every_write_naming_the_new_url_and_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipam.db");
    let (s, pool) = source(&path);
    let discovery = s
        .create_discovery(
            &actor(),
            DiscoverySpec {
                base_dir: dir.path().display().to_string(),
                ..Default::default()
            },
        )
        .unwrap();
    let url = url_with_passwords();
    let target = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(60)).unwrap();
    s.copy_into(&target, &url).unwrap();
    assert_eq!(target.list_allocations(&pool).unwrap().len(), 1);

    for store in [s, Store::open(&path, c("2001:db8::/32")).unwrap()] {
        assert_moved(
            &store.allocate(&actor(), &spec(&pool, None)).unwrap_err(),
            &url,
        );
        assert_moved(
            &store
                .reserve(&actor(), &spec(&pool, Some("web")), 3600)
                .unwrap_err(),
            &url,
        );
        match store.scan_discovery(&actor(), &discovery.id, ipam::discovery::read_sources) {
            Err(ScanError::Store(e)) => assert_moved(&e, &url),
            other => panic!("a scan of a moved file: {other:?}"),
        }
        // Another migration of the file is a write too.
        let again = pg::cluster().new_database();
        let other =
            Store::open_database(&again, c("2001:db8::/32"), Duration::from_secs(60)).unwrap();
        assert_moved(&store.copy_into(&other, &again).unwrap_err(), &url);
        // Reads work, the dashboard's (`serve`) among them.
        assert_eq!(store.list_allocations(&pool).unwrap().len(), 1);
        assert_eq!(store.view(|v| v.discovery_summaries()).unwrap().len(), 1);
        assert!(store.verify().unwrap().is_empty());
    }
    // The mark is stored without the password, in a schema version an older provider (which
    // knew versions up to 11) refuses to open.
    let conn = ipam_db::drivers::rusqlite::Connection::open(&path).unwrap();
    let (stored, version): (String, i64) = conn
        .query_row(
            "SELECT (SELECT url FROM moved_to), (SELECT MAX(version) FROM schema_version)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!stored.contains("hunter2"), "{stored}");
    assert!(version >= 13, "{version}");
    assert_eq!(version, ipam::store::migrate::latest());
}

#[test]
fn no_write_slips_between_the_snapshot_and_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipam.db");
    let (s, pool) = source(&path);
    let url = pg::cluster().new_database();
    let target = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(60)).unwrap();
    // Another process's provider allocating /28s from the file, one after another, until
    // the file refuses.
    let made_so_far = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = {
        let (path, pool, count) = (path.clone(), pool.clone(), made_so_far.clone());
        std::thread::spawn(move || {
            let w = Store::open(&path, c("2001:db8::/32")).unwrap();
            let small =
                AllocationSpec::new(&pool, AllocationRequest::Netmask(28), AllocationKind::Vpc);
            let mut made = Vec::new();
            loop {
                match w.allocate(&actor(), &small) {
                    Ok(a) => made.push(a.id),
                    Err(Error::Moved { .. }) => return made,
                    Err(e) => panic!("{e}"),
                }
                count.store(made.len(), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    while made_so_far.load(std::sync::atomic::Ordering::Relaxed) < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.copy_into(&target, &url).unwrap();
    let made = writer.join().unwrap();
    assert!(
        !made.is_empty(),
        "the writer never ran before the migration"
    );
    for id in &made {
        assert!(
            target.get_allocation(id).unwrap().is_some(),
            "{id} was written to the file but is not in the copy"
        );
    }
    // The file holds exactly what the copy holds.
    assert_eq!(
        s.list_allocations(&pool).unwrap().len(),
        target.list_allocations(&pool).unwrap().len()
    );
}

#[test]
fn a_file_copied_before_copies_retired_their_source_is_retired_listing_what_diverged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipam.db");
    let (s, pool) = source(&path);
    let url = url_with_passwords();
    let target = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(60)).unwrap();
    s.copy_into(&target, &url).unwrap();
    // As an older version left it: copied, not marked; then a pipeline wrote to the file.
    ipam_db::drivers::rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM moved_to", [])
        .unwrap();
    let late = s.allocate(&actor(), &spec(&pool, None)).unwrap();
    let diverged = s.retire_into(&target, &url).unwrap();
    assert_eq!(
        diverged.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [late.id.as_str()]
    );
    assert_moved(&s.allocate(&actor(), &spec(&pool, None)).unwrap_err(), &url);
    assert_eq!(s.list_allocations(&pool).unwrap().len(), 2);
}
