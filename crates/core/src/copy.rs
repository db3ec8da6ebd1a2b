//! Copying a whole IPAM from one database into another (`terraform-provider-ipam migrate`):
//! every row of every table, ids, audit sequence numbers, reservations, history and origins
//! kept, in one transaction of the target, which must be empty. Then the row counts of both
//! are compared, so a copy that lost anything is reported, not trusted.
//!
//! A SQLite source is read in a write transaction: its write lock is held from the snapshot
//! the copy is made of until the source is marked as moved ([`super::moved`]), so no change
//! lands in the file after the snapshot, and none after the copy either.

use super::{Error, Result, Store};
use ipam_db::{Dialect, OptionalExtension, Tx};

/// The tables in an order that satisfies their references, with the columns copied (the
/// PostgreSQL-only generated `net` column is computed by the target).
const TABLES: &[(&str, &str, &str)] = &[
    ("ipams", "id, description, operating_regions, tags, owner_id, private_scope_id, public_scope_id, created_at", "id"),
    ("scopes", "id, ipam_id, scope_type, is_default, description, tags", "id"),
    ("pools", "id, ipam_id, scope_id, family, parent_id, locale, description, min_len, max_len, default_len, allocation_tags, auto_import, publicly_advertisable, aws_service, tags, depth, owner_id", "depth, id"),
    ("pool_cidrs", "id, pool_id, cidr, start, len, source_allocation_id", "id"),
    ("free_blocks", "pool_id, start, len", "pool_id, start"),
    ("allocations", "id, pool_id, cidr, start, len, kind, resource_id, name, state, expires_at, description, tags, owner_id, region, created_at, disallowed, origin_dir, origin_workspace, origin_at, origin_state", "id"),
    ("audit_events", "seq, at, account_id, action, object_id, before, after, pool_id", "seq"),
    ("utilization_history", "pool_id, at, allocated, total", "pool_id, at"),
    ("resource_discoveries", "id, description, operating_regions, tags, excluded, sources, base_dir, owner_id, home_region, last_scanned, created_at", "id"),
    ("resource_discovery_associations", "id, discovery_id, ipam_id, owner_id, created_at", "id"),
    ("discovered_cidrs", "discovery_id, resource_id, resource_type, cidr, owner_id, region, vpc_id, name, source, pool_id, compliance_status, overlap_status, ip_usage, scanned_at, reason", "discovery_id, scanned_at, resource_id, cidr"),
    ("pool_sources", "pool_id, resource_id, resource_type, resource_owner, resource_region", "pool_id"),
    ("organizations", "id, root_id, management_account_id, delegated_admin_account_id, created_at", "id"),
    ("organizational_units", "id, name, parent_id, owner_id, created_at", "id"),
    ("organization_accounts", "account_id, name, parent_id, database_role, owner_id, created_at", "account_id"),
    ("resource_shares", "id, name, allow_external_principals, tags, owner_id, created_at", "id"),
    ("resource_share_pools", "share_id, pool_id", "share_id, pool_id"),
    ("resource_share_principals", "share_id, principal", "share_id, principal"),
];

/// How many rows each table holds, in [`TABLES`] order.
fn counts(tx: &Tx) -> Result<Vec<(&'static str, i64)>> {
    TABLES
        .iter()
        .map(|(t, _, _)| {
            tx.query_row(&format!("SELECT COUNT(*) FROM {t}"), (), |r| r.get(0))
                .map(|n| (*t, n))
                .map_err(Error::from)
        })
        .collect()
}

