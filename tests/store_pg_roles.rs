//! On PostgreSQL the database itself enforces the organization's rules for team roles (the
//! guards of migration 8): connected with a team's own credentials, the store acts as the
//! account its login role maps to and works within its shares, and plain SQL outside them is
//! refused. Runs on the test process's own PostgreSQL server, whatever `IPAM_TEST_BACKEND` says.

#[path = "support/pg.rs"]
mod pg;

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Error, OrganizationAccount, PoolSpec, ShareSpec, Store};
use std::time::Duration;

const MANAGEMENT: &str = "111111111111";
const NETWORKING: &str = "222222222222";
const DEV: &str = "333333333333";

fn who(account: &str) -> Actor {
    Actor::new(account, "us-east-1")
}

fn open(url: &str) -> Store {
    Store::open_database(
        url,
        Cidr::parse("2001:db8::/32").unwrap(),
        Duration::from_secs(60),
    )
    .unwrap()
}

fn vpc(pool: &str, len: u8) -> AllocationSpec {
    AllocationSpec {
        pool_id: pool.into(),
        request: AllocationRequest::Netmask(len),
        disallowed: vec![],
        name: None,
        description: None,
        tags: Default::default(),
        kind: AllocationKind::Vpc,
        resource_id: None,
    }
}

/// What the organizations guide tells an operator to grant a team role.
fn grant(admin: &mut postgres::Client, role: &str) {
    admin
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
             REVOKE INSERT, UPDATE, DELETE ON schema_version FROM {role};"
        ))
        .expect("grant");
}

/// The SQL error's message, or a panic when the statement succeeded.
fn sql_refused(r: Result<u64, postgres::Error>) -> String {
    match r {
        Err(e) => e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string()),
        Ok(n) => panic!("the statement succeeded ({n} rows)"),
    }
}

