//! The store checking itself: a wrong free index never yields an overlapping allocation,
//! `verify` finds what is wrong and `repair` mends it; a newer schema is refused; a read-only
//! file is read and never written; every allocation records where it came from. On SQLite, or
//! PostgreSQL with `IPAM_TEST_BACKEND=postgres` (the damage is done with the dialect's SQL).

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Error, PoolSpec, Store, Tags};
use std::path::{Path, PathBuf};

use crate::support::pg;

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn provided() -> Cidr {
    c("2001:db8::/32")
}

fn spec(pool: &str, request: AllocationRequest) -> AllocationSpec {
    AllocationSpec::new(pool, request, AllocationKind::Vpc)
}

/// An IPAM with one top-level pool holding 10.0.0.0/16; returns the pool id.
fn pool(s: &Store) -> String {
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
    p.id
}

/// A new empty database of this run's backend (`IPAM_TEST_BACKEND`): a file in the returned
/// directory, or a PostgreSQL URL (which `Store::open` takes too).
fn database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = match pg::backend() {
        pg::Backend::Sqlite => dir.path().join("ipam.db"),
        pg::Backend::Postgres => PathBuf::from(pg::cluster().new_database()),
    };
    (dir, db)
}

fn on_postgres() -> bool {
    pg::backend() == pg::Backend::Postgres
}

/// Runs `sql` behind the store's back, as a damaged or aged database would be.
fn try_exec(db: &Path, sql: &str) -> Result<(), String> {
    if on_postgres() {
        return ipam_db::drivers::postgres::Client::connect(
            db.to_str().unwrap(),
            ipam_db::drivers::postgres::NoTls,
        )
        .unwrap()
        .batch_execute(sql)
        .map_err(|e| format!("{e:?}"));
    }
    ipam_db::drivers::rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .map_err(|e| e.to_string())
}

