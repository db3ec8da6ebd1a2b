//! How full pools are, exactly: counts are u128 (an IPv6 pool holds up to 2^128 addresses).

use super::allocation::space;
use super::free::{key, SqlFree};
use super::model::AllocationState;
use super::model::Remedy;
use super::rows::{load_ipam, load_scope};
use super::{Error, Result, Store};
use ipam_db::{params, Tx};
use ipam_engine::buddy::blocks_available;
use ipam_engine::{block_size, AddressFamily, Cidr, FreeSpace};
use std::collections::BTreeMap;

pub enum UtilizationTarget<'a> {
    Pool(&'a str),
    Scope(&'a str),
    Ipam(&'a str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrUsage {
    pub cidr: Cidr,
    pub total: u128,
    pub allocated: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Utilization {
    pub family: Option<AddressFamily>,
    pub total: u128,
    pub allocated: u128,
    /// Addresses held by unapplied plan-time reservations (part of `allocated`).
    pub reserved: u128,
    pub allocation_count: u64,
    /// Shortest prefix length of any free block (the largest block one request can get).
    pub largest_free_len: Option<u8>,
    pub cidrs: Vec<CidrUsage>,
    /// For each prefix length the pool allows: how many such blocks can still be allocated.
    pub available_blocks: BTreeMap<u8, u128>,
}

impl Utilization {
    pub fn available(&self) -> u128 {
        self.total - self.allocated
    }

    /// Percent used, as a decimal string with up to two decimals (exact inputs, no overflow).
    pub fn percent(&self) -> f64 {
        percent(self.allocated, self.total)
    }
}

pub fn percent(part: u128, total: u128) -> f64 {
    if total == 0 {
        return 0.0;
    }
    // Scale down both so the ratio keeps f64 precision without u128 overflow.
    let shift = 128 - total.leading_zeros();
    let shift = shift.saturating_sub(52);
    let p = (part >> shift) as f64 / (total >> shift).max(1) as f64 * 100.0;
    (p * 100.0).round() / 100.0
}

pub(crate) fn pool_utilization(tx: &Tx, pool_id: &str, u: &mut Utilization) -> Result<()> {
    let s = space(tx, pool_id)?;
    if u.family.is_some_and(|f| f != s.family) {
        return Err(Error::Blocked {
            remedy: Remedy::AskPerPool,
            fact: format!(
                "utilization mixes address families: the pool {pool_id} is {} while others are {}",
                s.family,
                u.family.map(|f| f.as_str()).unwrap_or_default()
            ),
        });
    }
    u.family = Some(s.family);
    let mut fs = SqlFree::new(tx, &s.id);
    let counts = fs.counts()?;
    let free: u128 = counts
        .iter()
        .map(|(&l, &c)| c.saturating_mul(block_size(s.family, l)))
        .fold(0, u128::saturating_add);
    let total: u128 = s.roots.iter().map(Cidr::size).fold(0, u128::saturating_add);
    u.total = u.total.saturating_add(total);
    u.allocated = u.allocated.saturating_add(total.saturating_sub(free));
    if let Some((&l, _)) = counts.iter().find(|(_, &c)| c > 0) {
        u.largest_free_len = Some(u.largest_free_len.map_or(l, |x| x.min(l)));
    }
    let mut stmt = tx.prepare_cached(
        "SELECT state, len FROM allocations WHERE pool_id = ?1 AND state = 'reserved'",
    )?;
    for row in stmt.query_map([pool_id], |r| r.get::<_, i64>(1))? {
        u.reserved += block_size(s.family, row? as u8);
    }
    u.allocation_count += tx.query_row(
        "SELECT COUNT(*) FROM allocations WHERE pool_id = ?1 AND state = 'allocated'",
        [pool_id],
        |r| r.get::<_, i64>(0),
    )? as u64;
    for root in &s.roots {
        let mut stmt = tx.prepare_cached(
            "SELECT len FROM free_blocks WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3",
        )?;
        let mut free_here = 0u128;
        for l in stmt.query_map(params![pool_id, key(root.start()), key(root.end())], |r| {
            r.get::<_, i64>(0)
        })? {
            free_here += block_size(s.family, l? as u8);
        }
        u.cidrs.push(CidrUsage {
            cidr: *root,
            total: root.size(),
            allocated: root.size() - free_here,
        });
    }
    let lo = s
        .rules
        .min_len
        .unwrap_or(0)
        .max(s.roots.iter().map(Cidr::prefix_len).min().unwrap_or(0));
    let hi = s.rules.max_len.unwrap_or(s.family.bits());
    // Only list lengths the pool allows; an IPv6 pool allowing /0 to /128 would list 129.
    for len in lo..=hi {
        *u.available_blocks.entry(len).or_insert(0) += blocks_available(&counts, len);
    }
    let _ = AllocationState::Allocated;
    Ok(())
}

impl Store {
    pub fn utilization(&self, target: UtilizationTarget) -> Result<Utilization> {
        self.read(|tx| {
            let mut u = Utilization::default();
            let pools: Vec<String> = match target {
                UtilizationTarget::Pool(id) => vec![id.to_string()],
                UtilizationTarget::Scope(id) => {
                    load_scope(tx, id)?.ok_or_else(|| Error::NotFound {
                        kind: "IPAM scope",
                        id: id.into(),
                    })?;
                    ids(
                        tx,
                        "SELECT id FROM pools WHERE scope_id = ?1 AND parent_id IS NULL",
                        id,
                    )?
                }
                UtilizationTarget::Ipam(id) => {
                    load_ipam(tx, id)?.ok_or_else(|| Error::NotFound {
                        kind: "IPAM",
                        id: id.into(),
                    })?;
                    ids(
                        tx,
                        "SELECT id FROM pools WHERE ipam_id = ?1 AND parent_id IS NULL",
                        id,
                    )?
                }
            };
            for p in pools {
                pool_utilization(tx, &p, &mut u)?;
            }
            Ok(u)
        })
    }
}

fn ids(tx: &Tx, sql: &str, arg: &str) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], |r| r.get(0))?;
    Ok(rows.collect::<ipam_db::Result<_>>()?)
}
