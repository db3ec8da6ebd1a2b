//! The organization's rules in the store's own transactions: who may change the IPAMs, and
//! which accounts a share reaches (directly, through nested units, through the organization).
//! On SQLite, or PostgreSQL with `IPAM_TEST_BACKEND=postgres`.

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Error, OrganizationAccount, PoolSpec, ShareSpec, Store};

const MANAGEMENT: &str = "111111111111";
const NETWORKING: &str = "222222222222";
const DEV: &str = "333333333333";
const NESTED: &str = "444444444444";
const OUTSIDE: &str = "555555555555";

fn who(account: &str) -> Actor {
    Actor::new(account, "us-east-1")
}

use crate::support::pg;

/// A new empty store on this run's backend (`IPAM_TEST_BACKEND=postgres`: the test process's
/// own PostgreSQL server).
fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let provided = Cidr::parse("2001:db8::/32").unwrap();
    let store = match pg::backend() {
        pg::Backend::Sqlite => Store::open(&dir.path().join("ipam.db"), provided),
        pg::Backend::Postgres => Store::open_database(
            &pg::cluster().new_database(),
            provided,
            std::time::Duration::from_secs(60),
        ),
    }
    .unwrap();
    (dir, store)
}

fn vpc(pool: &str, len: u8) -> AllocationSpec {
    AllocationSpec::new(pool, AllocationRequest::Netmask(len), AllocationKind::Vpc)
}

fn member(s: &Store, account: &str, parent: &str) {
    s.put_organization_account(
        &who(MANAGEMENT),
        &OrganizationAccount {
            account_id: account.into(),
            name: format!("team {account}"),
            parent_id: parent.into(),
            database_role: None,
        },
        true,
    )
    .unwrap();
}

