//! The buddy system's free-block index in SQLite: the engine's [`FreeSpace`] over one pool's
//! rows, inside the caller's transaction. Every lookup is one indexed range query.

use super::Result;
use ipam_db::{params, Dialect, OptionalExtension, Tx};
use ipam_engine::{Block, FreeSpace};
use std::collections::BTreeMap;

/// u128 as 16 big-endian bytes: SQLite compares BLOBs bytewise, so order is numeric order.
pub fn key(v: u128) -> [u8; 16] {
    v.to_be_bytes()
}

pub fn unkey(b: &[u8]) -> u128 {
    let mut a = [0u8; 16];
    let n = b.len().min(16);
    a[16 - n..].copy_from_slice(&b[b.len() - n..]);
    u128::from_be_bytes(a)
}

/// The pool's `n` largest free blocks that start within `starts`, largest (then lowest)
/// first: what an exhausted request is told it could have, and what a pool's page offers.
/// One indexed walk of `free_by_len` (pool, len, start).
pub(crate) fn largest(
    tx: &Tx,
    pool_id: &str,
    family: ipam_engine::AddressFamily,
    starts: std::ops::RangeInclusive<u128>,
    n: u32,
) -> Result<Vec<ipam_engine::Cidr>> {
    let mut stmt = tx.prepare_cached(
        "SELECT start, len FROM free_blocks WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3
         ORDER BY len, start LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![pool_id, key(*starts.start()), key(*starts.end()), n],
        |r| Ok::<_, ipam_db::Error>((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)),
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (start, len) = row?;
        out.push(ipam_engine::Cidr::from_start(
            family,
            unkey(&start),
            len as u8,
        ));
    }
    Ok(out)
}

/// The lowest free block of each prefix length from ?2 to ?3 of pool ?1 (PostgreSQL).
const FIRSTS_SQL: &str =
    "SELECT l.len, b.start FROM generate_series(CAST(?2 AS BIGINT), CAST(?3 AS BIGINT)) AS l(len)
     CROSS JOIN LATERAL (SELECT start FROM free_blocks
         WHERE pool_id = ?1 AND len = l.len ORDER BY start LIMIT 1) AS b";

pub struct SqlFree<'t, 'a> {
    pub tx: &'t Tx<'a>,
    pub pool_id: &'t str,
    /// On PostgreSQL: the lowest free block of every prefix length from some length up, read
    /// in one query, since every lookup is a round trip to the server and the allocator asks
    /// for one per length. Forgotten on every change to the index.
    firsts: Option<(u8, u8, BTreeMap<u8, Block>)>,
    /// The longest prefix length the caller will ask about (the request's), bounding that query.
    upto: Option<u8>,
}

impl<'t, 'a> SqlFree<'t, 'a> {
    pub fn new(tx: &'t Tx<'a>, pool_id: &'t str) -> Self {
        SqlFree {
            tx,
            pool_id,
            firsts: None,
            upto: None,
        }
    }

    /// Tells the index that lookups will not go past prefix length `len` (the request's).
    pub fn upto(mut self, len: Option<u8>) -> Self {
        self.upto = len;
        self
    }

    /// Asks ahead ([`Tx::prefetch`]) for the lowest free blocks a request for a /`upto` will
    /// look at first, before the pool's CIDRs (and so its shortest prefix) are known: every
    /// length from 0, an index probe each, the few extra ones finding nothing.
    pub fn prefetch_firsts(tx: &Tx, pool_id: &str, upto: u8) -> Result<()> {
        Ok(tx.prefetch(FIRSTS_SQL, &["free_blocks"], params![pool_id, 0, upto])?)
    }

    /// The lowest free block of each length from 0 up to the caller's bound (PostgreSQL), from
    /// the cache or in one query of one index probe per length.
    fn firsts_from(&mut self, len: u8) -> Result<&BTreeMap<u8, Block>> {
        if !matches!(&self.firsts, Some((lo, hi, _)) if *lo <= len && len <= *hi) {
            let hi = self.upto.filter(|u| *u >= len).unwrap_or(len);
            let rows = self
                .tx
                .prepare_cached(FIRSTS_SQL)?
                .query_map(params![self.pool_id, 0, hi], |r| {
                    Ok((r.get::<_, i64>(0)? as u8, unkey(&r.get::<_, Vec<u8>>(1)?)))
                })?
                .collect::<Result<Vec<_>>>()?;
            let map = rows
                .into_iter()
                .map(|(len, start)| (len, Block { start, len }))
                .collect();
            self.firsts = Some((0, hi, map));
        }
        Ok(&self.firsts.as_ref().expect("just filled").2)
    }
}

fn block(r: &ipam_db::Row) -> Result<Block> {
    let start: Vec<u8> = r.get(0)?;
    let len: i64 = r.get(1)?;
    Ok(Block {
        start: unkey(&start),
        len: len as u8,
    })
}

impl FreeSpace for SqlFree<'_, '_> {
    type Error = super::Error;

    fn first_of_len(&mut self, len: u8, from: u128) -> Result<Option<Block>> {
        if from == 0 && self.tx.dialect() == Dialect::Postgres {
            return Ok(self.firsts_from(len)?.get(&len).copied());
        }
        self.tx
            .prepare_cached(
                "SELECT start, len FROM free_blocks WHERE pool_id = ?1 AND len = ?2 AND start >= ?3 ORDER BY start LIMIT 1",
            )?
            .query_row(params![self.pool_id, len, key(from)], block)
            .optional()
    }

    fn at_or_before(&mut self, addr: u128) -> Result<Option<Block>> {
        self.tx
            .prepare_cached(
                "SELECT start, len FROM free_blocks WHERE pool_id = ?1 AND start <= ?2 ORDER BY start DESC LIMIT 1",
            )?
            .query_row(params![self.pool_id, key(addr)], block)
            .optional()
    }

    fn add(&mut self, b: Block) -> Result<()> {
        self.firsts = None;
        self.tx
            .defer(
                "INSERT INTO free_blocks (pool_id, start, len) VALUES (?1, ?2, ?3)",
                params![self.pool_id, key(b.start), b.len],
            )
            .map_err(crate::Error::from)
    }

    fn remove(&mut self, b: Block) -> Result<()> {
        self.firsts = None;
        self.tx
            .defer(
                "DELETE FROM free_blocks WHERE pool_id = ?1 AND start = ?2",
                params![self.pool_id, key(b.start)],
            )
            .map_err(crate::Error::from)
    }

    fn counts(&mut self) -> Result<BTreeMap<u8, u128>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT len, COUNT(*) FROM free_blocks WHERE pool_id = ?1 GROUP BY len",
        )?;
        let rows = stmt.query_map([self.pool_id], |r| {
            Ok((r.get::<_, i64>(0)? as u8, r.get::<_, i64>(1)? as u128))
        })?;
        rows.collect()
    }
}
