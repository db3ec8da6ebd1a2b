//! Versioned schema migrations. Each step runs once, in order, inside one transaction, and
//! records its version, so a database written by an older provider is brought forward on open.

use super::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// Each entry moves the schema from version `index` to `index + 1`. Append, never edit.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE ipams (
    id TEXT PRIMARY KEY,
    description TEXT,
    operating_regions TEXT NOT NULL,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    private_scope_id TEXT NOT NULL,
    public_scope_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE scopes (
    id TEXT PRIMARY KEY,
    ipam_id TEXT NOT NULL REFERENCES ipams(id),
    scope_type TEXT NOT NULL,
    is_default INTEGER NOT NULL,
    description TEXT,
    tags TEXT NOT NULL
);
CREATE INDEX scopes_by_ipam ON scopes(ipam_id);
CREATE TABLE pools (
    id TEXT PRIMARY KEY,
    ipam_id TEXT NOT NULL REFERENCES ipams(id),
    scope_id TEXT NOT NULL REFERENCES scopes(id),
    family TEXT NOT NULL,
    parent_id TEXT REFERENCES pools(id),
    locale TEXT,
    description TEXT,
    min_len INTEGER,
    max_len INTEGER,
    default_len INTEGER,
    allocation_tags TEXT NOT NULL,
    auto_import INTEGER NOT NULL,
    publicly_advertisable INTEGER,
    aws_service TEXT,
    tags TEXT NOT NULL,
    depth INTEGER NOT NULL,
    owner_id TEXT NOT NULL
);
CREATE INDEX pools_by_scope ON pools(scope_id);
CREATE INDEX pools_by_parent ON pools(parent_id);
CREATE INDEX pools_by_ipam ON pools(ipam_id);
-- A provisioned CIDR of a pool; a child pool's CIDR is also an allocation in its parent.
CREATE TABLE pool_cidrs (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    cidr TEXT NOT NULL,
    start BLOB NOT NULL,
    len INTEGER NOT NULL,
    source_allocation_id TEXT,
    UNIQUE (pool_id, cidr)
);
-- The buddy system's free blocks, by (pool, start) and by (pool, length, start).
CREATE TABLE free_blocks (
    pool_id TEXT NOT NULL,
    start BLOB NOT NULL,
    len INTEGER NOT NULL,
    PRIMARY KEY (pool_id, start)
) WITHOUT ROWID;
CREATE INDEX free_by_len ON free_blocks(pool_id, len, start);
CREATE TABLE allocations (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    cidr TEXT NOT NULL,
    start BLOB NOT NULL,
    len INTEGER NOT NULL,
    kind TEXT NOT NULL,
    resource_id TEXT,
    name TEXT,
    state TEXT NOT NULL,
    expires_at INTEGER,
    description TEXT,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX allocations_by_start ON allocations(pool_id, start);
CREATE UNIQUE INDEX allocations_by_name ON allocations(pool_id, name) WHERE name IS NOT NULL;
CREATE INDEX reservations ON allocations(pool_id, expires_at) WHERE state = 'reserved';
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);
"#,
    // 2: the blocks an allocation was told to avoid, so an imported allocation reads them back.
    "ALTER TABLE allocations ADD COLUMN disallowed TEXT NOT NULL DEFAULT '[]';",
    // 3: where each allocation came from (the directory and workspace Terraform ran in, and
    // when), so the blocks of an interrupted apply can be found and released.
    r#"
ALTER TABLE allocations ADD COLUMN origin_dir TEXT;
ALTER TABLE allocations ADD COLUMN origin_workspace TEXT;
ALTER TABLE allocations ADD COLUMN origin_at INTEGER;
CREATE INDEX allocations_by_origin ON allocations(origin_dir, origin_workspace);
"#,
    // 4: utilization history for the dashboard's chart (store/history.rs): counts as decimal
    // text, since an IPv6 pool's counts exceed SQLite's 64-bit integers.
    "CREATE TABLE utilization_history (pool_id TEXT NOT NULL, at INTEGER NOT NULL, allocated TEXT NOT NULL, total TEXT NOT NULL, PRIMARY KEY (pool_id, at)) WITHOUT ROWID;",
    // 5: resource discoveries, their IPAM associations and the last scan of each.
    r#"
