//! On PostgreSQL the database itself enforces the organization's rules for team roles (the
//! guards of migration 8): connected with a team's own credentials, the store acts as the
//! account its login role maps to and works within its shares, and plain SQL outside them is
//! refused. Runs on the test process's own PostgreSQL server, whatever `IPAM_TEST_BACKEND` says.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::{pg, teams};

use crate::support::teams::{grant, open, who, DEV, NETWORKING};
use ipam::engine::{AllocationKind, AllocationRequest};
use ipam::store::{AllocationSpec, Error};

fn vpc(pool: &str, len: u8) -> AllocationSpec {
    AllocationSpec::new(pool, AllocationRequest::Netmask(len), AllocationKind::Vpc)
}

/// The SQL error's message, or a panic when the statement succeeded.
fn sql_refused(r: Result<u64, ipam_db::drivers::postgres::Error>) -> String {
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
    teams::roles(cluster);
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
        Err(Error::NotAuthorized(r)) => {
            let m = r.to_string();
            assert!(m.contains(DEV) && m.contains(&unshared), "{m}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // The same credentials with plain SQL.
    let mut sql = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_dev", "dev-secret", &db),
        ipam_db::drivers::postgres::NoTls,
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
    let mut stranger = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", &db),
        ipam_db::drivers::postgres::NoTls,
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
    assert!(matches!(held, Some(Error::NotAuthorized(_))), "{held:?}");
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

/// The seed's organization on a fresh database, with plain-SQL clients of each role.
struct Fixture {
    db: String,
    owner_url: String,
    admin: ipam_db::drivers::postgres::Client,
    shared: String,
    unshared: String,
    net: ipam::store::Store,
    dev: ipam::store::Store,
    net_sql: ipam_db::drivers::postgres::Client,
    dev_sql: ipam_db::drivers::postgres::Client,
}

fn fixture() -> Fixture {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = pg::database_name(&owner_url);
    teams::roles(cluster);
    let mut admin = cluster.admin(&db);
    let net_url = cluster.url_as("ipam_net", "net-secret", &db);
    let dev_url = cluster.url_as("ipam_dev", "dev-secret", &db);
    let teams::Teams {
        shared, unshared, ..
    } = teams::build(&owner_url, &mut admin, &net_url);
    Fixture {
        net: open(&net_url),
        dev: open(&dev_url),
        net_sql: ipam_db::drivers::postgres::Client::connect(
            &net_url,
            ipam_db::drivers::postgres::NoTls,
        )
        .unwrap(),
        dev_sql: ipam_db::drivers::postgres::Client::connect(
            &dev_url,
            ipam_db::drivers::postgres::NoTls,
        )
        .unwrap(),
        db,
        owner_url,
        admin,
        shared,
        unshared,
    }
}

/// The error `batch` (statements ending in COMMIT, run as one transaction) met, or a panic.
fn batch_refused(client: &mut ipam_db::drivers::postgres::Client, batch: &str) -> String {
    let r = client.batch_execute(batch);
    // A failed batch leaves its transaction open (aborted): end it.
    let _ = client.batch_execute("ROLLBACK");
    match r {
        Err(e) => e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string()),
        Ok(()) => panic!("the batch succeeded:\n{batch}"),
    }
}

fn free_rows(c: &mut ipam_db::drivers::postgres::Client, pool: &str) -> Vec<(Vec<u8>, i64)> {
    c.query(
        "SELECT start, len FROM free_blocks WHERE pool_id = $1 ORDER BY start",
        &[&pool],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Issue 21, 1: a team appends audit events in its own name, but the numbers are the
/// database's: taking the next fifty (even with OVERRIDING SYSTEM VALUE) jams nobody.
#[test]
fn a_team_cannot_jam_the_audit_log() {
    let mut f = fixture();
    let top: i64 = f
        .admin
        .query_one("SELECT max(seq) FROM audit_events", &[])
        .unwrap()
        .get(0);
    let mut chosen = Vec::new();
    for (i, overriding) in [(1i64, ""), (2, "OVERRIDING SYSTEM VALUE")]
        .into_iter()
        .chain((3..=50).map(|i| (i, "")))
    {
        chosen.push(top + i);
        f.dev_sql
            .execute(
                &format!(
                    "INSERT INTO audit_events (seq, at, account_id, action, object_id) {overriding}
                     VALUES ($1, 0, $2, 'jam', 'x')"
                ),
                &[&(top + i), &DEV],
            )
            .unwrap();
    }
    // Every account's next change still gets its event.
    let n = who(NETWORKING);
    f.net.allocate(&n, &vpc(&f.unshared, 24)).unwrap();
    f.dev.allocate(&who(DEV), &vpc(&f.shared, 24)).unwrap();
    open(&f.owner_url)
        .allocate(&n, &vpc(&f.unshared, 24))
        .unwrap();
    let jams: Vec<i64> = f
        .admin
        .query("SELECT seq FROM audit_events WHERE action = 'jam'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(jams.len(), 50);
    assert!(
        jams.iter().all(|s| *s > top),
        "the events are appended: {jams:?}"
    );
    // The team could not move its own events either.
    let m = sql_refused(f.dev_sql.execute(
        "UPDATE audit_events SET seq = seq + 1000 WHERE action = 'jam'",
        &[],
    ));
    assert!(m.contains("ipam_dev"), "{m}");
}

/// Issue 21, 2 and 7: at commit a touched pool's free blocks and allocations tile its CIDRs
/// exactly. A team with a share cannot make the pool look full (or free what is taken); a team
/// whose share was removed gets back exactly what it releases.
#[test]
fn a_team_changes_a_pools_free_space_only_by_allocating_or_releasing() {
    let mut f = fixture();
    let d = who(DEV);
    let before = free_rows(&mut f.admin, &f.shared);
    // Delete the shared pool's free index: every account would get "no free block".
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; DELETE FROM free_blocks WHERE pool_id = '{}'; COMMIT;",
            f.shared
        ),
    );
    assert!(
        m.contains("ipam_dev") && m.contains(&f.shared) && m.contains("neither free nor allocated"),
        "{m}"
    );
    // Replace it with a block outside the pool.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; DELETE FROM free_blocks WHERE pool_id = '{0}';
             INSERT INTO free_blocks VALUES ('{0}', '\\x0000000000000000000000000a630000', 16); COMMIT;",
            f.shared
        ),
    );
    assert!(m.contains("outside the pool's CIDRs"), "{m}");
    // Claim an allocated block as free again (a double allocation waiting to happen).
    let mine = f.dev.allocate(&d, &vpc(&f.shared, 24)).unwrap();
    let start: Vec<u8> = f
        .admin
        .query_one("SELECT start FROM allocations WHERE id = $1", &[&mine.id])
        .unwrap()
        .get(0);
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; INSERT INTO free_blocks VALUES ('{}', '\\x{}', 24); COMMIT;",
            f.shared,
            start.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    );
    assert!(m.contains("overlaps"), "{m}");
    // An allocation written without taking its space from the free index.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
             VALUES ('ipam-pool-alloc-sneak', '{}', '10.0.99.0/24', '\\x0000000000000000000000000a006300', 24, 'vpc', 'allocated', '{{}}', '{DEV}', 'us-east-1', 0);
             COMMIT;",
            f.shared
        ),
    );
    assert!(m.contains("overlaps"), "{m}");
    // Move the other pool's free space into the shared one.
    let m = sql_refused(f.dev_sql.execute(
        "UPDATE free_blocks SET pool_id = $1 WHERE pool_id = $2",
        &[&f.shared, &f.unshared],
    ));
    assert!(m.contains(&f.unshared), "{m}");
    // The check reads each stored block as the allocator does (a 16-byte key, or a shorter
    // one without its leading zeros), and no misaligned block as one.
    for (start, len, v6, block) in [
        (
            "\\x0000000000000000000000000a000000",
            8,
            false,
            Some("10.0.0.0/8"),
        ),
        ("\\x0a000000", 8, false, Some("10.0.0.0/8")),
        (
            "\\x20010db8000000000000000000000000",
            32,
            true,
            Some("2001:db8::/32"),
        ),
        (
            "\\x20010db8000000000000000000000100",
            120,
            true,
            Some("2001:db8::100/120"),
        ),
        ("\\x0000000000000000000000000a000100", 16, false, None),
        ("\\x0000000000000000000000010a000000", 8, false, None),
        ("\\x0a000000", 33, false, None),
    ] {
        let got: Option<String> = f
            .admin
            .query_one(
                "SELECT ipam_block($1::text::bytea, $2, $3)::text",
                &[&start, &(len as i64), &v6],
            )
            .unwrap()
            .get(0);
        assert_eq!(got.as_deref(), block, "{start}/{len}");
    }
    // An allocation spelled so that only the server reads it would break every listing.
    let m = sql_refused(f.dev_sql.execute(
        "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
         VALUES ('ipam-pool-alloc-abbrev', $1, '10.0.99/24', '\\x0000000000000000000000000a006300', 24, 'vpc', 'allocated', '{}', $2, 'us-east-1', 0)",
        &[&f.shared, &DEV],
    ));
    assert!(m.contains("10.0.99.0/24"), "{m}");
    // Split the pool's largest free block in two: every request larger than a half would find
    // no block.
    let (start, len): (Vec<u8>, i64) = {
        let r = f
            .admin
            .query_one(
                "SELECT start, len FROM free_blocks WHERE pool_id = $1 ORDER BY len LIMIT 1",
                &[&f.shared],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    let mut upper = start.clone();
    let bit = 32 - (len + 1) as u32; // an IPv4 pool: the address is the key's low 32 bits
    let v = u128::from_be_bytes(upper.clone().try_into().unwrap()) | (1u128 << bit);
    upper.copy_from_slice(&v.to_be_bytes());
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; DELETE FROM free_blocks WHERE pool_id = '{0}' AND start = '\\x{1}';
             INSERT INTO free_blocks VALUES ('{0}', '\\x{1}', {3}), ('{0}', '\\x{2}', {3}); COMMIT;",
            f.shared,
            hex(&start),
            hex(&upper),
            len + 1
        ),
    );
    assert!(m.contains("two free halves"), "{m}");
    // A free block that is no block.
    let m = sql_refused(f.dev_sql.execute(
        "INSERT INTO free_blocks VALUES ($1, '\\x0a000100', 16)",
        &[&f.shared],
    ));
    assert!(m.contains("no aligned block"), "{m}");
    // A free block inside a free block (the free space counted twice), and a write hidden in
    // a savepoint.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; INSERT INTO free_blocks VALUES ('{0}', '\\x{1}', {2}); COMMIT;",
            f.shared,
            hex(&upper),
            len + 3
        ),
    );
    assert!(m.contains("overlaps"), "{m}");
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; SAVEPOINT a; DELETE FROM free_blocks WHERE pool_id = '{}'; RELEASE a; COMMIT;",
            f.shared
        ),
    );
    assert!(m.contains("neither free nor allocated"), "{m}");
    // Deferring is the guard's choice, not the role's.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; SET CONSTRAINTS ALL IMMEDIATE; DELETE FROM free_blocks WHERE pool_id = '{}'; COMMIT;",
            f.shared
        ),
    );
    assert!(m.contains("neither free nor allocated"), "{m}");
    // Nor may a snapshot older than the commit judge it.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; DELETE FROM free_blocks WHERE pool_id = '{}'; COMMIT;",
            f.shared
        ),
    );
    assert!(m.contains("read committed"), "{m}");

    // The share removed, the team's release of its own allocation is the only change it may
    // make to the pool's space, and its space comes back whole.
    let share = f.net.pool_shares(&f.shared).unwrap().remove(0);
    f.net
        .delete_resource_share(&who(NETWORKING), &share.id)
        .unwrap();
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; DELETE FROM allocations WHERE id = '{1}';
             DELETE FROM free_blocks WHERE pool_id = '{0}';
             INSERT INTO free_blocks VALUES ('{0}', '\\x0000000000000000000000000a630000', 16); COMMIT;",
            f.shared, mine.id
        ),
    );
    assert!(m.contains("outside the pool's CIDRs"), "{m}");
    // Releasing without returning the space leaks it.
    let m = batch_refused(
        &mut f.dev_sql,
        &format!(
            "BEGIN; DELETE FROM allocations WHERE id = '{}'; COMMIT;",
            mine.id
        ),
    );
    assert!(m.contains("neither free nor allocated"), "{m}");
    f.dev.release(&d, &mine.id).unwrap();
    assert_eq!(free_rows(&mut f.admin, &f.shared), before);
    assert!(open(&f.owner_url).verify().unwrap().is_empty());
}