/// What a copy moved: each table and its row count (equal in both databases).
pub type CopyReport = Vec<(&'static str, i64)>;

impl Store {
    /// Copies everything this database holds into `target`, which must hold nothing yet, and
    /// retires this database when it is a SQLite file: marked as moved to `target_url`, in
    /// the transaction that read it. A PostgreSQL source is only read (nothing marks it).
    pub fn copy_into(&self, target: &Store, target_url: &str) -> Result<CopyReport> {
        if self.dialect() == Dialect::Postgres {
            return self.read(|src| copy(src, target));
        }
        self.write(|src| {
            let report = copy(src, target)?;
            // The copy has committed: from here a failure must not pass for "nothing copied".
            super::moved::mark(src, target_url).map_err(|e| {
                Error::Inconsistent(format!(
                    "the copy was committed to {}, but this file could not be marked as moved ({e}); nothing stops a write to it now: stop every Terraform run and tool that uses it, and point them at the new database",
                    ipam_db::redact(target_url)
                ))
            })?;
            Ok(report)
        })
    }
}

/// An allocation of the retired file that the database it moved to does not hold as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub id: String,
    pub pool_id: String,
    pub cidr: String,
}

impl Store {
    /// Marks this SQLite file as moved to `target_url` without copying: for a file `migrate`
    /// copied before copies retired their source. Returns the file's allocations `target`
    /// lacks (or holds with another CIDR): made after that copy, they may duplicate a block the
    /// new database handed out since, and need a person's decision. The file is retired
    /// whatever they are: leaving it writable would only let more diverge.
    pub fn retire_into(&self, target: &Store, target_url: &str) -> Result<Vec<Divergence>> {
        if self.dialect() == Dialect::Postgres {
            return Err(Error::Refused(
                "--retire marks a SQLite file; this database is a PostgreSQL server".into(),
            ));
        }
        self.write(|src| {
            let mut stmt =
                src.prepare_cached("SELECT id, pool_id, cidr FROM allocations ORDER BY id")?;
            let mine: Vec<(String, String, String)> = stmt
                .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_>>()?;
            let diverged = target.read(|dst| {
                let mut lookup =
                    dst.prepare_cached("SELECT pool_id, cidr FROM allocations WHERE id = ?1")?;
                let mut out = Vec::new();
                for (id, pool_id, cidr) in &mine {
                    let there: Option<(String, String)> = lookup
                        .query_row([id], |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    if there.as_ref() != Some(&(pool_id.clone(), cidr.clone())) {
                        out.push(Divergence {
                            id: id.clone(),
                            pool_id: pool_id.clone(),
                            cidr: cidr.clone(),
                        });
                    }
                }
                Ok(out)
            })?;
            super::moved::mark(src, target_url)?;
            Ok(diverged)
        })
    }
}

/// Copies `src`'s rows into `target` in one transaction of the target.
fn copy(src: &Tx, target: &Store) -> Result<CopyReport> {
    let source_counts = counts(src)?;
    target.write(|dst| {
        let existing: i64 = counts(dst)?.iter().map(|(_, n)| n).sum();
        if existing > 0 {
            return Err(Error::Refused(format!(
                "the target database already holds {existing} rows of an IPAM; migrate copies into an empty database only (drop and recreate it, or choose another)"
            )));
        }
        for (table, columns, order) in TABLES {
            let n = columns.split(',').count();
            let placeholders: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
            let insert = format!(
                "INSERT INTO {table} ({columns}) VALUES ({})",
                placeholders.join(", ")
            );
            let mut stmt = src.prepare_cached(&format!(
                "SELECT {columns} FROM {table} ORDER BY {order}"
            ))?;
            let rows = stmt.query_rows(())?;
            let mut ins = dst.prepare_cached(&insert)?;
            for row in rows {
                ins.execute(row.into_values())?;
            }
        }
        if dst.dialect() == Dialect::Postgres {
            // New audit events continue after the copied sequence numbers.
            dst.execute_batch(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), COALESCE((SELECT MAX(seq) FROM audit_events), 0) + 1, false)",
            )?;
        }
        let copied = counts(dst)?;
        if copied != source_counts {
            return Err(Error::Inconsistent(format!(
                "the copy does not match the source (source {source_counts:?}, copy {copied:?}); nothing was kept"
            )));
        }
        Ok(copied)
    })
}
