//! The PostgreSQL backend's own guarantees, on the test process's own server: two pools are
//! changed at once while one pool's changes queue, a writer that waits longer than
//! `lock_timeout` gets "busy" (and writes nothing), two first users of an empty database
//! create the schema once, and many clients allocating from one pool never overlap.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::pg;

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Error, PoolSpec, Store, Tags};
use std::time::{Duration, Instant};

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn open(url: &str, lock_timeout: Duration) -> Store {
    Store::open_database(url, c("2001:db8::/32"), lock_timeout).unwrap()
}

fn spec(pool: &str, len: u8) -> AllocationSpec {
    AllocationSpec::new(pool, AllocationRequest::Netmask(len), AllocationKind::Vpc)
}

/// Two top-level pools, 10.0.0.0/8 and 172.16.0.0/12.
fn two_pools(s: &Store) -> (String, String) {
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let pool = |cidr: &str| {
        let p = s
            .create_pool(
                &a,
                PoolSpec {
                    scope_id: ipam.private_default_scope_id.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
        s.provision_cidr(&a, &p.id, AllocationRequest::Explicit(c(cidr)))
            .unwrap();
        p.id
    };
    (pool("10.0.0.0/8"), pool("172.16.0.0/12"))
}

#[test]
fn one_pools_lock_queues_its_writers_only_and_lock_timeout_says_busy() {
    let url = pg::cluster().new_database();
    let s = open(&url, Duration::from_millis(500));
    let (p1, p2) = two_pools(&s);
    // Another client holds p1's lock and the database-wide lock shared, as a writer of p1 in
    // the middle of its change does.
    let mut other =
        ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    other
        .execute("SELECT pg_advisory_lock_shared($1)", &[&0x4950_414d_i64])
        .unwrap();
    other
        .execute(
            "SELECT pg_advisory_lock($1, hashtext($2))",
            &[&0x4950_i32, &p1],
        )
        .unwrap();
    let before = pg::dump(&url);
    let started = Instant::now();
    match s.allocate(&actor(), &spec(&p1, 24)) {
        Err(Error::Db(ipam_db::Error::Busy { .. })) => {}
        other => panic!("expected busy, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(before, pg::dump(&url), "a refused change wrote something");
    // The other pool is not held up.
    let b = s.allocate(&actor(), &spec(&p2, 24)).unwrap();
    assert_eq!(b.cidr, c("172.16.0.0/24"));
    // A structural change waits for every pool writer.
    match s.create_ipam(&actor(), None, vec![], Tags::new()) {
        Err(Error::Db(ipam_db::Error::Busy { .. })) => {}
        other => panic!("expected busy, got {other:?}"),
    }
    other
        .execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))",
            &[&0x4950_i32, &p1],
        )
        .unwrap();
    other
        .execute("SELECT pg_advisory_unlock_shared($1)", &[&0x4950_414d_i64])
        .unwrap();
    assert_eq!(
        s.allocate(&actor(), &spec(&p1, 24)).unwrap().cidr,
        c("10.0.0.0/24")
    );
}

#[test]
fn first_users_arriving_at_once_create_the_schema_once() {
    let url = pg::cluster().new_database();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || open(&url, Duration::from_secs(30)).dialect())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), ipam::store::Dialect::Postgres);
    }
    let mut c =
        ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    let versions: i64 = c
        .query_one("SELECT COUNT(*) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(versions, ipam::store::migrate::latest());
}

