//! A SQLite file that `migrate --to` copied elsewhere is retired: the copy records in the file
//! where it moved (the URL without its password), and from then on every write transaction on
//! the file is refused naming that URL, so a pipeline still pointing at the file cannot hand
//! out a block the new database has already given someone else. Reads go on working (a plan
//! with no change, `allocations`, `serve`).
//!
//! The mark is written in the same transaction that read the snapshot the copy was made from,
//! holding the file's write lock throughout: no write lands between the snapshot and the mark.
//! An older provider cannot write either: the mark's table came with schema version 13, which
//! it refuses to open.

use super::{Error, Result};
use ipam_db::{OptionalExtension, Tx};

/// Refuses a write transaction on a file that was migrated elsewhere (SQLite only: a
/// PostgreSQL database is never marked).
pub(crate) fn check(tx: &Tx) -> Result<()> {
    if tx.dialect() != ipam_db::Dialect::Sqlite {
        return Ok(());
    }
    let moved: Option<(String, i64)> = tx
        .prepare_cached("SELECT url, at FROM moved_to ORDER BY at DESC LIMIT 1")?
        .query_row((), |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)))
        .optional()?;
    match moved {
        Some((url, at)) => Err(Error::Moved { url, at }),
        None => Ok(()),
    }
}

/// Marks the file as moved to `url` (stored without its password).
pub(crate) fn mark(tx: &Tx, url: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO moved_to (url, at) VALUES (?1, ?2)",
        ipam_db::params![ipam_db::redact(url), super::now_secs()],
    )?;
    Ok(())
}
