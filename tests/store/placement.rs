//! No block outside its pool, whatever the free index says, on both backends: a pool's free
//! index is corrupted with plain SQL to offer another pool's block, and the next allocation
//! still lands inside the pool, duplicating nothing (the index rebuilt, audited). `verify`
//! names an allocation outside its pool and a duplicate across pools, but not the overlaps
//! parent and child pools have by design; `verify --repair` mends the index.
// test-backends: own (SQLite and PostgreSQL side by side in every run)

use crate::support::{pg, teams};

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, PoolSpec, Store, Tags};
use std::time::Duration;

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn vpc(pool: &str, request: AllocationRequest) -> AllocationSpec {
    AllocationSpec::new(pool, request, AllocationKind::Vpc)
}

/// A database of one backend, and plain SQL on it (the attacker's, not the store's).
struct Db {
    store: Store,
    sql: Box<dyn FnMut(&str)>,
    postgres: bool,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipam.db");
        let store = Store::open(&path, c("2001:db8::/32")).unwrap();
        Db {
            store,
            sql: Box::new(move |q| {
                ipam_db::drivers::rusqlite::Connection::open(&path)
                    .unwrap()
                    .execute_batch(q)
                    .unwrap()
            }),
            postgres: false,
            _dir: Some(dir),
        }
    }

    fn postgres() -> Db {
        let url = pg::cluster().new_database();
        let store =
            Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(30)).unwrap();
        let mut client =
            ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
                .unwrap();
        Db {
            store,
            sql: Box::new(move |q| client.batch_execute(q).unwrap()),
            postgres: true,
            _dir: None,
        }
    }

    /// A free-index or allocation start key as a literal of this backend.
    fn key(&self, cidr: &Cidr) -> String {
        key_literal(self.postgres, cidr)
    }
}

