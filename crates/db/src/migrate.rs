//! The migration runner: brings a database's schema forward, one step at a time, each step once
//! and in order, all in one transaction that records the versions it reached. What the steps
//! say is the caller's ([`Schema`]); this module knows only versions.

use crate::locks::PG_MIGRATE_LOCK;
use crate::pg::PgConn;
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// A schema as its steps: step `i` moves a database from version `i` to `i + 1`, in each
/// dialect's spelling. Append, never edit: a database records which steps it has run.
#[derive(Clone, Copy, Debug)]
pub struct Schema {
    pub sqlite: &'static [&'static str],
    pub postgres: &'static [&'static str],
}

impl Schema {
    /// The version a database reaches after every step.
    pub fn latest(&self) -> i64 {
        debug_assert_eq!(self.sqlite.len(), self.postgres.len());
        self.sqlite.len() as i64
    }

    /// The first `version` steps only (a database as an older build left it: tests).
    pub fn up_to(&self, version: usize) -> Schema {
        Schema {
            sqlite: &self.sqlite[..version],
            postgres: &self.postgres[..version],
        }
    }

    fn newer(&self, database: &str, found: i64) -> Error {
        Error::NewerSchema {
            database: database.to_string(),
            found,
            supported: self.latest(),
        }
    }
}

/// The schema version of a PostgreSQL database, read without a lock: `None` when it has no
/// version table at all.
pub(crate) fn pg_version(conn: &mut PgConn) -> Result<Option<i64>> {
    let rows =
        conn.query("SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN -1 ELSE 0 END")?;
    if rows[0].get::<_, i32>(0) < 0 {
        return Ok(None);
    }
    let v: Option<i64> = conn.query("SELECT MAX(version) FROM schema_version")?[0].get(0);
    Ok(Some(v.unwrap_or(0)))
}

/// Creates or brings forward the schema of a PostgreSQL database. Two processes arriving at
/// an empty database at once queue on an advisory lock; the second finds the work done. An
/// up-to-date database is only read (it may be a read-only replica).
pub(crate) fn migrate_pg(conn: &mut PgConn, schema: &Schema) -> Result<()> {
    use futures_util::FutureExt;
    let display = conn.display().to_string();
    let current = pg_version(conn)?.unwrap_or(0);
    if current > schema.latest() {
        return Err(schema.newer(&display, current));
    }
    if current == schema.latest() {
        return Ok(());
    }
    let schema = *schema;
    conn.run(move |client| {
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
            if current > schema.latest() {
                return Err(schema.newer(&display, current));
            }
            for (i, sql) in schema
                .postgres
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

/// The schema version recorded in a SQLite database (0 for a new file), read without a write
/// lock; `None` when it has no version table.
pub(crate) fn sqlite_version(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    let has_table = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !has_table {
        return Ok(None);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )
    .map(Some)
}

/// Brings the SQLite database named `path` up to date. A newer schema is refused, naming both
/// versions; an up-to-date database is not written to (it may be read-only).
pub(crate) fn migrate_sqlite(conn: &mut Connection, path: &str, schema: &Schema) -> Result<()> {
    let open_err = |e: rusqlite::Error| crate::error::open_error(path, e);
    let current = sqlite_version(conn).map_err(open_err)?.unwrap_or(0);
    if current > schema.latest() {
        return Err(schema.newer(path, current));
    }
    if current == schema.latest() {
        return Ok(());
    }
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(open_err)? {
        return Err(Error::UpgradeNeedsWrite {
            database: path.to_string(),
            found: current,
            latest: schema.latest(),
        });
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(open_err)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(open_err)?;
    // Another process may have migrated while this one waited for the lock.
    let current = sqlite_version(&tx).map_err(open_err)?.unwrap_or(0);
    if current > schema.latest() {
        return Err(schema.newer(path, current));
    }
    for (i, sql) in schema
        .sqlite
        .iter()
        .enumerate()
        .skip(current.max(0) as usize)
    {
        tx.execute_batch(sql).map_err(open_err)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i as i64 + 1],
        )
        .map_err(open_err)?;
    }
    tx.commit().map_err(open_err)
}