CREATE TABLE resource_discoveries (
    id TEXT PRIMARY KEY,
    description TEXT,
    operating_regions TEXT NOT NULL,
    tags TEXT NOT NULL,
    excluded TEXT NOT NULL,
    sources TEXT NOT NULL,
    base_dir TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    home_region TEXT NOT NULL,
    last_scanned INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE resource_discovery_associations (
    id TEXT PRIMARY KEY,
    discovery_id TEXT NOT NULL REFERENCES resource_discoveries(id),
    ipam_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (discovery_id, ipam_id)
);
CREATE TABLE discovered_cidrs (
    discovery_id TEXT NOT NULL REFERENCES resource_discoveries(id),
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    cidr TEXT NOT NULL,
    owner_id TEXT,
    region TEXT,
    vpc_id TEXT,
    name TEXT,
    source TEXT NOT NULL,
    pool_id TEXT,
    compliance_status TEXT,
    overlap_status TEXT NOT NULL,
    ip_usage REAL,
    scanned_at INTEGER NOT NULL
);
CREATE INDEX discovered_by_discovery ON discovered_cidrs(discovery_id);
"#,
    // 6: resource planning pools: the resource (a VPC allocation) a pool draws its space from.
    r#"
CREATE TABLE pool_sources (
    pool_id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_owner TEXT NOT NULL,
    resource_region TEXT NOT NULL
);
CREATE TRIGGER pool_sources_follow_pools AFTER DELETE ON pools
BEGIN
    DELETE FROM pool_sources WHERE pool_id = OLD.id;
END;
"#,
    // 7: organizations and sharing (store/organization.rs, store/share.rs). Every row names
    // the account that owns it (`owner_id`), so a server database can enforce the same rules
    // with row-level security keyed on the login role's account.
    r#"
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    root_id TEXT NOT NULL UNIQUE,
    management_account_id TEXT NOT NULL,
    delegated_admin_account_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE organizational_units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX organizational_units_by_parent ON organizational_units(parent_id);
CREATE TABLE organization_accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    database_role TEXT UNIQUE,
    owner_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE resource_shares (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allow_external_principals INTEGER NOT NULL,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE resource_share_pools (
    share_id TEXT NOT NULL REFERENCES resource_shares(id),
    pool_id TEXT NOT NULL,
    PRIMARY KEY (share_id, pool_id)
) WITHOUT ROWID;
CREATE INDEX resource_share_pools_by_pool ON resource_share_pools(pool_id);
CREATE TABLE resource_share_principals (
    share_id TEXT NOT NULL REFERENCES resource_shares(id),
    principal TEXT NOT NULL,
    PRIMARY KEY (share_id, principal)
) WITHOUT ROWID;
"#,
    // 8: PostgreSQL's team-role guards (see PG_MIGRATIONS); SQLite trusts whoever writes the
    // file, so nothing to add.
    "-- nothing to do on SQLite",
    // 9: PostgreSQL's guards skip the roles they do not bind (see PG_MIGRATIONS).
    "-- nothing to do on SQLite",
    // 10: PostgreSQL's exclusion constraint, reordered (see PG_MIGRATIONS).
    "-- nothing to do on SQLite",
    // 11: each audit event names the pool it concerns (the pool itself, or the pool of the
    // CIDR or allocation it changed), indexed, so a pool's events (the dashboard's pool page)
    // and an object's (`audit --object`) are index lookups, not a scan of the whole log.
    r#"
ALTER TABLE audit_events ADD COLUMN pool_id TEXT;
UPDATE audit_events SET pool_id = COALESCE(
    json_extract(after, '$.pool_id'), json_extract(before, '$.pool_id'),
    CASE WHEN object_id LIKE 'ipam-pool-%' THEN object_id END);
CREATE INDEX audit_by_pool ON audit_events(pool_id, seq);
CREATE INDEX audit_by_object ON audit_events(object_id, seq);
"#,
    // 12: PostgreSQL's guards without the holes of issue 21 (see PG_MIGRATIONS); SQLite trusts
    // whoever writes the file, so nothing to add.
    "-- nothing to do on SQLite",
    // 13: each allocation names the Terraform state it was made for (a hash of the backend's
    // type and location, see origin.rs), so `orphans` never takes another state's allocations
    // for its own; a discovered CIDR says why it was not adopted (`reason`, issue 20 item 6);
    // and a file `migrate --to` copied elsewhere records where it moved, so every
    // later write is refused (store/moved.rs). An older provider refuses this version, so it
    // cannot write to a moved file either.
    r#"
ALTER TABLE allocations ADD COLUMN origin_state TEXT;
CREATE INDEX allocations_by_state ON allocations(origin_state, origin_workspace);
CREATE TABLE moved_to (url TEXT NOT NULL, at INTEGER NOT NULL);
ALTER TABLE discovered_cidrs ADD COLUMN reason TEXT;
"#,
];

/// The same versions in PostgreSQL's spelling: `BIGINT` integers, `BYTEA` keys, an identity
/// column for the audit sequence, and the exclusion constraint that makes an overlap within a
/// pool impossible to store whatever the code above does. Entry `i` matches `MIGRATIONS[i]`.
const PG_MIGRATIONS: &[&str] = &[
    r#"
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE ipams (
    id TEXT PRIMARY KEY,
    description TEXT,
    operating_regions TEXT NOT NULL,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    private_scope_id TEXT NOT NULL,
    public_scope_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE scopes (
    id TEXT PRIMARY KEY,
    ipam_id TEXT NOT NULL REFERENCES ipams(id),
    scope_type TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    description TEXT,
    tags TEXT NOT NULL
);
CREATE INDEX scopes_by_ipam ON scopes(ipam_id);
CREATE TABLE pools (
    id TEXT PRIMARY KEY,
    ipam_id TEXT NOT NULL REFERENCES ipams(id),
    scope_id TEXT NOT NULL REFERENCES scopes(id),
    family TEXT NOT NULL,
    parent_id TEXT REFERENCES pools(id),
    locale TEXT,
    description TEXT,
    min_len BIGINT,
    max_len BIGINT,
    default_len BIGINT,
    allocation_tags TEXT NOT NULL,
    auto_import BIGINT NOT NULL,
    publicly_advertisable BIGINT,
    aws_service TEXT,
    tags TEXT NOT NULL,
    depth BIGINT NOT NULL,
    owner_id TEXT NOT NULL
);
CREATE INDEX pools_by_scope ON pools(scope_id);
CREATE INDEX pools_by_parent ON pools(parent_id);
CREATE INDEX pools_by_ipam ON pools(ipam_id);
CREATE TABLE pool_cidrs (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    cidr TEXT NOT NULL,
    start BYTEA NOT NULL,
    len BIGINT NOT NULL,
    source_allocation_id TEXT,
    UNIQUE (pool_id, cidr)
);
CREATE TABLE free_blocks (
    pool_id TEXT NOT NULL,
    start BYTEA NOT NULL,
    len BIGINT NOT NULL,
    PRIMARY KEY (pool_id, start)
);
CREATE INDEX free_by_len ON free_blocks(pool_id, len, start);
CREATE TABLE allocations (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    cidr TEXT NOT NULL,
    start BYTEA NOT NULL,
    len BIGINT NOT NULL,
    kind TEXT NOT NULL,
    resource_id TEXT,
    name TEXT,
    state TEXT NOT NULL,
    expires_at BIGINT,
    description TEXT,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    net cidr GENERATED ALWAYS AS (cidr::cidr) STORED,
    CONSTRAINT allocations_no_overlap EXCLUDE USING gist (pool_id WITH =, net inet_ops WITH &&)
);
CREATE UNIQUE INDEX allocations_by_start ON allocations(pool_id, start);
CREATE UNIQUE INDEX allocations_by_name ON allocations(pool_id, name) WHERE name IS NOT NULL;
CREATE INDEX reservations ON allocations(pool_id, expires_at) WHERE state = 'reserved';
CREATE TABLE audit_events (
    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);
"#,
    "ALTER TABLE allocations ADD COLUMN disallowed TEXT NOT NULL DEFAULT '[]';",
    r#"
ALTER TABLE allocations ADD COLUMN origin_dir TEXT;
ALTER TABLE allocations ADD COLUMN origin_workspace TEXT;
ALTER TABLE allocations ADD COLUMN origin_at BIGINT;
CREATE INDEX allocations_by_origin ON allocations(origin_dir, origin_workspace);
"#,
    "CREATE TABLE utilization_history (pool_id TEXT NOT NULL, at BIGINT NOT NULL, allocated TEXT NOT NULL, total TEXT NOT NULL, PRIMARY KEY (pool_id, at));",
    // 5: resource discoveries, their IPAM associations and the last scan of each.
    r#"
CREATE TABLE resource_discoveries (
    id TEXT PRIMARY KEY,
    description TEXT,
    operating_regions TEXT NOT NULL,
    tags TEXT NOT NULL,
    excluded TEXT NOT NULL,
    sources TEXT NOT NULL,
    base_dir TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    home_region TEXT NOT NULL,
    last_scanned BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE resource_discovery_associations (
    id TEXT PRIMARY KEY,
    discovery_id TEXT NOT NULL REFERENCES resource_discoveries(id),
    ipam_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (discovery_id, ipam_id)
);
CREATE TABLE discovered_cidrs (
    discovery_id TEXT NOT NULL REFERENCES resource_discoveries(id),
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    cidr TEXT NOT NULL,
    owner_id TEXT,
    region TEXT,
    vpc_id TEXT,
    name TEXT,
    source TEXT NOT NULL,
    pool_id TEXT,
    compliance_status TEXT,
    overlap_status TEXT NOT NULL,
    ip_usage DOUBLE PRECISION,
    scanned_at BIGINT NOT NULL
);
CREATE INDEX discovered_by_discovery ON discovered_cidrs(discovery_id);
"#,
    // 6: a pool's row goes with the pool, as SQLite's trigger does it (a foreign key would
    // also refuse a row for a pool that does not exist, which the store never writes).
    r#"
CREATE TABLE pool_sources (
    pool_id TEXT PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_owner TEXT NOT NULL,
    resource_region TEXT NOT NULL
);
"#,
    // 7: organizations and sharing (store/organization.rs, store/share.rs).
    r#"
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    root_id TEXT NOT NULL UNIQUE,
    management_account_id TEXT NOT NULL,
    delegated_admin_account_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE organizational_units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX organizational_units_by_parent ON organizational_units(parent_id);
CREATE TABLE organization_accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    database_role TEXT UNIQUE,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE resource_shares (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allow_external_principals BIGINT NOT NULL,
    tags TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE resource_share_pools (
    share_id TEXT NOT NULL REFERENCES resource_shares(id),
    pool_id TEXT NOT NULL,
    PRIMARY KEY (share_id, pool_id)
);
CREATE INDEX resource_share_pools_by_pool ON resource_share_pools(pool_id);
CREATE TABLE resource_share_principals (
    share_id TEXT NOT NULL REFERENCES resource_shares(id),
    principal TEXT NOT NULL,
    PRIMARY KEY (share_id, principal)
);
"#,
    // 8: the database enforces the organization's rules for team roles (login roles mapped by
    // organization_accounts.database_role), whatever client they use; see pg_guards.sql.
    include_str!("pg_guards.sql"),
    // 9: the same guards, skipped before their functions run for the roles they do not bind
    // (the usual login), since every allocation's writes pay for them under the pool's lock.
    include_str!("pg_guard_filters.sql"),
    // 10: the exclusion constraint's index leads with the address, not the pool: the same
    // guarantee (two allocations conflict when their blocks overlap and their pools are the
    // same), but a GiST index whose first column is one value for a whole pool splits its
    // pages on it poorly, and every allocation's insert pays in the pool's lock (about 8% of
    // `cargo bench --bench backends`' 8-client figure).
    r#"
ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap;
ALTER TABLE allocations ADD CONSTRAINT allocations_no_overlap
    EXCLUDE USING gist (net inet_ops WITH &&, pool_id WITH =);
"#,
    r#"
ALTER TABLE audit_events ADD COLUMN pool_id TEXT;
UPDATE audit_events SET pool_id = COALESCE(
    CAST(after AS jsonb) ->> 'pool_id', CAST(before AS jsonb) ->> 'pool_id',
    CASE WHEN object_id LIKE 'ipam-pool-%' THEN object_id END);
CREATE INDEX audit_by_pool ON audit_events(pool_id, seq);
CREATE INDEX audit_by_object ON audit_events(object_id, seq);
"#,
    // 12: the guards bound every guarded role, the IPAM admin's included: the audit log's
    // numbers, a pool's space checked at commit, utilization history; see pg_guard_bounds.sql.
    include_str!("pg_guard_bounds.sql"),
    // 13: the allocation's state and a discovered CIDR's reason (see MIGRATIONS[12]); a
    // PostgreSQL database is never marked as moved (only SQLite files are retired).
    r#"
ALTER TABLE allocations ADD COLUMN origin_state TEXT;
CREATE INDEX allocations_by_state ON allocations(origin_state, origin_workspace);
ALTER TABLE discovered_cidrs ADD COLUMN reason TEXT;
"#,
];

/// The advisory lock two first users of an empty PostgreSQL database queue on while one of
/// them creates the schema.
pub(crate) const PG_MIGRATE_LOCK: i64 = 0x4950_414e;

/// The schema version of a PostgreSQL database (0 when it has none yet), read without a lock.
fn pg_version(conn: &mut super::pg::PgConn) -> Result<i64> {
    let rows =
        conn.query("SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN -1 ELSE 0 END")?;
    if rows[0].get::<_, i32>(0) < 0 {
        return Ok(0);
    }
    let v: Option<i64> = conn.query("SELECT MAX(version) FROM schema_version")?[0].get(0);
    Ok(v.unwrap_or(0))
}

/// Creates or brings forward the schema of a PostgreSQL database. Two processes arriving at
/// an empty database at once queue on an advisory lock; the second finds the work done. An
/// up-to-date database is only read (it may be a read-only replica).
pub fn migrate_pg(conn: &mut super::pg::PgConn) -> Result<()> {
    use futures_util::FutureExt;
    let display = conn.display().to_string();
    let newer = move |found| Error::NewerSchema {
        path: display.clone(),
        found,
        supported: latest(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let current = pg_version(conn)?;
    if current > latest() {
        return Err(newer(current));
    }
    if current == latest() {
        return Ok(());
    }
    conn.run(|client| {
        async move {
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_MIGRATE_LOCK])
                .await?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                .await?;
            let current: i64 = tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
                .await?
                .get(0);
            if current > latest() {
                return Err(newer(current));
            }
            for (i, sql) in PG_MIGRATIONS
                .iter()
                .enumerate()
                .skip(current.max(0) as usize)
            {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&(i as i64 + 1)],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .boxed()
    })
}

/// The schema version recorded in the database (0 for a new file), read without a write lock.
fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_table = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !has_table {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )
}

/// Brings an in-memory or unnamed database up to date (tests).
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_file(conn, "(database)")
}

/// Brings the database named `path` up to date. A newer schema is refused, naming both
/// versions; an up-to-date database is not written to (it may be read-only).
pub fn migrate_file(conn: &mut Connection, path: &str) -> Result<()> {
    let open_err = |source| Error::Open {
        path: path.to_string(),
        source,
    };
    let newer = |found| Error::NewerSchema {
        path: path.to_string(),
        found,
        supported: latest(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let current = version(conn).map_err(open_err)?;
    if current > latest() {
        return Err(newer(current));
    }
    if current == latest() {
        return Ok(());
    }
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(open_err)? {
        return Err(Error::Refused(format!(
            "the database {path} has schema version {current} and this provider must upgrade it to {}, but the file is read-only: open it once with write access",
            latest()
        )));
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(open_err)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(open_err)?;
    // Another process may have migrated while this one waited for the lock.
    let current = version(&tx).map_err(open_err)?;
    if current > latest() {
        return Err(newer(current));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        tx.execute_batch(sql).map_err(open_err)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i as i64 + 1],
        )
        .map_err(open_err)?;
    }
    tx.commit().map_err(open_err)
}

/// The schema version this build writes.
pub fn latest() -> i64 {
    debug_assert_eq!(MIGRATIONS.len(), PG_MIGRATIONS.len());
    MIGRATIONS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_in_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A database written by the first release: only migration 1.
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);")
            .unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, latest());
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, latest());
        conn.execute_batch("SELECT disallowed, origin_dir FROM allocations")
            .unwrap();
    }

    #[test]
    fn older_audit_events_learn_their_pool() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL);")
            .unwrap();
        for (i, sql) in MIGRATIONS.iter().enumerate().take(10) {
            conn.execute_batch(sql).unwrap();
            conn.execute("INSERT INTO schema_version VALUES (?1)", [i as i64 + 1])
                .unwrap();
        }
        let events = [
            (
                "ipam-pool-1",
                None,
                Some(r#"{"id":"ipam-pool-1","parent_id":null}"#),
            ),
            (
                "ipam-pool-cidr-2",
                None,
                Some(r#"{"pool_id":"ipam-pool-1","cidr":"10.0.0.0/8"}"#),
            ),
            (
                "ipam-pool-alloc-3",
                Some(r#"{"id":"ipam-pool-alloc-3","pool_id":"ipam-pool-9"}"#),
                None,
            ),
            ("ipam-4", None, Some(r#"{"id":"ipam-4"}"#)),
        ];
        for (object, before, after) in events {
            conn.execute(
                "INSERT INTO audit_events (at, account_id, action, object_id, before, after) VALUES (0, 'a', 'x', ?1, ?2, ?3)",
                rusqlite::params![object, before, after],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let pools: Vec<Option<String>> = conn
            .prepare("SELECT pool_id FROM audit_events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            pools,
            [
                Some("ipam-pool-1"),
                Some("ipam-pool-1"),
                Some("ipam-pool-9"),
                None
            ]
            .map(|p| p.map(String::from))
        );
    }

    #[test]
    fn a_newer_schema_is_refused_naming_both_versions() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [latest() + 5],
        )
        .unwrap();
        let e = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(e, Error::NewerSchema { found, supported, .. } if found == latest() + 5 && supported == latest())
        );
        let text = e.to_string();
        assert!(
            text.contains(&format!("version {}", latest() + 5)),
            "{text}"
        );
        assert!(text.contains(&format!("version {}", latest())), "{text}");
    }
}
