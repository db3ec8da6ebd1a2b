//! On PostgreSQL the database itself enforces the organization's rules for team roles (the
//! guards of migration 8): connected with a team's own credentials, the store acts as the
//! account its login role maps to and works within its shares, and plain SQL outside them is
//! refused. Runs on the test process's own PostgreSQL server, whatever `IPAM_TEST_BACKEND` says.

#[path = "support/pg.rs"]
mod pg;
#[path = "support/teams.rs"]
mod teams;

use ipam::engine::{AllocationKind, AllocationRequest};
use ipam::store::{AllocationSpec, Error};
use teams::{grant, open, who, DEV, NETWORKING};

fn vpc(pool: &str, len: u8) -> AllocationSpec {
    AllocationSpec::new(pool, AllocationRequest::Netmask(len), AllocationKind::Vpc)
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
    let db = pg::database_name(&owner_url);
    cluster.password_role("ipam_net", "net-secret");
    cluster.password_role("ipam_dev", "dev-secret");
    let mut admin = cluster.admin(&db);
    let net_url = cluster.url_as("ipam_net", "net-secret", &db);
    let teams::Teams {
        shared, unshared, ..
    } = teams::build(&owner_url, &mut admin, &net_url);
    let owner = open(&owner_url);
    let net = open(&net_url);
    let n = who(NETWORKING);
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
    // In the shared pool and in its own name, but outside the pool's CIDRs.
    let m = sql_refused(sql.execute(
        insert,
        &[
            &"ipam-pool-alloc-rogue4",
            &shared,
            &"8.8.8.0/24",
            &vec![8u8, 8, 8, 0],
            &DEV,
        ],
    ));
    assert!(m.contains("outside the pool's CIDRs"), "{m}");
    let m = sql_refused(sql.execute(
        "UPDATE allocations SET cidr = '10.0.250.0/24', start = '\\x0a00fa00' WHERE id = $1",
        &[&kept.id],
    ));
    assert!(m.contains("move the allocation"), "{m}");
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

#[test]
fn without_an_organization_a_granted_role_works_but_cannot_found_one() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = pg::database_name(&owner_url);
    // The schema exists (the owner created it); a pipeline role is granted as the guide says.
    let _ = open(&owner_url);
    cluster.password_role("ipam_pipeline", "pipeline-secret");
    grant(&mut cluster.admin(&db), "ipam_pipeline");
    let s = open(&cluster.url_as("ipam_pipeline", "pipeline-secret", &db));
    assert_eq!(s.login_account().unwrap(), None);
    let a = who(DEV);
    let ipam = s.create_ipam(&a, None, vec![], Default::default()).unwrap();
    let pool = s
        .create_pool(
            &a,
            ipam::store::PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(
        &a,
        &pool.id,
        AllocationRequest::Explicit(ipam::engine::Cidr::parse("10.0.0.0/16").unwrap()),
    )
    .unwrap();
    let x = s.allocate(&a, &vpc(&pool.id, 24)).unwrap();
    s.release(&a, &x.id).unwrap();
    // The organization is the database owner's to create: it maps the roles.
    match s.create_organization(&a) {
        Err(Error::Refused(m)) => {
            assert!(m.contains("ipam_pipeline") && m.contains("owner"), "{m}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(s.organization().unwrap().is_none());
}