fn exec(db: &Path, sql: &str) {
    try_exec(db, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A 16-byte address as a literal of the dialect (the store keeps starts as blobs).
fn blob(hex: &str) -> String {
    if on_postgres() {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

/// Everything the database holds, for "nothing written".
fn snapshot(db: &Path) -> String {
    if on_postgres() {
        let url = db.to_str().unwrap();
        let mut client =
            ipam_db::drivers::postgres::Client::connect(url, ipam_db::drivers::postgres::NoTls)
                .unwrap();
        let versions: Vec<i64> = client
            .query("SELECT version FROM schema_version ORDER BY 1", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        return format!("{}schema_version {versions:?}", pg::dump(url));
    }
    format!("{:?}", std::fs::read(db).unwrap())
}

#[test]
fn a_stray_free_block_never_yields_an_overlap_and_verify_repairs_it() {
    let (_dir, db) = database();
    let s = Store::open(&db, provided()).unwrap();
    let p = pool(&s);
    let first = s
        .allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    assert_eq!(first.cidr, c("10.0.0.0/24"));
    assert!(s.verify().unwrap().is_empty(), "a fresh pool is sound");
    // Corrupt the index: claim that the allocated /24 is free again.
    exec(
        &db,
        &format!(
            "INSERT INTO free_blocks (pool_id, start, len) VALUES ('{p}', {}, 24)",
            blob("0000000000000000000000000A000000")
        ),
    );
    let faults = s.verify().unwrap();
    assert!(
        faults
            .iter()
            .any(|f| f.repairable && f.message.contains(&first.id)),
        "{faults:?}"
    );
    // The lowest free /24 per the index is the allocated one; the store must not hand it out.
    let second = s
        .allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    assert!(
        !second.cidr.overlaps(&first.cidr),
        "{} overlaps {}",
        second.cidr,
        first.cidr
    );
    // The allocation rebuilt the pool's index on the way (audited).
    assert!(s.verify().unwrap().is_empty());
    assert!(s
        .audit_events(Some(&p), 10)
        .unwrap()
        .iter()
        .any(|e| e.action == "repair-free-index"));
    // An explicit request for an allocated block is refused with the allocation named.
    exec(
        &db,
        &format!(
            "INSERT INTO free_blocks (pool_id, start, len) VALUES ('{p}', {}, 24)",
            blob("0000000000000000000000000A000000")
        ),
    );
    let e = s
        .allocate(
            &actor(),
            &spec(&p, AllocationRequest::Explicit(c("10.0.0.0/24"))),
        )
        .unwrap_err();
    assert!(e.to_string().contains(&first.id), "{e}");
    // repair() mends the index with the same result.
    exec(
        &db,
        &format!("DELETE FROM free_blocks WHERE pool_id = '{p}'; INSERT INTO free_blocks (pool_id, start, len) VALUES ('{p}', {}, 16)", blob("0000000000000000000000000A000000")),
    );
    assert!(!s.verify().unwrap().is_empty());
    assert_eq!(s.repair(&actor()).unwrap(), vec![p.clone()]);
    assert!(s.verify().unwrap().is_empty());
    let third = s
        .allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    assert_eq!(third.cidr, c("10.0.2.0/24"));
}

#[test]
fn overlapping_allocations_are_reported_and_not_repairable() {
    let (_dir, db) = database();
    let s = Store::open(&db, provided()).unwrap();
    let p = pool(&s);
    let a = s
        .allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    let overlapping = try_exec(
        &db,
        &format!("INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
                  VALUES ('ipam-pool-alloc-x', '{p}', '10.0.0.128/25', {}, 25, 'vpc', 'allocated', '{{}}', '0', 'r', 0)", blob("0000000000000000000000000A000080")),
    );
    if on_postgres() {
        // PostgreSQL refuses the overlap itself (an exclusion constraint), even to plain SQL.
        let e = overlapping.expect_err("PostgreSQL stored an overlapping allocation");
        assert!(e.contains("allocations_no_overlap"), "{e}");
        assert!(s.verify().unwrap().is_empty());
        return;
    }
    overlapping.unwrap();
    let faults = s.verify().unwrap();
    let overlap = faults
        .iter()
        .find(|f| f.message.contains(&a.id) && f.message.contains("ipam-pool-alloc-x"))
        .unwrap_or_else(|| panic!("{faults:?}"));
    assert!(!overlap.repairable);
    s.repair(&actor()).unwrap();
    assert!(!s.verify().unwrap().is_empty(), "overlaps stay reported");
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let (_dir, db) = database();
    drop(Store::open(&db, provided()).unwrap());
    let latest = ipam::store::migrate::latest();
    exec(
        &db,
        &format!("INSERT INTO schema_version VALUES ({})", latest + 1),
    );
    let before = snapshot(&db);
    match Store::open(&db, provided()) {
        Err(e @ Error::Db(ipam_db::Error::NewerSchema { .. })) => {
            let text = e.to_string();
            assert!(text.contains(&format!("version {}", latest + 1)), "{text}");
            assert!(text.contains(&format!("version {latest}")), "{text}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
    assert_eq!(before, snapshot(&db), "nothing written");
}

#[test]
fn a_read_only_file_and_directory_are_read_never_written() {
    use std::os::unix::fs::PermissionsExt;
    if pg::skip_on_postgres(
        "a_read_only_file_and_directory_are_read_never_written",
        "file permissions of a SQLite file (e2e::postgres tests a read-only PostgreSQL database)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro");
    std::fs::create_dir(&sub).unwrap();
    let db = sub.join("ipam.db");
    let p = {
        let s = Store::open(&db, provided()).unwrap();
        let p = pool(&s);
        s.allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
            .unwrap();
        p
    };
    let set = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for dir_mode in [0o755, 0o555] {
        set(&db, 0o444);
        set(&sub, dir_mode);
        let before = std::fs::read(&db).unwrap();
        let s = Store::open(&db, provided()).unwrap();
        assert_eq!(s.list_allocations(&p).unwrap().len(), 1);
        assert!(s.verify().unwrap().is_empty());
        assert!(s
            .allocate(&actor(), &spec(&p, AllocationRequest::Netmask(24)))
            .is_err());
        drop(s);
        assert_eq!(before, std::fs::read(&db).unwrap(), "dir mode {dir_mode:o}");
        set(&sub, 0o755);
        set(&db, 0o644);
    }
}

#[test]
fn allocations_record_their_origin_and_release_ids_frees_them() {
    let (_dir, db) = database();
    let s = Store::open(&db, provided()).unwrap();
    let p = pool(&s);
    let here = actor();
    let mut elsewhere = actor();
    elsewhere.origin = ipam::store::Origin {
        dir: "/somewhere/else".into(),
        workspace: "default".into(),
        state: None,
    };
    let mine = s
        .allocate(&here, &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    s.allocate(&elsewhere, &spec(&p, AllocationRequest::Netmask(24)))
        .unwrap();
    let cwd = std::fs::canonicalize(std::env::current_dir().unwrap()).unwrap();
    assert_eq!(mine.origin.as_ref().unwrap().dir, cwd.display().to_string());
    let from_here = s.allocations_from(&here.origin).unwrap();
    assert_eq!(
        from_here.iter().map(|a| &a.id).collect::<Vec<_>>(),
        [&mine.id]
    );
    assert!(from_here[0].origin_at.is_some());
    s.release_ids(&here, std::slice::from_ref(&mine.id))
        .unwrap();
    assert!(s.get_allocation(&mine.id).unwrap().is_none());
    assert!(s.verify().unwrap().is_empty());
    // All or nothing: an unknown id releases nothing.
    let other = s.allocations_from(&elsewhere.origin).unwrap();
    assert!(s
        .release_ids(&here, &[other[0].id.clone(), "ipam-pool-alloc-nope".into()])
        .is_err());
    assert!(s.get_allocation(&other[0].id).unwrap().is_some());
}
