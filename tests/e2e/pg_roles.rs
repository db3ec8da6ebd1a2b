//! A team's PostgreSQL credentials under real Terraform, whatever `IPAM_TEST_BACKEND` says:
//! the provider acts as the account the login role maps to (`database_role`), allocates from
//! the pool shared with that account, fails at plan outside it, and refuses an `account_id`
//! that disagrees with the login role. The database's guards hold under Terraform too: a team's
//! plain SQL cannot stop another account's apply, a role mapped to no account cannot claim one
//! at plan, and a session holding the store's lock is named when a change gives up waiting.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::{self, teams};

use crate::support::teams::{grant, open, DEV, NETWORKING};
use crate::support::{pg, Tf, Workspace};
use std::path::PathBuf;

fn vpc(pool: &str) -> String {
    format!("resource \"ipam_vpc_allocation\" \"vpc\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n}}\n")
}

#[test]
fn the_dev_role_allocates_as_its_account_only_from_its_share() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = support::pg::database_name(&owner_url);
    teams::roles(cluster);
    let teams::Teams {
        shared, unshared, ..
    } = teams::build(
        &owner_url,
        &mut cluster.admin(&db),
        &cluster.url_as("ipam_net", "net-secret", &db),
    );

    let mut dev = Workspace::new(Tf::V1_15);
    dev.db = PathBuf::from(cluster.url_as("ipam_dev", "dev-secret", &db));
    dev.config(&vpc(&shared));
    dev.init();
    dev.apply().ok();
    let id = dev.resource("ipam_vpc_allocation.vpc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let owner = open(&owner_url);
    assert_eq!(owner.get_allocation(&id).unwrap().unwrap().owner_id, DEV);
    dev.assert_no_changes();

    // Outside its share the plan fails on ipam_pool_id, naming the account and the pool.
    support::rejected(&dev, &vpc(&unshared), &[DEV, &unshared, "ipam_pool_id"]);

    // A declared account_id that disagrees with the login role names both.
    let other = dev.sibling();
    other.config(&vpc(&shared));
    let main = std::fs::read_to_string(other.path().join("main.tf")).unwrap();
    let main = main.replacen(
        "provider \"ipam\" {\n",
        &format!("provider \"ipam\" {{\n  account_id = \"{NETWORKING}\"\n"),
        1,
    );
    other.write("main.tf", &main);
    other.init();
    let before = dev.dump();
    other
        .plan()
        .fails_with("account_id disagrees with the database login role")
        .fails_with(&format!(
            "account_id is {NETWORKING}, but the database login role acts as the account {DEV}"
        ));
    assert_eq!(before, dev.dump());

    // The agreeing declaration is accepted; releasing works with the team's credentials.
    let main = main.replace(NETWORKING, DEV);
    other.write("main.tf", &main);
    let r = other.plan();
    assert_eq!(
        r.code,
        2,
        "plan should propose the allocation:\n{}",
        r.text()
    );
    dev.destroy().ok();
    assert!(owner.get_allocation(&id).unwrap().is_none());
}

/// The seed's organization on a fresh database of this process's server: its name, the
/// owner's URL, and the shared and unshared pools.
fn organization() -> (String, String, teams::Teams) {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = support::pg::database_name(&owner_url);
    teams::roles(cluster);
    let t = teams::build(
        &owner_url,
        &mut cluster.admin(&db),
        &cluster.url_as("ipam_net", "net-secret", &db),
    );
    (db, owner_url, t)
}

/// A workspace connecting as `role`, whose provider block also says `extra`.
fn workspace(db: &str, role: &str, password: &str, extra: &str, body: &str) -> Workspace {
    let w = Workspace::new(Tf::V1_15);
    let mut w = w;
    w.db = PathBuf::from(pg::cluster().url_as(role, password, db));
    w.config(body);
    let main = std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    w.write(
        "main.tf",
        &main.replacen(
            "provider \"ipam\" {\n",
            &format!("provider \"ipam\" {{\n{extra}\n"),
            1,
        ),
    );
    w.init();
    w
}

/// A role mapped to no account, granted what the guide grants.
fn stranger(db: &str) -> ipam_db::drivers::postgres::Client {
    let cluster = pg::cluster();
    cluster.password_role("ipam_stranger", "stranger-secret");
    grant(&mut cluster.admin(db), "ipam_stranger");
    ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_stranger", "stranger-secret", db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap()
}