#[test]
fn eight_clients_allocating_from_one_pool_never_overlap() {
    let url = pg::cluster().new_database();
    let s = open(&url, Duration::from_secs(30));
    let (p1, _) = two_pools(&s);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (url, p1) = (url.clone(), p1.clone());
            std::thread::spawn(move || {
                let s = open(&url, Duration::from_secs(30));
                (0..40)
                    .map(|i| {
                        s.allocate(&actor(), &spec(&p1, 20 + (i % 5) as u8))
                            .unwrap()
                            .cidr
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let all: Vec<Cidr> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(all.len(), 320);
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert!(!a.overlaps(b), "{a} overlaps {b}");
        }
    }
    assert!(s.verify().unwrap().is_empty());
}

#[test]
fn a_wrong_database_url_is_a_clear_error_without_the_password() {
    let e = Store::open_database(
        "postgres://ipam:hunter2@127.0.0.1:1/ipam?connect_timeout=2",
        c("2001:db8::/32"),
        Duration::from_secs(1),
    )
    .err()
    .unwrap();
    let text = e.to_string();
    assert!(
        text.starts_with("cannot connect to postgres://ipam:***@127.0.0.1:1/ipam"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_wrong_password_is_refused_clearly_and_the_right_one_works() {
    let cluster = pg::cluster();
    cluster.password_role("ipam_pw", "right-one");
    let url = cluster.new_database();
    let db = pg::database_name(&url);
    cluster
        .admin(&db)
        .batch_execute(&format!(
            "ALTER DATABASE {db} OWNER TO ipam_pw; GRANT ALL ON SCHEMA public TO ipam_pw"
        ))
        .unwrap();
    let wrong = Store::open_database(
        &cluster.url_as("ipam_pw", "wrong-one", &db),
        c("2001:db8::/32"),
        Duration::from_secs(5),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        wrong.contains("refused the user name or password"),
        "{wrong}"
    );
    assert!(!wrong.contains("wrong-one"), "{wrong}");
    let s = open(
        &cluster.url_as("ipam_pw", "right-one", &db),
        Duration::from_secs(5),
    );
    let (p1, _) = two_pools(&s);
    assert_eq!(
        s.allocate(&actor(), &spec(&p1, 24)).unwrap().cidr,
        c("10.0.0.0/24")
    );
}

/// Resource discovery, resource planning pools and an organization's shares on PostgreSQL,
/// reached the way a team gets there: built in a SQLite file, copied by `migrate`, then
/// changed on the server. The scan's
/// fractions (`ip_usage`) cross both backends, and a planning pool's source row goes with the
/// pool (SQLite: a trigger; PostgreSQL: a cascading foreign key).
#[test]
fn discovery_planning_pools_and_shares_copy_to_postgres_and_keep_working_there() {
    use ipam::discovery::Source;
    use ipam::store::{DiscoverySpec, ShareSpec, SourceResource};
    let a = actor();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vpcs.json"),
        r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.9.0.0/16"}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("subnets.json"),
        r#"{"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.9.0.0/18"}]}"#,
    )
    .unwrap();
    let sqlite = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    let (top, _) = two_pools(&sqlite);
    let ipam_id = sqlite.get_pool(&top).unwrap().unwrap().ipam_id;
    let disc = sqlite
        .create_discovery(
            &a,
            DiscoverySpec {
                sources: ["vpcs.json", "subnets.json"]
                    .map(|p| Source {
                        path: p.into(),
                        ..Source::default()
                    })
                    .to_vec(),
                base_dir: dir.path().display().to_string(),
                ..DiscoverySpec::default()
            },
        )
        .unwrap();
    sqlite.associate_discovery(&a, &disc.id, &ipam_id).unwrap();
    let scan = sqlite
        .scan_discovery(&a, &disc.id, ipam::discovery::read_sources)
        .unwrap();
    let usage = scan
        .findings
        .iter()
        .find_map(|f| f.ip_usage)
        .expect("the VPC's ip_usage");
    assert!((usage - 0.25).abs() < 1e-9, "{usage} {:?}", scan.findings);
    let vpc = sqlite
        .allocate(
            &a,
            &AllocationSpec {
                resource_id: Some("vpc-0123".into()),
                ..spec(&top, 16)
            },
        )
        .unwrap();
    let source = SourceResource {
        resource_id: "vpc-0123".into(),
        resource_type: "vpc".into(),
        resource_owner: a.account_id.clone(),
        resource_region: a.region.clone(),
    };
    let scope_id = sqlite.get_pool(&top).unwrap().unwrap().scope_id;
    let planning_spec = PoolSpec {
        scope_id,
        parent_id: Some(top.clone()),
        ..Default::default()
    };
    let planning = sqlite
        .create_planning_pool(&a, planning_spec.clone(), &source)
        .unwrap();

    // An organization whose management account (the actor) shares the top pool with a unit.
    let org = sqlite.create_organization(&a).unwrap();
    let unit = sqlite
        .create_organizational_unit(&a, "dev", &org.root_id)
        .unwrap();
    let share = sqlite
        .put_resource_share(
            &a,
            None,
            &ShareSpec {
                name: "dev".into(),
                resources: vec![top.clone()],
                principals: vec![unit.id.clone()],
                ..Default::default()
            },
        )
        .unwrap();

    let url = pg::cluster().new_database();
    let target = open(&url, Duration::from_secs(5));
    let report = sqlite.copy_into(&target, &url).unwrap();
    for table in [
        "resource_discoveries",
        "resource_discovery_associations",
        "discovered_cidrs",
        "pool_sources",
        "organizations",
        "organizational_units",
        "resource_shares",
        "resource_share_pools",
        "resource_share_principals",
    ] {
        let n = report.iter().find(|(t, _)| *t == table).map(|(_, n)| *n);
        assert!(n.is_some_and(|n| n > 0), "{table}: {report:?}");
    }
    let mut client =
        ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    let copied: f64 = client
        .query_one(
            "SELECT ip_usage FROM discovered_cidrs WHERE resource_id = 'vpc-1'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!((copied - 0.25).abs() < 1e-9, "{copied}");

    // On the server: the organization and its share read back and still rule.
    assert_eq!(target.organization().unwrap(), Some(org));
    assert_eq!(
        target.get_resource_share(&share.id).unwrap(),
        Some(share.clone())
    );
    assert!(target.ipam_admin_refusal("999999999999").unwrap().is_some());
    assert!(target
        .allocate(&Actor::new("999999999999", "us-east-1"), &spec(&top, 24))
        .is_err());

    // The discovery reads back, scans again, counts its association.
    assert_eq!(
        target.get_discovery(&disc.id).unwrap(),
        sqlite.get_discovery(&disc.id).unwrap()
    );
    assert_eq!(target.count_discovery_associations(&ipam_id).unwrap(), 1);
    let again = target
        .scan_discovery(&a, &disc.id, ipam::discovery::read_sources)
        .unwrap();
    assert_eq!(again.findings.len(), scan.findings.len());
    let rows: i64 = client
        .query_one("SELECT COUNT(*) FROM discovered_cidrs", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, scan.findings.len() as i64);

    // The planning pool and its source; deleting the pool takes its source row with it.
    assert_eq!(
        target.pool_source(&planning.id).unwrap(),
        Some(source.clone())
    );
    assert_eq!(
        target
            .planning_pools_of(&vpc.resource_id.clone().unwrap())
            .unwrap(),
        vec![planning.id.clone()]
    );
    let second = target
        .create_planning_pool(&a, planning_spec, &source)
        .unwrap();
    target
        .delete_planning_pool(&a, &planning.id, false)
        .unwrap();
    assert_eq!(target.pool_source(&planning.id).unwrap(), None);
    assert_eq!(
        target.planning_pools_of("vpc-0123").unwrap(),
        vec![second.id]
    );
}

/// The server computes a history point itself (store/history.rs); its figures must be those
/// the store computes from the free index, for IPv4 and for IPv6 counts beyond 64 bits.
#[test]
fn history_points_computed_by_the_server_match_utilization() {
    let url = pg::cluster().new_database();
    let s = open(&url, Duration::from_secs(10));
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    for (root, len) in [("10.0.0.0/8", 20u8), ("2001:db8::/32", 56u8)] {
        let p = s
            .create_pool(
                &a,
                PoolSpec {
                    scope_id: ipam.private_default_scope_id.clone(),
                    family: Some(c(root).family()),
                    ..Default::default()
                },
            )
            .unwrap();
        s.provision_cidr(&a, &p.id, AllocationRequest::Explicit(c(root)))
            .unwrap();
        for _ in 0..3 {
            s.allocate(&a, &spec(&p.id, len)).unwrap();
        }
        let u = s
            .utilization(ipam::store::UtilizationTarget::Pool(&p.id))
            .unwrap();
        let last = s
            .view(|v| v.history(&p.id, 1))
            .unwrap()
            .pop()
            .expect("a history point");
        assert_eq!(
            (last.allocated, last.total),
            (u.allocated, u.total),
            "{root}"
        );
        assert_eq!(u.allocated, 3 * (1u128 << (c(root).family().bits() - len)));
    }
}

/// On PostgreSQL the allocator leaves the check of the free index's offer to the exclusion
/// constraint: a stray free block (the index claiming an allocated block is free) must still
/// never yield an overlap, the pool's index is rebuilt (audited) and the allocation lands
/// elsewhere; an explicit request for the allocated block names the allocation holding it.
#[test]
fn a_stray_free_block_is_refused_by_the_constraint_repaired_and_allocated_around() {
    let url = pg::cluster().new_database();
    let s = open(&url, Duration::from_secs(10));
    let (p, _) = two_pools(&s);
    let first = s.allocate(&actor(), &spec(&p, 24)).unwrap();
    assert_eq!(first.cidr, c("10.0.0.0/24"));
    let stray = format!(
        "INSERT INTO free_blocks (pool_id, start, len) VALUES ('{p}', '\\x0000000000000000000000000a000000'::bytea, 24)"
    );
    let mut admin =
        ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    admin.batch_execute(&stray).unwrap();
    assert!(!s.verify().unwrap().is_empty(), "the index is wrong");
    let second = s.allocate(&actor(), &spec(&p, 24)).unwrap();
    assert!(
        !second.cidr.overlaps(&first.cidr),
        "{} overlaps {}",
        second.cidr,
        first.cidr
    );
    assert!(
        s.verify().unwrap().is_empty(),
        "the allocation repaired the index"
    );
    assert!(s
        .audit_events(Some(&p), 10)
        .unwrap()
        .iter()
        .any(|e| e.action == "repair-free-index"));
    admin.batch_execute(&stray).unwrap();
    let e = s
        .allocate(
            &actor(),
            &AllocationSpec {
                request: AllocationRequest::Explicit(c("10.0.0.0/24")),
                ..spec(&p, 24)
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains(&first.id), "{e}");
    assert!(s.verify().unwrap().is_empty());
}

/// A plan-time check of a new pool CIDR runs over a snapshot and waits for no writer: while
/// another session holds the database-wide write lock (a long structural change) for longer
/// than the lock timeout, the check still answers (a wait would end in "busy"), and writes
/// nothing; the change itself still queues behind the lock.
#[test]
fn a_pool_cidr_is_checked_at_plan_while_another_writer_holds_the_lock() {
    let url = pg::cluster().new_database();
    let s = open(&url, Duration::from_millis(800));
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let pool = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &pool.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    let mut other =
        ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    other
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&ipam_db::locks::WRITE_LOCK],
        )
        .unwrap();
    let before = pg::dump(&url);
    s.check_provision(
        &a,
        &pool.id,
        AllocationRequest::Explicit(c("10.1.0.0/16")),
        &[],
    )
    .expect("a fitting CIDR passes the plan check while the lock is held");
    match s.check_provision(
        &a,
        &pool.id,
        AllocationRequest::Explicit(c("10.0.128.0/17")),
        &[],
    ) {
        Err(Error::Refused(m)) => assert!(m.contains("overlaps 10.0.0.0/16"), "{m}"),
        other => panic!("an overlapping CIDR is refused by the check itself, got {other:?}"),
    }
    assert_eq!(before, pg::dump(&url), "a plan-time check wrote something");
    // A change still waits for the lock, and says busy.
    match s.provision_cidr(&a, &pool.id, AllocationRequest::Explicit(c("10.1.0.0/16"))) {
        Err(Error::Db(ipam_db::Error::Busy { .. })) => {}
        other => panic!("expected busy, got {other:?}"),
    }
}
