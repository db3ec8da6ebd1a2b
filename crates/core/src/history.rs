//! Utilization over time: every change to a pool's space records the pool's allocated and total
//! address counts, inside the transaction of the change, so the dashboard's chart never shows a
//! count that was rolled back. Changes within one second keep one row (the last), which bounds
//! the table by time rather than by the number of allocations.

use super::free::SqlFree;
use super::model::ProvidedSpace;
use super::{now_secs, Result};
use ipam_db::{params, Dialect, OptionalExtension, Tx};
use ipam_engine::{block_size, AddressFamily, FreeSpace};

/// One point of a pool's utilization history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPoint {
    /// Unix seconds.
    pub at: i64,
    pub allocated: u128,
    pub total: u128,
}

/// Records `pool_id`'s counts as they stand in `tx`. The provider-owned IPv6 pseudo-pool and
/// unknown ids are skipped: only real pools have a chart.
pub(crate) fn record(tx: &Tx, pool_id: &str) -> Result<()> {
    let family: Option<String> = tx
        .prepare_cached("SELECT family FROM pools WHERE id = ?1")?
        .query_row([pool_id], |r| r.get(0))
        .optional()?;
    let Some(family) = family.as_deref().and_then(AddressFamily::parse) else {
        return Ok(());
    };
    let mut lens = Vec::new();
    let mut stmt = tx.prepare_cached("SELECT len FROM pool_cidrs WHERE pool_id = ?1")?;
    for len in stmt.query_map([pool_id], |r| r.get::<_, i64>(0))? {
        lens.push(len? as u8);
    }
    record_known(tx, pool_id, family, lens)
}

/// A point replaces the pool's point of the same second (the last change of a second wins).
macro_rules! upsert {
    () => {
        "ON CONFLICT (pool_id, at) DO UPDATE SET allocated = excluded.allocated, total = excluded.total"
    };
}

/// [`record`] for a caller that has already read the pool's family and the prefix lengths of
/// its CIDRs (an allocation, a release): two queries fewer, while other writers of the pool
/// wait. The provider-owned IPv6 pseudo-pool is skipped here too.
pub(crate) fn record_known(
    tx: &Tx,
    pool_id: &str,
    family: AddressFamily,
    cidr_lens: impl IntoIterator<Item = u8>,
) -> Result<()> {
    if ProvidedSpace::from_pool_id(pool_id).is_some() {
        return Ok(());
    }
    let total = cidr_lens
        .into_iter()
        .map(|l| block_size(family, l))
        .fold(0, u128::saturating_add);
    match tx.dialect() {
        // The server counts the free space itself, in exact NUMERIC (an IPv6 pool's counts do
        // not fit 64 bits): no answer is awaited, so the point travels with the change's
        // other writes and its COMMIT instead of costing a round trip of its own.
        Dialect::Postgres => tx.defer(
            concat!(
                "INSERT INTO utilization_history (pool_id, at, allocated, total)
                 SELECT ?1, CAST(?2 AS BIGINT), CAST(trunc(CAST(CAST(?3 AS TEXT) AS NUMERIC) - COALESCE(SUM(power(CAST(2 AS NUMERIC), CAST(?4 AS BIGINT) - len)), 0)) AS TEXT), CAST(?3 AS TEXT)
                 FROM free_blocks WHERE pool_id = ?1 ",
                upsert!()
            ),
            params![pool_id, now_secs(), total.to_string(), family.bits()],
        ).map_err(crate::Error::from),
        Dialect::Sqlite => {
            let free = SqlFree::new(tx, pool_id)
                .counts()?
                .iter()
                .map(|(&l, &c)| c.saturating_mul(block_size(family, l)))
                .fold(0, u128::saturating_add);
            tx.defer(
                concat!(
                    "INSERT INTO utilization_history (pool_id, at, allocated, total) VALUES (?1, ?2, ?3, ?4) ",
                    upsert!()
                ),
                params![
                    pool_id,
                    now_secs(),
                    total.saturating_sub(free).to_string(),
                    total.to_string()
                ],
            ).map_err(crate::Error::from)
        }
    }
}

/// The newest `limit` points of `pool_id`, oldest first. A database whose schema predates the
/// history table (opened read-only, so not migrated) has no history: an empty list.
pub(crate) fn load(tx: &Tx, pool_id: &str, limit: u32) -> Result<Vec<HistoryPoint>> {
    if !tx.table_exists("utilization_history")? {
        return Ok(Vec::new());
    }
    let mut stmt = tx.prepare_cached(
        "SELECT at, allocated, total FROM utilization_history WHERE pool_id = ?1 ORDER BY at DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![pool_id, limit], |r| {
        Ok::<_, ipam_db::Error>((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, allocated, total) = row?;
        if let (Ok(allocated), Ok(total)) = (allocated.parse(), total.parse()) {
            out.push(HistoryPoint {
                at,
                allocated,
                total,
            });
        }
    }
    out.reverse();
    Ok(out)
}