/// Issue 21, 5: a role no account names cannot claim one: the plan fails on account_id,
/// naming the role, as the database would refuse its every change at apply.
#[test]
fn a_role_mapped_to_no_account_cannot_claim_one_at_plan() {
    let (db, owner_url, t) = organization();
    let _ = stranger(&db);
    let before = support::pg::dump(&owner_url);
    let w = workspace(
        &db,
        "ipam_stranger",
        "stranger-secret",
        &format!("  account_id = \"{NETWORKING}\""),
        &vpc(&t.shared),
    );
    w.plan()
        .fails_with("The database login role acts as no account")
        .fails_with(&format!(
            "account_id is {NETWORKING}, but the database login role ipam_stranger is not the database_role of any ipam_organization_account"
        ))
        .fails_with("account_id");
    assert_eq!(before, support::pg::dump(&owner_url));
}

/// Issue 21, 1, 2, 4 and 7 under Terraform: what a team's plain SQL tries (taking the audit
/// log's next numbers, emptying a shared pool's free index, the admin's role moving a team's
/// allocation) leaves every account's apply working.
#[test]
fn a_teams_plain_sql_cannot_stop_another_accounts_apply() {
    let (db, owner_url, t) = organization();
    let cluster = pg::cluster();
    let mut dev_sql = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_dev", "dev-secret", &db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap();
    let top: i64 = dev_sql
        .query_one("SELECT max(seq) FROM audit_events", &[])
        .unwrap()
        .get(0);
    for seq in top + 1..=top + 50 {
        dev_sql
            .execute(
                "INSERT INTO audit_events (seq, at, account_id, action, object_id) OVERRIDING SYSTEM VALUE VALUES ($1, 0, $2, 'jam', 'x')",
                &[&seq, &DEV],
            )
            .unwrap();
    }
    let emptied = dev_sql.batch_execute(&format!(
        "BEGIN; DELETE FROM free_blocks WHERE pool_id = '{}'; COMMIT;",
        t.shared
    ));
    let _ = dev_sql.batch_execute("ROLLBACK");
    assert!(emptied.is_err(), "the free index was emptied");

    // The IPAM admin's Terraform builds a pool; the dev team's allocates from its share.
    let net = workspace(
        &db,
        "ipam_net",
        "net-secret",
        "",
        &format!(
            "resource \"ipam_pool\" \"more\" {{\n  address_family = \"ipv4\"\n  ipam_scope_id  = \"{}\"\n}}\n\nresource \"ipam_pool_cidr\" \"more\" {{\n  ipam_pool_id = ipam_pool.more.id\n  cidr         = \"10.5.0.0/16\"\n}}\n",
            scope_of(&owner_url, &t.shared)
        ),
    );
    net.apply().ok();
    let dev = workspace(&db, "ipam_dev", "dev-secret", "", &vpc(&t.shared));
    dev.apply().ok();
    let id = dev.resource("ipam_vpc_allocation.vpc")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The admin's own role moves nobody's allocation with SQL.
    let mut net_sql = ipam_db::drivers::postgres::Client::connect(
        &cluster.url_as("ipam_net", "net-secret", &db),
        ipam_db::drivers::postgres::NoTls,
    )
    .unwrap();
    let moved = net_sql.execute(
        "UPDATE allocations SET cidr = '10.0.250.0/24', start = '\\x0000000000000000000000000a00fa00' WHERE id = $1",
        &[&id],
    );
    assert!(moved.is_err(), "the admin's role moved an allocation");
    dev.assert_no_changes();
    dev.destroy().ok();
    net.destroy().ok();
    assert!(open(&owner_url).verify().unwrap().is_empty());
}

/// The private default scope of `pool`'s IPAM.
fn scope_of(owner_url: &str, pool: &str) -> String {
    let mut c =
        ipam_db::drivers::postgres::Client::connect(owner_url, ipam_db::drivers::postgres::NoTls)
            .unwrap();
    c.query_one(
        "SELECT i.private_scope_id FROM pools p JOIN ipams i ON i.id = p.ipam_id WHERE p.id = $1",
        &[&pool],
    )
    .unwrap()
    .get(0)
}

/// Issue 21, 6: a plain-SQL session holding the store's advisory lock stalls writers; the
/// plan that gives up names its role and process id.
#[test]
fn a_busy_database_names_the_session_holding_its_lock() {
    let (db, _owner_url, t) = organization();
    let mut holder = stranger(&db);
    let pid: i32 = holder
        .query_one(
            "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l",
            &[&0x4950_414d_i64],
        )
        .unwrap()
        .get(0);
    let dev = workspace(
        &db,
        "ipam_dev",
        "dev-secret",
        "  lock_timeout = \"1s\"",
        &vpc(&t.shared),
    );
    dev.apply()
        .fails_with("The database is busy")
        .fails_with(&format!(
            "the lock is held by the role ipam_stranger (process id {pid})"
        ));
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&0x4950_414d_i64])
        .unwrap();
    dev.apply().ok();
}
