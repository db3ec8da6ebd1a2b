//! Which Terraform state an allocation was made for, on a real database (SQLite, or PostgreSQL
//! with `IPAM_TEST_BACKEND=postgres`): the backend key is recorded on allocation and on the
//! claim of a plan-time reservation, kept by `migrate`, and one state's allocations are found
//! by its key and workspace whatever directory they came from.

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Origin, PoolSpec, Store, Tags};

use crate::support::pg;

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = match pg::backend() {
        pg::Backend::Sqlite => Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")),
        pg::Backend::Postgres => Store::open_database(
            &pg::cluster().new_database(),
            c("2001:db8::/32"),
            std::time::Duration::from_secs(60),
        ),
    }
    .unwrap();
    (dir, store)
}

fn actor(dir: &str, state: &str) -> Actor {
    let mut a = Actor::new("111122223333", "us-east-1");
    a.origin = Origin {
        dir: dir.into(),
        workspace: "default".into(),
        state: Some(state.into()),
    };
    a
}

fn pool(s: &Store, a: &Actor) -> String {
    let ipam = s
        .create_ipam(a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let p = s
        .create_pool(
            a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(a, &p.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    p.id
}

fn spec(pool: &str, name: Option<&str>) -> AllocationSpec {
    AllocationSpec {
        name: name.map(String::from),
        ..AllocationSpec::new(pool, AllocationRequest::Netmask(24), AllocationKind::Vpc)
    }
}

#[test]
fn one_states_allocations_are_found_by_its_key_not_its_directory() {
    let (_dir, s) = open();
    let a = actor("/ci/checkout", "local:aaaa");
    let b = actor("/ci/checkout", "local:bbbb");
    let a_elsewhere = actor("/ci/other-runner", "local:aaaa");
    let p = pool(&s, &a);
    let a1 = s.allocate(&a, &spec(&p, None)).unwrap();
    let b1 = s.allocate(&b, &spec(&p, None)).unwrap();
    let a2 = s.allocate(&a_elsewhere, &spec(&p, None)).unwrap();
    assert_eq!(
        a1.origin.as_ref().unwrap().state.as_deref(),
        Some("local:aaaa")
    );
    // Read back, not only the record built on insert.
    let read = s.get_allocation(&b1.id).unwrap().unwrap();
    assert_eq!(read.origin.unwrap().state.as_deref(), Some("local:bbbb"));
    let ids = |v: Vec<ipam::store::Allocation>| {
        let mut ids: Vec<String> = v.into_iter().map(|a| a.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(s.allocations_of_state("local:aaaa", "default").unwrap()),
        ids(vec![a1.clone(), a2.clone()])
    );
    assert_eq!(
        ids(s.allocations_of_state("local:bbbb", "default").unwrap()),
        vec![b1.id.clone()]
    );
    assert!(s
        .allocations_of_state("local:aaaa", "staging")
        .unwrap()
        .is_empty());
    // The directory alone still finds both states' allocations (what `orphans` must not trust).
    assert_eq!(s.allocations_from(&a.origin).unwrap().len(), 2);
    assert_eq!(
        ids(s
            .allocations_by_ids(&[b1.id.clone(), "ipam-pool-alloc-none".into()])
            .unwrap()),
        vec![b1.id.clone()]
    );
}

#[test]
fn a_claimed_reservation_belongs_to_the_state_that_applied_it() {
    let (_dir, s) = open();
    let planner = actor("/srv/team-x", "local:plan");
    let applier = actor("/srv/team-x", "s3:apply");
    let p = pool(&s, &planner);
    let r = s.reserve(&planner, &spec(&p, Some("web")), 3600).unwrap();
    assert_eq!(
        r.origin.as_ref().unwrap().state.as_deref(),
        Some("local:plan")
    );
    let claimed = s.claim(&applier, &spec(&p, Some("web")), r.cidr).unwrap();
    assert_eq!(claimed.id, r.id);
    assert_eq!(claimed.origin.unwrap().state.as_deref(), Some("s3:apply"));
}

#[test]
fn the_state_key_survives_a_migration() {
    if pg::backend() == pg::Backend::Postgres {
        return; // the source of `migrate` is a file; the PostgreSQL target is covered below
    }
    let (_dir, s) = open();
    let a = actor("/srv/team-x", "local:kept");
    let p = pool(&s, &a);
    let made = s.allocate(&a, &spec(&p, None)).unwrap();
    let url = pg::cluster().new_database();
    let target =
        Store::open_database(&url, c("2001:db8::/32"), std::time::Duration::from_secs(60)).unwrap();
    s.copy_into(&target, &url).unwrap();
    let copied = target.get_allocation(&made.id).unwrap().unwrap();
    assert_eq!(copied.origin.unwrap().state.as_deref(), Some("local:kept"));
}