fn key_literal(postgres: bool, cidr: &Cidr) -> String {
    let hex: String = cidr
        .start()
        .to_be_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if postgres {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

/// Replaces every free block of `pool` by `cidr`, with plain SQL.
fn index_only(postgres: bool, pool: &str, cidr: &Cidr) -> String {
    format!(
        "DELETE FROM free_blocks WHERE pool_id = '{pool}'; INSERT INTO free_blocks (pool_id, start, len) VALUES ('{pool}', {}, {});",
        key_literal(postgres, cidr),
        cidr.prefix_len()
    )
}

fn top_pool(s: &Store, scope: &str, cidr: &str) -> String {
    let p = s
        .create_pool(
            &actor(),
            PoolSpec {
                scope_id: scope.into(),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&actor(), &p.id, AllocationRequest::Explicit(c(cidr)))
        .unwrap();
    p.id
}

fn child_pool(s: &Store, scope: &str, parent: &str, len: u8) -> (String, Cidr) {
    let p = s
        .create_pool(
            &actor(),
            PoolSpec {
                scope_id: scope.into(),
                parent_id: Some(parent.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let pc = s
        .provision_cidr(&actor(), &p.id, AllocationRequest::Netmask(len))
        .unwrap();
    (p.id, pc.cidr)
}

fn repairs(s: &Store, pool: &str) -> usize {
    s.audit_events(Some(pool), 50)
        .unwrap()
        .iter()
        .filter(|e| e.action == "repair-free-index")
        .count()
}

/// The case: the index of a 10.0.0.0/16 pool replaced by 192.168.0.0/24, a block
/// another pool of the scope has already handed out.
fn another_pools_block_is_never_handed_out(mut db: Db) {
    let s = &db.store;
    let ipam = s
        .create_ipam(&actor(), None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let scope = ipam.private_default_scope_id;
    let ten = top_pool(s, &scope, "10.0.0.0/16");
    let other = top_pool(s, &scope, "192.168.0.0/16");
    let theirs = s
        .allocate(&actor(), &vpc(&other, AllocationRequest::Netmask(24)))
        .unwrap();
    assert_eq!(theirs.cidr, c("192.168.0.0/24"));
    assert!(s.verify().unwrap().is_empty(), "sound before the attack");

    let sql = index_only(db.postgres, &ten, &theirs.cidr);
    (db.sql)(&sql);
    let s = &db.store;
    assert!(
        s.verify().unwrap().iter().any(|f| f.repairable),
        "the stray free block is a repairable fault"
    );
    // A preview (a read, which cannot rebuild) names the damage instead of the other's block.
    let e = s.preview_next(&ten, Some(24), &[]).unwrap_err();
    assert!(
        matches!(e, ipam::store::Error::DamagedIndex(_))
            && e.to_string().contains("192.168.0.0/24"),
        "{e}"
    );
    let mine = s
        .allocate(&actor(), &vpc(&ten, AllocationRequest::Netmask(24)))
        .unwrap();
    assert!(
        c("10.0.0.0/16").contains(&mine.cidr),
        "{} lies outside its pool 10.0.0.0/16",
        mine.cidr
    );
    assert_eq!(
        mine.cidr,
        c("10.0.0.0/24"),
        "the lowest free block, once rebuilt"
    );
    assert_eq!(repairs(s, &ten), 1, "the rebuild is audited");
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify().unwrap());

    // A free block larger than the pool (its split would leave buddies outside it) is refused
    // the same way, also for an explicit request.
    let sql = index_only(db.postgres, &ten, &c("10.0.0.0/8"));
    (db.sql)(&sql);
    let s = &db.store;
    let explicit = s
        .allocate(
            &actor(),
            &vpc(&ten, AllocationRequest::Explicit(c("10.0.1.0/24"))),
        )
        .unwrap();
    assert_eq!(explicit.cidr, c("10.0.1.0/24"));
    assert_eq!(repairs(s, &ten), 2);
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify().unwrap());

    // A database hit before the check: the duplicate written with plain SQL. `verify` names
    // it twice (outside its pool; the same block as the other pool's allocation), and
    // `--repair` mends the index it damaged but cannot move the allocation.
    let sql = format!(
        "{} INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
         VALUES ('ipam-pool-alloc-0dup', '{ten}', '192.168.0.0/24', {}, 24, 'vpc', 'allocated', '{{}}', '111122223333', 'us-east-1', 0);",
        index_only(db.postgres, &ten, &c("10.0.2.0/23")),
        db.key(&theirs.cidr)
    );
    (db.sql)(&sql);
    let s = &db.store;
    let faults = s.verify().unwrap();
    let outside = faults
        .iter()
        .find(|f| f.message.contains("ipam-pool-alloc-0dup") && f.message.contains("outside"))
        .unwrap_or_else(|| panic!("not reported outside its pool: {faults:?}"));
    assert!(!outside.repairable);
    let duplicate = faults
        .iter()
        .find(|f| f.message.contains("duplicates") && f.message.contains(&theirs.id))
        .unwrap_or_else(|| panic!("no duplicate of {} reported: {faults:?}", theirs.id));
    assert!(
        duplicate.message.contains("ipam-pool-alloc-0dup"),
        "{duplicate:?}"
    );
    assert!(
        faults.iter().any(|f| f
            .message
            .contains("duplicates the CIDR 192.168.0.0/16 of the pool")),
        "and the other pool's space: {faults:?}"
    );
    assert_eq!(duplicate.pool_id, ten);
    assert!(!duplicate.repairable);
    assert_eq!(s.repair(&actor()).unwrap(), vec![ten.clone()]);
    let left = s.verify().unwrap();
    assert!(left.iter().all(|f| !f.repairable), "{left:?}");
    assert_eq!(left.len(), 3, "outside, and two duplicates: {left:?}");
    // The guide's resolution: release the wrong one; nothing returns to the pool's index.
    s.release(&actor(), "ipam-pool-alloc-0dup").unwrap();
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify().unwrap());
    let next = s
        .allocate(&actor(), &vpc(&ten, AllocationRequest::Netmask(24)))
        .unwrap();
    assert_eq!(next.cidr, c("10.0.2.0/24"));
}

#[test]
fn another_pools_block_is_never_handed_out_on_sqlite() {
    another_pools_block_is_never_handed_out(Db::sqlite());
}

#[test]
fn another_pools_block_is_never_handed_out_on_postgres() {
    another_pools_block_is_never_handed_out(Db::postgres());
}

/// Parent, child and grandchild overlap by design and are not duplicates; a sibling's block
/// is, and so is the same block in two top-level pools of one scope (not of two scopes).
fn duplicates_are_found_off_the_ancestor_chain(mut db: Db) {
    let s = &db.store;
    let ipam = s
        .create_ipam(&actor(), None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let scope = ipam.private_default_scope_id.clone();
    let top = top_pool(s, &scope, "10.0.0.0/8");
    let (child, child_cidr) = child_pool(s, &scope, &top, 16);
    let (grandchild, _) = child_pool(s, &scope, &child, 20);
    let (sibling, sibling_cidr) = child_pool(s, &scope, &top, 16);
    for p in [&top, &child, &grandchild, &sibling] {
        s.allocate(&actor(), &vpc(p, AllocationRequest::Netmask(24)))
            .unwrap();
    }
    // Another scope may hold the same addresses.
    let other_scope = s
        .create_scope(&actor(), &ipam.id, None, Tags::new())
        .unwrap();
    let elsewhere = top_pool(s, &other_scope.id, "10.0.0.0/8");
    s.allocate(&actor(), &vpc(&elsewhere, AllocationRequest::Netmask(24)))
        .unwrap();
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify().unwrap());

    // The sibling is given the child's first /24 as well (its root widened by hand, so that
    // only the cross-pool check can see it).
    let stolen = Cidr::from_start(child_cidr.family(), child_cidr.start(), 24);
    let sql = format!(
        "INSERT INTO pool_cidrs (id, pool_id, cidr, start, len) VALUES ('ipam-pool-cidr-0wide', '{sibling}', '{child_cidr}', {}, 16);
         INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
         VALUES ('ipam-pool-alloc-0sib', '{sibling}', '{stolen}', {}, 24, 'vpc', 'allocated', '{{}}', '111122223333', 'us-east-1', 0);",
        db.key(&child_cidr),
        db.key(&stolen),
    );
    (db.sql)(&sql);
    let s = &db.store;
    let faults = s.verify().unwrap();
    let dups: Vec<_> = faults
        .iter()
        .filter(|f| f.message.contains("duplicates") && f.message.contains("ipam-pool-alloc-0sib"))
        .collect();
    assert!(
        dups.iter().any(|f| f
            .message
            .contains(&format!("({child_cidr}) of the pool {top}"))),
        "the sibling's block is the child's CIDR in the parent: {faults:?}"
    );
    assert!(
        dups.iter().any(|f| f.message.contains(&grandchild)),
        "and the grandchild's: {faults:?}"
    );
    assert!(
        !faults
            .iter()
            .any(|f| f.message.contains("the CIDR 10.0.0.0/8 of the pool")),
        "the parent's own CIDR is on the sibling's ancestor chain: {faults:?}"
    );
    assert!(
        !faults.iter().any(|f| f.message.contains(&elsewhere)),
        "another scope is another space: {faults:?}"
    );
    assert_ne!(sibling_cidr, child_cidr);
}

#[test]
fn duplicates_are_found_off_the_ancestor_chain_on_sqlite() {
    duplicates_are_found_off_the_ancestor_chain(Db::sqlite());
}

#[test]
fn duplicates_are_found_off_the_ancestor_chain_on_postgres() {
    duplicates_are_found_off_the_ancestor_chain(Db::postgres());
}

/// On PostgreSQL a team role allocates with the database's guards in force: the rebuild of a
/// corrupted index writes exactly the cover of the pool's free space, which they accept.
#[test]
fn a_team_role_rebuilds_a_corrupted_index_and_allocates_inside_its_pool() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = pg::database_name(&owner_url);
    teams::roles(cluster);
    let mut admin = cluster.admin(&db);
    let net_url = cluster.url_as("ipam_net", "net-secret", &db);
    let t = teams::build(&owner_url, &mut admin, &net_url);
    let net = teams::open(&net_url);
    let theirs = net
        .allocate(
            &teams::who(teams::NETWORKING),
            &vpc(&t.unshared, AllocationRequest::Netmask(24)),
        )
        .unwrap();
    admin
        .batch_execute(&index_only(true, &t.shared, &theirs.cidr))
        .unwrap();
    let dev = teams::open(&cluster.url_as("ipam_dev", "dev-secret", &db));
    let mine = dev
        .allocate(
            &teams::who(teams::DEV),
            &vpc(&t.shared, AllocationRequest::Netmask(24)),
        )
        .unwrap();
    assert!(c("10.0.0.0/16").contains(&mine.cidr), "{}", mine.cidr);
    let owner = teams::open(&owner_url);
    let repair = owner
        .audit_events(Some(&t.shared), 50)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "repair-free-index")
        .expect("the rebuild is audited");
    assert_eq!(repair.account_id, teams::DEV);
    assert!(
        owner.verify().unwrap().is_empty(),
        "{:?}",
        owner.verify().unwrap()
    );
}