fn refused(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(Error::Refused(m)) => m,
        Err(Error::NotAuthorized(r)) => r.to_string(),
        Err(Error::Blocked { fact, .. }) => fact,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The seed's organization: networking administers IPAM, a dev unit with a nested unit, an
/// account outside both; the networking account builds one pool. Returns the pool and dev OU.
fn seed(s: &Store) -> (String, String) {
    let m = who(MANAGEMENT);
    let org = s.create_organization(&m).unwrap();
    let dev = s
        .create_organizational_unit(&m, "dev", &org.root_id)
        .unwrap();
    let nested = s
        .create_organizational_unit(&m, "dev-web", &dev.id)
        .unwrap();
    member(s, NETWORKING, &org.root_id);
    member(s, DEV, &dev.id);
    member(s, NESTED, &nested.id);
    member(s, OUTSIDE, &org.root_id);
    // Before delegation the management account is the IPAM admin.
    assert!(s.ipam_admin_refusal(MANAGEMENT).unwrap().is_none());
    s.set_delegated_admin(&m, Some(NETWORKING)).unwrap();
    let net = who(NETWORKING);
    let ipam = s
        .create_ipam(&net, None, vec![], Default::default())
        .unwrap();
    let pool = s
        .create_pool(
            &net,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(
        &net,
        &pool.id,
        AllocationRequest::Explicit(Cidr::parse("10.0.0.0/16").unwrap()),
    )
    .unwrap();
    (pool.id, dev.id)
}

#[test]
fn without_an_organization_every_account_may_do_everything() {
    let (_d, s) = open();
    let ipam = s
        .create_ipam(&who(DEV), None, vec![], Default::default())
        .unwrap();
    let pool = s
        .create_pool(
            &who(OUTSIDE),
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(s.pool_use_refusal(NESTED, &pool.id).unwrap().is_none());
}

#[test]
fn only_the_ipam_admin_changes_the_address_space() {
    let (_d, s) = open();
    let (pool, _) = seed(&s);
    // The management account delegated: it is no longer the IPAM admin.
    let m = refused(s.create_ipam(&who(MANAGEMENT), None, vec![], Default::default()));
    assert!(m.contains(MANAGEMENT) && m.contains(NETWORKING), "{m}");
    let p = s.get_pool(&pool).unwrap().unwrap();
    let m = refused(s.create_pool(
        &who(DEV),
        PoolSpec {
            scope_id: p.scope_id,
            ..Default::default()
        },
    ));
    assert!(m.contains(DEV) && m.contains(NETWORKING), "{m}");
    let m = refused(s.delete_pool(&who(DEV), &pool, true));
    assert!(m.contains(DEV), "{m}");
    assert!(s.get_pool(&pool).unwrap().is_some());
    // Organization changes are the management account's alone.
    refused(s.set_delegated_admin(&who(NETWORKING), Some(DEV)));
}

#[test]
fn shares_reach_accounts_through_nested_units_and_not_outside() {
    let (_d, s) = open();
    let (pool, dev) = seed(&s);
    let net = who(NETWORKING);
    let before = refused(s.allocate(&who(DEV), &vpc(&pool, 24)));
    assert!(before.contains("not shared with anyone"), "{before}");
    let share = s
        .put_resource_share(
            &net,
            None,
            &ShareSpec {
                name: "dev".into(),
                resources: vec![format!("arn:aws:ec2::{NETWORKING}:ipam-pool/{pool}")],
                principals: vec![dev.clone()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(share.pool_ids, vec![pool.clone()]);
    let direct = s.allocate(&who(DEV), &vpc(&pool, 24)).unwrap();
    s.allocate(&who(NESTED), &vpc(&pool, 24)).unwrap();
    let outside = refused(s.allocate(&who(OUTSIDE), &vpc(&pool, 24)));
    assert!(
        outside.contains(OUTSIDE) && outside.contains(&share.id) && outside.contains(&dev),
        "{outside}"
    );
    assert!(s.pool_shared_with(NESTED, &pool).unwrap());
    assert!(!s.pool_shared_with(OUTSIDE, &pool).unwrap());

    // The audit log names the account behind each change.
    let events = s.audit_events(Some(&direct.id), 10).unwrap();
    assert_eq!(events[0].account_id, DEV);

    // Removing the share keeps what it allowed and refuses more.
    s.delete_resource_share(&net, &share.id).unwrap();
    assert!(s.get_allocation(&direct.id).unwrap().is_some());
    refused(s.allocate(&who(DEV), &vpc(&pool, 24)));
    s.release(&who(DEV), &direct.id).unwrap();

    // Shared with the whole organization: every member may allocate.
    let org = s.organization().unwrap().unwrap();
    s.put_resource_share(
        &net,
        None,
        &ShareSpec {
            name: "everyone".into(),
            resources: vec![pool.clone()],
            principals: vec![org.id],
            ..Default::default()
        },
    )
    .unwrap();
    s.allocate(&who(OUTSIDE), &vpc(&pool, 24)).unwrap();
}

#[test]
fn shares_name_only_members_unless_external_principals_are_allowed() {
    let (_d, s) = open();
    let (pool, _) = seed(&s);
    let spec = |external| ShareSpec {
        name: "partner".into(),
        resources: vec![pool.clone()],
        principals: vec!["999999999999".into()],
        allow_external_principals: external,
        ..Default::default()
    };
    match s.put_resource_share(&who(NETWORKING), None, &spec(false)) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, ipam::store::Field::SharePrincipals),
        other => panic!("{other:?}"),
    }
    s.put_resource_share(&who(NETWORKING), None, &spec(true))
        .unwrap();
    s.allocate(&who("999999999999"), &vpc(&pool, 24)).unwrap();
}

#[test]
fn a_unit_cannot_move_under_itself() {
    let (_d, s) = open();
    let m = who(MANAGEMENT);
    let org = s.create_organization(&m).unwrap();
    assert!(org.id.starts_with("o-") && org.id.len() == 12, "{}", org.id);
    assert!(org.root_id.starts_with("r-") && org.root_id.len() == 6);
    let a = s.create_organizational_unit(&m, "a", &org.root_id).unwrap();
    assert!(a.id.starts_with(&format!("ou-{}-", &org.root_id[2..])));
    assert_eq!(a.id.len(), 3 + 4 + 1 + 8);
    let b = s.create_organizational_unit(&m, "b", &a.id).unwrap();
    match s.update_organizational_unit(&m, &a.id, "a", &b.id) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, ipam::store::Field::ParentUnit),
        other => panic!("{other:?}"),
    }
    refused(s.delete_organizational_unit(&m, &a.id));
}