/// Issue 21, 3: utilization history, written only for a pool the role may use, with the
/// database's counts and time; a role mapped to no account writes none.
#[test]
fn utilization_history_is_the_guards_to_compute() {
    let mut f = fixture();
    let cluster = pg::cluster();
    let d = who(DEV);
    f.dev.allocate(&d, &vpc(&f.shared, 24)).unwrap();
    let insert = "INSERT INTO utilization_history (pool_id, at, allocated, total) VALUES ($1, $2, $3, $4)
                  ON CONFLICT (pool_id, at) DO UPDATE SET allocated = excluded.allocated, total = excluded.total";
    let m = sql_refused(
        f.dev_sql
            .execute(insert, &[&f.unshared, &1i64, &"65536", &"65536"]),
    );
    assert!(m.contains("ipam_dev") && m.contains(&f.unshared), "{m}");
    // In a pool it uses, the row's counts and time are the database's, not the role's.
    f.dev_sql
        .execute(insert, &[&f.shared, &4_000_000_000i64, &"65536", &"65536"])
        .unwrap();
    let (at, allocated, total): (i64, String, String) = {
        let r = f
            .admin
            .query_one(
                "SELECT at, allocated, total FROM utilization_history WHERE pool_id = $1 ORDER BY at DESC LIMIT 1",
                &[&f.shared],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert!(at < 4_000_000_000, "{at}");
    assert_eq!((allocated.as_str(), total.as_str()), ("256", "65536"));
    // An older point (the owner's) stays as it was recorded.
    f.admin
        .execute(
            "INSERT INTO utilization_history VALUES ($1, $2, '0', '65536')",
            &[&f.shared, &(at - 100)],
        )
        .unwrap();
    let m = sql_refused(f.dev_sql.execute(
        "UPDATE utilization_history SET allocated = '0' WHERE pool_id = $1 AND at < $2",
        &[&f.shared, &(at - 5)],
    ));
    assert!(m.contains("ipam_dev"), "{m}");
    let m = sql_refused(f.dev_sql.execute(
        "DELETE FROM utilization_history WHERE pool_id = $1",
        &[&f.shared],
    ));
    assert!(m.contains("ipam_dev"), "{m}");
    cluster.password_role("ipam_stranger", "stranger-secret");
    grant(&mut f.admin, "ipam_stranger");
    let mut stranger = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", &f.db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap();
    let m = sql_refused(stranger.execute(insert, &[&f.shared, &1i64, &"0", &"0"]));
    assert!(m.contains("ipam_stranger") && m.contains("none"), "{m}");
    // The store's own history writes still work as the team, and its release after the share
    // is gone too.
    let share = f.net.pool_shares(&f.shared).unwrap().remove(0);
    f.net
        .delete_resource_share(&who(NETWORKING), &share.id)
        .unwrap();
    let mine = f.dev.list_allocations(&f.shared).unwrap().remove(0);
    f.dev.release(&d, &mine.id).unwrap();
}

/// Issue 21, 3: every table of the schema, read from the catalog so that a table added later
/// is probed too, refuses a forbidden insert, update and delete by a team role (rows of a pool
/// not shared with it, owned by another account) and by a role mapped to no account (any row),
/// both granted what the organizations guide grants.
#[test]
fn every_table_refuses_forbidden_writes() {
    let mut f = fixture();
    let cluster = pg::cluster();
    let n = who(NETWORKING);
    // Rows in every table: a share of the unshared pool with another account, a release
    // (ipam_releases), a discovery with its association and a
    // scan's row, a resource planning pool's source, and a pending space check's row.
    let theirs = f.net.allocate(&n, &vpc(&f.unshared, 24)).unwrap();
    f.net.allocate(&n, &vpc(&f.unshared, 24)).unwrap();
    f.net
        .put_resource_share(
            &n,
            None,
            &ipam::store::ShareSpec {
                name: "management".into(),
                resources: vec![f.unshared.clone()],
                principals: vec![teams::MANAGEMENT.into()],
                ..Default::default()
            },
        )
        .unwrap();
    f.net.release(&n, &theirs.id).unwrap();
    f.admin
        .batch_execute(&format!(
            "INSERT INTO resource_discoveries (id, operating_regions, tags, excluded, sources, base_dir, owner_id, home_region, created_at)
                 VALUES ('ipam-res-disco-probe', '[]', '{{}}', '[]', '[]', '.', '{NETWORKING}', 'us-east-1', 0);
             INSERT INTO resource_discovery_associations (id, discovery_id, ipam_id, owner_id, created_at)
                 SELECT 'ipam-res-disco-assoc-probe', 'ipam-res-disco-probe', id, '{NETWORKING}', 0 FROM ipams;
             INSERT INTO discovered_cidrs (discovery_id, resource_id, resource_type, cidr, owner_id, source, pool_id, overlap_status, scanned_at)
                 VALUES ('ipam-res-disco-probe', 'vpc-1', 'vpc', '10.1.9.0/24', '{NETWORKING}', 'probe', '{0}', 'nonoverlapping', 0);
             INSERT INTO pool_sources VALUES ('{0}', 'vpc-1', 'vpc', '{NETWORKING}', 'us-east-1');
             INSERT INTO ipam_touched VALUES ('{0}', 1, 'probe');
             INSERT INTO ipam_touched_blocks VALUES ('{0}', 1, '\\x0000000000000000000000000a010000', 16);",
            f.unshared
        ))
        .unwrap();
    cluster.password_role("ipam_stranger", "stranger-secret");
    grant(&mut f.admin, "ipam_stranger");
    let mut stranger = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", &f.db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap();

    let tables: Vec<String> = f
        .admin
        .query(
            "SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 20, "{tables:?}");
    let mut accepted = Vec::new();
    for table in &tables {
        // The columns a row can be copied by (not generated ones), and the columns that say
        // whose a row is.
        let columns: Vec<String> = f
            .admin
            .query(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass
                 AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                &[table],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let has = |c: &str| columns.iter().any(|x| x == c);
        let mut foreign = vec!["true".to_string()];
        if has("pool_id") {
            foreign.push(format!("pool_id = '{}'", f.unshared));
        }
        for c in ["owner_id", "account_id"] {
            if has(c) {
                foreign.push(format!("{c} IS DISTINCT FROM '{DEV}'"));
            }
        }
        let foreign = foreign.join(" AND ");
        let rows: i64 = f
            .admin
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE {foreign}"),
                &[],
            )
            .unwrap()
            .get(0);
        assert!(
            rows > 0,
            "the probe needs a row of {table} that the dev team may not write ({foreign}): add one to the fixture"
        );
        let list = columns.join(", ");
        let first = &columns[0];
        for (role, client) in [
            ("ipam_dev", &mut f.dev_sql),
            ("ipam_stranger", &mut stranger),
        ] {
            for probe in [
                format!("INSERT INTO {table} ({list}) SELECT {list} FROM {table} WHERE {foreign} LIMIT 1"),
                format!("UPDATE {table} SET {first} = {first} WHERE {foreign}"),
                format!("DELETE FROM {table} WHERE {foreign}"),
            ] {
                // Run to its commit (deferred checks included), then undone if it got through.
                let r = client.batch_execute(&format!("BEGIN; {probe}; COMMIT;"));
                let _ = client.batch_execute("ROLLBACK");
                match r {
                    Err(e) if e.code().map(|c| c.code()) == Some("42501") => {}
                    other => accepted.push(format!("{role}: {probe}: {other:?}")),
                }
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "forbidden writes were not refused:\n{}",
        accepted.join("\n")
    );
    // Trusted roles pay nothing: every guard trigger is skipped for them by its WHEN
    // condition, before its function runs. The one exception fires only for rows the guards'
    // own security-definer note writes.
    let unfiltered: Vec<String> = f
        .admin
        .query(
            "SELECT t.tgrelid::regclass::text || '.' || t.tgname FROM pg_trigger t
             WHERE NOT t.tgisinternal AND t.tgqual IS NULL
               AND t.tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(unfiltered, ["ipam_touched.ipam_check_space"]);
}

/// Issue 21, 4: the IPAM admin account's own login role (mapped by database_role) releases
/// anyone's allocations and adopts discovered resources in their owners' names, but moves
/// nothing, writes outside no pool's CIDRs, gives nothing away and writes no other kind (or
/// audit event, or organization row) in another account's name.
#[test]
fn the_ipam_admins_role_is_bounded_too() {
    let mut f = fixture();
    let n = who(NETWORKING);
    let d = who(DEV);
    let theirs = f.dev.allocate(&d, &vpc(&f.shared, 24)).unwrap();
    let other = f.net.allocate(&n, &vpc(&f.unshared, 24)).unwrap();
    // Moving the dev team's allocation onto a block another pool handed out.
    let m = sql_refused(f.net_sql.execute(
        "UPDATE allocations SET pool_id = $2, cidr = $3, start = $4 WHERE id = $1",
        &[
            &theirs.id,
            &f.unshared,
            &other.cidr.to_string(),
            &vec![0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 0, 0],
        ],
    ));
    assert!(
        m.contains("ipam_net") && m.contains("move the allocation"),
        "{m}"
    );
    let m = sql_refused(f.net_sql.execute(
        "UPDATE allocations SET owner_id = $2 WHERE id = $1",
        &[&theirs.id, &NETWORKING],
    ));
    assert!(m.contains("give the allocation"), "{m}");
    let m = sql_refused(f.net_sql.execute(
        "UPDATE allocations SET description = 'mine' WHERE id = $1",
        &[&theirs.id],
    ));
    assert!(m.contains("update the allocation"), "{m}");
    let insert = "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
                  VALUES ($1, $2, $3, $4, 24, $5, 'allocated', '{}', $6, 'us-east-1', 0)";
    let m = sql_refused(f.net_sql.execute(
        insert,
        &[
            &"ipam-pool-alloc-out",
            &f.shared,
            &"8.8.8.0/24",
            &vec![8u8, 8, 8, 0],
            &"vpc",
            &NETWORKING,
        ],
    ));
    assert!(m.contains("outside the pool's CIDRs"), "{m}");
    let m = sql_refused(f.net_sql.execute(
        insert,
        &[
            &"ipam-pool-alloc-name",
            &f.shared,
            &"10.0.77.0/24",
            &vec![10u8, 0, 77, 0],
            &"vpc",
            &DEV,
        ],
    ));
    assert!(m.contains("imported"), "{m}");
    let m = sql_refused(f.net_sql.execute(
        "INSERT INTO audit_events (at, account_id, action, object_id) VALUES (0, $1, 'x', 'y')",
        &[&DEV],
    ));
    assert!(m.contains("ipam_net"), "{m}");
    sql_refused(f.net_sql.execute(
        "UPDATE organizations SET delegated_admin_account_id = NULL",
        &[],
    ));
    sql_refused(f.net_sql.execute(
        "UPDATE organization_accounts SET database_role = NULL WHERE account_id = $1",
        &[&DEV],
    ));

    // Adopting a discovered resource: an imported allocation in its owner's name, its space
    // taken from the free index in the same transaction.
    let ipam_id: String = f
        .admin
        .query_one("SELECT ipam_id FROM pools WHERE id = $1", &[&f.shared])
        .unwrap()
        .get(0);
    let scope: String = f
        .admin
        .query_one(
            "SELECT private_scope_id FROM ipams WHERE id = $1",
            &[&ipam_id],
        )
        .unwrap()
        .get(0);
    let small = f
        .net
        .create_pool(
            &n,
            ipam::store::PoolSpec {
                scope_id: scope.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    f.net
        .provision_cidr(
            &n,
            &small.id,
            AllocationRequest::Explicit(ipam::engine::Cidr::parse("10.2.0.0/24").unwrap()),
        )
        .unwrap();
    f.net_sql
        .batch_execute(&format!(
            "BEGIN; DELETE FROM free_blocks WHERE pool_id = '{0}';
             INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
             VALUES ('ipam-pool-alloc-adopted', '{0}', '10.2.0.0/24', '\\x0000000000000000000000000a020000', 24, 'imported', 'allocated', '{{}}', '{DEV}', 'us-east-1', 0);
             COMMIT;",
            small.id
        ))
        .unwrap();
    // The store's structural changes pass the space check as the admin's role: a child pool
    // carved around the dev team's allocation adopts it (auto-import, in its owner's name), and
    // an IPv6 pool shared with the dev team serves it.
    let child = f
        .net
        .create_pool(
            &n,
            ipam::store::PoolSpec {
                scope_id: scope.clone(),
                parent_id: Some(f.shared.clone()),
                auto_import: true,
                ..Default::default()
            },
        )
        .unwrap();
    let around = ipam::engine::Cidr::from_start(
        theirs.cidr.family(),
        theirs.cidr.start(),
        theirs.cidr.prefix_len() - 4,
    );
    f.net
        .provision_cidr(&n, &child.id, AllocationRequest::Explicit(around))
        .unwrap();
    let adopted = open(&f.owner_url)
        .get_allocation(&theirs.id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (adopted.pool_id.as_str(), adopted.owner_id.as_str()),
        (child.id.as_str(), DEV)
    );
    let v6 = f
        .net
        .create_pool(
            &n,
            ipam::store::PoolSpec {
                scope_id: scope.clone(),
                family: Some(ipam::engine::AddressFamily::Ipv6),
                ..Default::default()
            },
        )
        .unwrap();
    f.net
        .provision_cidr(
            &n,
            &v6.id,
            AllocationRequest::Explicit(ipam::engine::Cidr::parse("fd00::/48").unwrap()),
        )
        .unwrap();
    f.net
        .put_resource_share(
            &n,
            None,
            &ipam::store::ShareSpec {
                name: "v6".into(),
                resources: vec![v6.id.clone()],
                principals: vec![DEV.into()],
                ..Default::default()
            },
        )
        .unwrap();
    let six = f.dev.allocate(&d, &vpc(&v6.id, 56)).unwrap();
    f.dev.release(&d, &six.id).unwrap();
    f.dev.allocate(&d, &vpc(&v6.id, 64)).unwrap();
    assert!(open(&f.owner_url).verify().unwrap().is_empty());
    // The admin releases other accounts' allocations (cleanup on deprovision).
    f.net.release(&n, &theirs.id).unwrap();
    f.net.release(&n, "ipam-pool-alloc-adopted").unwrap();
    assert!(open(&f.owner_url).verify().unwrap().is_empty());
}

/// The key of the advisory lock every PostgreSQL write of the store holds (store/backend.rs).
const WRITE_LOCK: i64 = 0x4950_414d;

/// Issue 21, 6: any role that can connect can take the store's advisory lock and stall every
/// write; the writer that gives up names the role and process id holding it.
#[test]
fn a_busy_database_names_who_holds_the_lock() {
    let f = fixture();
    let cluster = pg::cluster();
    cluster.password_role("ipam_stranger", "stranger-secret");
    let mut stranger = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", &f.db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap();
    let pid: i32 = stranger
        .query_one(
            "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l",
            &[&WRITE_LOCK],
        )
        .unwrap()
        .get(0);
    let dev = ipam::store::Store::open_database(
        &cluster.url_as("ipam_dev", "dev-secret", &f.db),
        ipam::engine::Cidr::parse("2001:db8::/32").unwrap(),
        std::time::Duration::from_millis(500),
    )
    .unwrap();
    for attempt in [
        dev.allocate(&who(DEV), &vpc(&f.shared, 24)).map(|_| ()),
        dev.create_organizational_unit(&who(DEV), "x", "r-none")
            .map(|_| ()),
    ] {
        match attempt {
            Err(e @ Error::Db(ipam_db::Error::Busy { .. })) => {
                let m = e.to_string();
                assert!(
                    m.contains("ipam_stranger") && m.contains(&format!("process id {pid}")),
                    "{m}"
                );
            }
            other => panic!("expected busy, got {other:?}"),
        }
    }
    stranger
        .execute("SELECT pg_advisory_unlock($1)", &[&WRITE_LOCK])
        .unwrap();
    dev.allocate(&who(DEV), &vpc(&f.shared, 24)).unwrap();
}

/// The store's reservation flows pass the space check as team roles: a reservation made,
/// renewed and claimed; another left to expire and swept by the IPAM admin's next allocation;
/// the admin releasing a team's reservation before it expires.
#[test]
fn reservations_pass_the_space_check_as_team_roles() {
    let mut f = fixture();
    let d = who(DEV);
    let n = who(NETWORKING);
    let named = |name: &str| AllocationSpec {
        name: Some(name.into()),
        ..vpc(&f.shared, 24)
    };
    let r = f.dev.reserve(&d, &named("web"), 3600).unwrap();
    f.dev.reserve(&d, &named("web"), 3600).unwrap();
    let claimed = f.dev.claim(&d, &named("web"), r.cidr).unwrap();
    assert_eq!(claimed.id, r.id);
    let gone = f.dev.reserve(&d, &named("db"), 3600).unwrap();
    f.admin
        .execute(
            "UPDATE allocations SET expires_at = 1 WHERE id = $1",
            &[&gone.id],
        )
        .unwrap();
    // The admin's next allocation from the pool sweeps it.
    f.net.reserve(&n, &named("net"), 3600).unwrap();
    assert!(open(&f.owner_url)
        .get_allocation(&gone.id)
        .unwrap()
        .is_none());
    let held = f.dev.reserve(&d, &named("cache"), 3600).unwrap();
    f.net.release(&n, &held.id).unwrap();
    assert!(open(&f.owner_url).verify().unwrap().is_empty());
}
