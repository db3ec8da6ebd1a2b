//! The schema, as versioned steps in both dialects. The runner ([`ipam_db::migrate`]) runs
//! each step once, in order, inside one transaction, and records its version, so a database
//! written by an older provider is brought forward on open.

use ipam_db::Schema;

/// The schema this build writes and reads.
pub const SCHEMA: Schema = Schema {
    sqlite: MIGRATIONS,
    postgres: PG_MIGRATIONS,
};

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
    // 4: utilization history for the dashboard's chart (history.rs): counts as decimal
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
    // 7: organizations and sharing (organization.rs, share.rs, authority.rs). Every row names
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
    // later write is refused (moved.rs). An older provider refuses this version, so it
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
    // 7: organizations and sharing (organization.rs, share.rs, authority.rs).
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

/// The schema version this build writes.
pub fn latest() -> i64 {
    SCHEMA.latest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipam_db::{params, Database, Location, Lock, Mode, Tx};
    use std::time::Duration;

    fn open(path: &std::path::Path, schema: &Schema) -> ipam_db::Result<Database> {
        Database::open(
            &Location::Sqlite(path.to_path_buf()),
            schema,
            Duration::from_secs(5),
        )
    }

    fn read<T>(db: &Database, f: impl FnMut(&Tx) -> ipam_db::Result<T>) -> T {
        db.transaction(Mode::Read, Lock::All, f).unwrap()
    }

    #[test]
    fn migrations_run_once_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        // A database written by the first release: only migration 1.
        drop(open(&path, &SCHEMA.up_to(1)).unwrap());
        drop(open(&path, &SCHEMA).unwrap());
        let db = open(&path, &SCHEMA).unwrap();
        let (v, rows): (i64, i64) = read(&db, |tx| {
            tx.query_row(
                "SELECT MAX(version), COUNT(*) FROM schema_version",
                (),
                |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)),
            )
        });
        assert_eq!(v, latest());
        assert_eq!(rows, latest());
        read(&db, |tx| {
            tx.execute_batch("SELECT disallowed, origin_dir FROM allocations")
        });
    }

    #[test]
    fn older_audit_events_learn_their_pool() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let old = open(&path, &SCHEMA.up_to(10)).unwrap();
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
        old.transaction(Mode::Write, Lock::All, |tx| {
            for (object, before, after) in events {
                tx.execute(
                    "INSERT INTO audit_events (at, account_id, action, object_id, before, after) VALUES (0, 'a', 'x', ?1, ?2, ?3)",
                    params![object, before, after],
                )?;
            }
            Ok::<_, ipam_db::Error>(())
        })
        .unwrap();
        drop(old);
        let db = open(&path, &SCHEMA).unwrap();
        let pools: Vec<Option<String>> = read(&db, |tx| {
            tx.prepare_cached("SELECT pool_id FROM audit_events ORDER BY seq")?
                .query_map((), |r| r.get(0))?
                .collect()
        });
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let db = open(&path, &SCHEMA).unwrap();
        db.transaction(Mode::Write, Lock::All, |tx| {
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [latest() + 5],
            )
        })
        .unwrap();
        drop(db);
        let e = open(&path, &SCHEMA)
            .err()
            .expect("a newer schema is refused");
        assert!(
            matches!(e, ipam_db::Error::NewerSchema { found, supported, .. } if found == latest() + 5 && supported == latest())
        );
        let text = e.to_string();
        assert!(
            text.contains(&format!("version {}", latest() + 5)),
            "{text}"
        );
        assert!(text.contains(&format!("version {}", latest())), "{text}");
    }
}