#[test]
fn team_roles_write_only_what_their_account_may() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = owner_url
        .rsplit('/')
        .next()
        .and_then(|t| t.split('?').next())
        .unwrap()
        .to_string();
    cluster.password_role("ipam_net", "net-secret");
    cluster.password_role("ipam_dev", "dev-secret");

    // The management account's configuration connects as the database owner (trusted).
    let owner = open(&owner_url);
    assert_eq!(owner.login_account().unwrap(), None);
    let m = who(MANAGEMENT);
    let org = owner.create_organization(&m).unwrap();
    let dev_ou = owner
        .create_organizational_unit(&m, "dev", &org.root_id)
        .unwrap();
    for (account, parent, role) in [
        (NETWORKING, &org.root_id, "ipam_net"),
        (DEV, &dev_ou.id, "ipam_dev"),
    ] {
        let a = OrganizationAccount {
            account_id: account.into(),
            name: role.into(),
            parent_id: parent.clone(),
            database_role: Some(role.into()),
        };
        owner.put_organization_account(&m, &a, true).unwrap();
    }
    owner.set_delegated_admin(&m, Some(NETWORKING)).unwrap();
    let mut admin = cluster.admin(&db);
    grant(&mut admin, "ipam_net");
    grant(&mut admin, "ipam_dev");

    // The delegated admin builds the IPAM with its own credentials.
    let net = open(&cluster.url_as("ipam_net", "net-secret", &db));
    assert_eq!(net.login_account().unwrap().as_deref(), Some(NETWORKING));
    let n = who(NETWORKING);
    let ipam = net
        .create_ipam(&n, None, vec![], Default::default())
        .unwrap();
    let pool = |cidr: &str| {
        let p = net
            .create_pool(
                &n,
                PoolSpec {
                    scope_id: ipam.private_default_scope_id.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
        net.provision_cidr(
            &n,
            &p.id,
            AllocationRequest::Explicit(Cidr::parse(cidr).unwrap()),
        )
        .unwrap();
        p.id
    };
    let shared = pool("10.0.0.0/16");
    let unshared = pool("10.1.0.0/16");
    net.put_resource_share(
        &n,
        None,
        &ShareSpec {
            name: "dev".into(),
            resources: vec![shared.clone()],
            principals: vec![dev_ou.id.clone()],
            ..Default::default()
        },
    )
    .unwrap();
    let theirs = net.allocate(&n, &vpc(&unshared, 24)).unwrap();

    // The dev team allocates and releases in the shared pool through the store, as the
    // provider does (free blocks, audit, history written as the dev role).
    let dev = open(&cluster.url_as("ipam_dev", "dev-secret", &db));
    assert_eq!(dev.login_account().unwrap().as_deref(), Some(DEV));
    let d = who(DEV);
    let mine = dev.allocate(&d, &vpc(&shared, 24)).unwrap();
    assert_eq!(mine.owner_id, DEV);
    let kept = dev.allocate(&d, &vpc(&shared, 24)).unwrap();
    dev.release(&d, &mine.id).unwrap();
    match dev.allocate(&d, &vpc(&unshared, 24)) {
        Err(Error::Refused(m)) => assert!(m.contains(DEV) && m.contains(&unshared), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // The same credentials with plain SQL.
    let mut sql = postgres::Client::connect(
        &cluster.url_as("ipam_dev", "dev-secret", &db),
        postgres::NoTls,
    )
    .unwrap();
    let insert = "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
                  VALUES ($1, $2, $3, $4, 24, 'vpc', 'allocated', '{}', $5, 'us-east-1', 0)";
    let m = sql_refused(sql.execute(
        insert,
        &[
            &"ipam-pool-alloc-rogue1",
            &unshared,
            &"10.1.200.0/24",
            &vec![10u8, 1, 200, 0],
            &DEV,
        ],
    ));
    assert!(m.contains(&unshared) && m.contains(DEV), "{m}");
    // Nor in the shared pool under another account's name.
    let m = sql_refused(sql.execute(
        insert,
        &[
            &"ipam-pool-alloc-rogue2",
            &shared,
            &"10.0.200.0/24",
            &vec![10u8, 0, 200, 0],
            &NETWORKING,
        ],
    ));
    assert!(m.contains(NETWORKING), "{m}");
    let m = sql_refused(sql.execute(
        "UPDATE allocations SET description = 'mine now' WHERE id = $1",
        &[&theirs.id],
    ));
    assert!(m.contains(&theirs.id) && m.contains(NETWORKING), "{m}");
    let m = sql_refused(sql.execute("DELETE FROM allocations WHERE id = $1", &[&theirs.id]));
    assert!(m.contains(&theirs.id), "{m}");
    let m = sql_refused(sql.execute("DELETE FROM pools WHERE id = $1", &[&shared]));
    assert!(m.contains("pools") && m.contains(NETWORKING), "{m}");
    sql_refused(sql.execute("DELETE FROM free_blocks WHERE pool_id = $1", &[&unshared]));
    sql_refused(sql.execute(
        "UPDATE organizations SET delegated_admin_account_id = $1",
        &[&DEV],
    ));
    sql_refused(sql.execute(
        "UPDATE organization_accounts SET database_role = 'ipam_dev' WHERE account_id = $1",
        &[&NETWORKING],
    ));
    sql_refused(sql.execute("DELETE FROM audit_events", &[]));
    sql_refused(sql.execute("UPDATE schema_version SET version = 0", &[]));
    // Its own allocation it may change with SQL, as with the provider.
    assert_eq!(
        sql.execute(
            "UPDATE allocations SET description = 'edge' WHERE id = $1",
            &[&kept.id]
        )
        .unwrap(),
        1
    );

    sql_refused(sql.execute(
        "INSERT INTO ipam_releases (pool_id, xid, at) VALUES ($1, txid_current(), 0)",
        &[&unshared],
    ));
    // A role no account names acts as none: it may write nothing the rules govern.
    cluster.password_role("ipam_stranger", "stranger-secret");
    grant(&mut admin, "ipam_stranger");
    let mut stranger = postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", &db),
        postgres::NoTls,
    )
    .unwrap();
    let m = sql_refused(stranger.execute(
        insert,
        &[
            &"ipam-pool-alloc-rogue3",
            &shared,
            &"10.0.201.0/24",
            &vec![10u8, 0, 201, 0],
            &DEV,
        ],
    ));
    assert!(m.contains("ipam_stranger") && m.contains("none"), "{m}");

    // Removing the share keeps the dev team's allocation and lets it release it, but not
    // allocate again.
    let share = net.pool_shares(&shared).unwrap().remove(0);
    net.delete_resource_share(&n, &share.id).unwrap();
    let held = dev.allocate(&d, &vpc(&shared, 24)).err();
    assert!(matches!(held, Some(Error::Refused(_))), "{held:?}");
    dev.release(&d, &kept.id).unwrap();

    // Nothing refused was written: the owner sees the pools and allocations as they were.
    assert!(owner.get_pool(&shared).unwrap().is_some());
    assert_eq!(owner.list_allocations(&unshared).unwrap().len(), 1);
    assert!(owner.list_allocations(&shared).unwrap().is_empty());
    assert!(
        owner.verify().unwrap().is_empty(),
        "the free space still adds up"
    );
    assert_eq!(
        owner
            .get_allocation(&theirs.id)
            .unwrap()
            .unwrap()
            .description,
        None
    );
    // The database owner is trusted: it may still change anything.
    assert_eq!(
        admin
            .execute(
                "UPDATE allocations SET description = 'checked' WHERE id = $1",
                &[&theirs.id]
            )
            .unwrap(),
        1
    );
}
