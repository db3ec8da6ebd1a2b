//! The store checking itself: every pool CIDR is tiled exactly by its free blocks and its
//! allocations (child pools are allocations of their parent), no two allocations overlap,
//! reservations and the records that point at each other agree. `rebuild_pool` recomputes a
//! pool's free index from its allocations, which are the truth the index only summarises.

use super::audit::record;
use super::authority::{authorize, Action};
use super::free::{key, unkey};
use super::{Actor, Result, Store};
use ipam_db::{params, Tx};
use ipam_engine::{AddressFamily, Block, Cidr};
use serde_json::json;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The pool (or `provided:` space) it concerns.
    pub pool_id: String,
    pub message: String,
    /// Whether rebuilding the free index mends it (`verify --repair`).
    pub repairable: bool,
}

#[derive(Clone, Debug)]
enum Piece {
    Free,
    Allocation(String),
}

impl Piece {
    fn describe(&self, c: &Cidr) -> String {
        match self {
            Piece::Free => format!("the free block {c}"),
            Piece::Allocation(id) => format!("the allocation {id} ({c})"),
        }
    }
}

/// Every pool id that appears anywhere: pools, the provided space, and stray rows.
fn pool_ids(tx: &Tx) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM pools UNION SELECT pool_id FROM pool_cidrs UNION SELECT pool_id FROM free_blocks
         UNION SELECT pool_id FROM allocations ORDER BY 1",
    )?;
    let rows = stmt.query_map((), |r| r.get(0))?;
    Ok(rows.collect::<ipam_db::Result<_>>()?)
}

fn roots(tx: &Tx, pool_id: &str) -> Result<Vec<Cidr>> {
    let mut stmt = tx.prepare_cached("SELECT cidr FROM pool_cidrs WHERE pool_id = ?1")?;
    let rows = stmt.query_map([pool_id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        if let Ok(c) = Cidr::parse(&r?) {
            out.push(c);
        }
    }
    out.sort();
    Ok(out)
}

/// The family of a pool's space, from its CIDRs or its row.
fn family(tx: &Tx, pool_id: &str, roots: &[Cidr]) -> Result<AddressFamily> {
    if let Some(r) = roots.first() {
        return Ok(r.family());
    }
    let f: Option<String> = tx
        .query_row("SELECT family FROM pools WHERE id = ?1", [pool_id], |r| {
            r.get(0)
        })
        .ok();
    Ok(f.and_then(|f| AddressFamily::parse(&f))
        .unwrap_or(AddressFamily::Ipv4))
}

/// (cidr, allocation id) of a pool's allocations, in address order; unreadable rows are faults.
fn allocations(tx: &Tx, pool_id: &str, faults: &mut Vec<Fault>) -> Result<Vec<(Cidr, String)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, cidr, start, len, state, expires_at FROM allocations WHERE pool_id = ?1 ORDER BY start",
    )?;
    let rows = stmt.query_map([pool_id], |r| {
        Ok::<_, ipam_db::Error>((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, cidr, start, len, state, expires) = row?;
        let fault = |message: String| Fault {
            pool_id: pool_id.to_string(),
            message,
            repairable: false,
        };
        let Ok(c) = Cidr::parse(&cidr) else {
            faults.push(fault(format!(
                "the allocation {id} has an unreadable CIDR {cidr:?}"
            )));
            continue;
        };
        if c.start() != unkey(&start) || i64::from(c.prefix_len()) != len {
            faults.push(fault(format!(
                "the allocation {id} ({c}) is indexed at another address or length"
            )));
        }
        match (state.as_str(), expires) {
            ("reserved", Some(_)) | ("allocated", None) => {}
            ("reserved", None) => {
                faults.push(fault(format!("the reservation {id} ({c}) has no expiry")))
            }
            ("allocated", Some(_)) => faults.push(fault(format!(
                "the allocation {id} ({c}) is allocated but carries a reservation expiry"
            ))),
            (other, _) => faults.push(fault(format!(
                "the allocation {id} ({c}) has an unknown state {other:?}"
            ))),
        }
        out.push((c, id));
    }
    Ok(out)
}

fn free_blocks(tx: &Tx, pool_id: &str, family: AddressFamily) -> Result<Vec<Cidr>> {
    let mut stmt = tx.prepare_cached("SELECT start, len FROM free_blocks WHERE pool_id = ?1")?;
    let rows = stmt.query_map([pool_id], |r| {
        Ok::<_, ipam_db::Error>((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (start, len) = row?;
        let len = len.clamp(0, i64::from(family.bits())) as u8;
        out.push(Cidr::from_start(family, unkey(&start), len));
    }
    Ok(out)
}

/// Checks one pool's space: the pieces (free blocks and allocations) tile each CIDR exactly.
fn verify_pool(tx: &Tx, pool_id: &str, faults: &mut Vec<Fault>) -> Result<()> {
    let is_pool = tx
        .query_row("SELECT 1 FROM pools WHERE id = ?1", [pool_id], |_| {
            Ok::<_, ipam_db::Error>(())
        })
        .is_ok();
    let roots = roots(tx, pool_id)?;
    let family = family(tx, pool_id, &roots)?;
    let fault = |message: String, repairable: bool| Fault {
        pool_id: pool_id.to_string(),
        message,
        repairable,
    };
    if !is_pool && !pool_id.starts_with("provided:") {
        faults.push(fault(
            format!("rows refer to the pool {pool_id}, which does not exist"),
            false,
        ));
    }
    let mut pieces: Vec<(Cidr, Piece)> = free_blocks(tx, pool_id, family)?
        .into_iter()
        .map(|c| (c, Piece::Free))
        .collect();
    pieces.extend(
        allocations(tx, pool_id, faults)?
            .into_iter()
            .map(|(c, id)| (c, Piece::Allocation(id))),
    );
    pieces.sort_by_key(|(c, _)| (c.start(), c.prefix_len()));
    // Overlaps between neighbours in address order (the one reaching furthest so far).
    let mut reach: Option<(Cidr, Piece)> = None;
    for (c, p) in &pieces {
        if let Some((rc, rp)) = &reach {
            if rc.overlaps(c) {
                let repairable = matches!(rp, Piece::Free) || matches!(p, Piece::Free);
                faults.push(fault(
                    format!("{} overlaps {}", rp.describe(rc), p.describe(c)),
                    repairable,
                ));
            }
        }
        if reach.as_ref().is_none_or(|(rc, _)| c.end() > rc.end()) {
            reach = Some((*c, p.clone()));
        }
    }
    for (c, p) in &pieces {
        if !roots.iter().any(|r| r.contains(c)) {
            faults.push(fault(
                format!("{} lies outside the pool's CIDRs", p.describe(c)),
                matches!(p, Piece::Free),
            ));
        }
    }
    // Each CIDR is covered without a gap.
    for root in &roots {
        let mut next = Some(root.start());
        for (c, _) in pieces.iter().filter(|(c, _)| root.contains(c)) {
            match next {
                Some(n) if c.start() > n => {
                    faults.push(fault(
                        format!(
                            "{} of {root} are neither free nor allocated (from {})",
                            gap(c.start() - n),
                            Cidr::from_start(family, n, family.bits()).net().addr()
                        ),
                        true,
                    ));
                }
                _ => {}
            }
            if next.is_some_and(|n| c.end() >= n) {
                next = c.end().checked_add(1).filter(|&e| e <= root.end());
            }
        }
        if let Some(n) = next {
            faults.push(fault(
                format!(
                    "{} of {root} are neither free nor allocated (from {})",
                    gap(root.end() - n + 1),
                    Cidr::from_start(family, n, family.bits()).net().addr()
                ),
                true,
            ));
        }
    }
    // A child pool's CIDR and its allocation in the parent point at each other.
    let mut stmt = tx.prepare_cached(
        "SELECT pc.cidr, pc.source_allocation_id, a.cidr, a.pool_id, p.parent_id
         FROM pool_cidrs pc LEFT JOIN allocations a ON a.id = pc.source_allocation_id
         LEFT JOIN pools p ON p.id = pc.pool_id
         WHERE pc.pool_id = ?1 AND pc.source_allocation_id IS NOT NULL",
    )?;
    let links = stmt
        .query_map([pool_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>>>()?;
    for (cidr, source, a_cidr, a_pool, parent) in links {
        match (a_cidr, a_pool) {
            (None, _) => faults.push(fault(
                format!("the pool CIDR {cidr} comes from the allocation {source}, which does not exist"),
                false,
            )),
            (Some(ac), Some(ap)) if ac != cidr || (parent.is_some() && parent != Some(ap.clone())) => {
                faults.push(fault(
                    format!("the pool CIDR {cidr} comes from the allocation {source}, which holds {ac} in the pool {ap}"),
                    false,
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// A block in a scope's address space, for the check across pools: an allocation, or a
/// top-level pool's CIDR (which no allocation stands for).
struct Claim {
    cidr: Cidr,
    /// The pool whose row this is.
    pool: String,
    /// The pool whose space this block is: the child pool for a child pool's CIDR (an
    /// allocation of kind `ipam-pool` in its parent), the pool itself for a top-level CIDR.
    grants: Option<String>,
    /// The allocation's id, or None for a top-level CIDR.
    id: Option<String>,
}

impl Claim {
    fn describe(&self) -> String {
        match &self.id {
            Some(id) => format!(
                "the allocation {id} ({}) of the pool {}",
                self.cidr, self.pool
            ),
            None => format!("the CIDR {} of the pool {}", self.cidr, self.pool),
        }
    }
}

/// (scope, pool, cidr, allocation id, the pool whose space it grants, family).
type ClaimRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// Whether `a` may lie inside `b`: `b` grants the space of `a`'s pool or of one of its
/// ancestors (the chain a block descends through from a top-level CIDR to a child pool).
fn nests(a: &Claim, b: &Claim, parents: &std::collections::HashMap<String, String>) -> bool {
    let Some(g) = &b.grants else { return false };
    let mut p = Some(&a.pool);
    // Bounded: a cycle of parents (itself a fault) must not hang verify.
    for _ in 0..=parents.len() {
        match p {
            Some(x) if x == g => return true,
            Some(x) => p = parents.get(x),
            None => return false,
        }
    }
    false
}

/// Blocks of different pools of one scope that overlap although neither pool's space is the
/// other's: an allocation outside its pool duplicating another pool's allocation, or a block
/// the index handed out twice. Parent and child overlap by design (a child pool's CIDR is an
/// allocation in its parent), so only overlaps off a pool's ancestor chain are faults.
/// Overlaps inside one pool are [`verify_pool`]'s.
fn duplicates(tx: &Tx, faults: &mut Vec<Fault>) -> Result<()> {
    let parents: std::collections::HashMap<String, String> = tx
        .prepare_cached("SELECT id, parent_id FROM pools WHERE parent_id IS NOT NULL")?
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    let rows: Vec<ClaimRow> = tx
        .prepare_cached(
            "SELECT p.scope_id, a.pool_id, a.cidr, a.id, CASE WHEN a.kind = 'ipam-pool' THEN a.resource_id END, p.family
             FROM allocations a JOIN pools p ON p.id = a.pool_id
             UNION ALL
             SELECT p.scope_id, pc.pool_id, pc.cidr, NULL, pc.pool_id, p.family
             FROM pool_cidrs pc JOIN pools p ON p.id = pc.pool_id WHERE pc.source_allocation_id IS NULL",
        )?
        .query_map((), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<_>>()?;
    let mut spaces: std::collections::BTreeMap<(String, String), Vec<Claim>> = Default::default();
    for (scope, pool, cidr, id, grants, family) in rows {
        // Unreadable CIDRs are reported pool by pool.
        let Ok(cidr) = Cidr::parse(&cidr) else {
            continue;
        };
        spaces.entry((scope, family)).or_default().push(Claim {
            cidr,
            pool,
            grants: if id.is_some() {
                grants
            } else {
                Some(grants.unwrap_or_default())
            },
            id,
        });
    }
    for claims in spaces.values_mut() {
        claims.sort_by_key(|c| (c.cidr.start(), c.cidr.prefix_len()));
        // CIDRs nest or are disjoint: the claims still open at a start all contain it.
        let mut open: Vec<usize> = Vec::new();
        for i in 0..claims.len() {
            let here = &claims[i];
            while open
                .last()
                .is_some_and(|&o| claims[o].cidr.end() < here.cidr.start())
            {
                open.pop();
            }
            for &o in &open {
                let there = &claims[o];
                if there.pool == here.pool
                    || nests(here, there, &parents)
                    || nests(there, here, &parents)
                {
                    continue;
                }
                // Name the allocation first (the top-level CIDR is the space it took).
                let (a, b) = if here.id.is_some() {
                    (here, there)
                } else {
                    (there, here)
                };
                faults.push(Fault {
                    pool_id: a.pool.clone(),
                    message: format!(
                        "{} duplicates {}: two pools hold the same addresses (see \"Resolving a duplicate\" in the verify documentation)",
                        a.describe(),
                        b.describe()
                    ),
                    repairable: false,
                });
            }
            open.push(i);
        }
    }
    Ok(())
}

/// "2^64 addresses" or "12 addresses".
fn gap(n: u128) -> String {
    if n.is_power_of_two() && n >= 1 << 20 {
        format!("2^{} addresses", n.trailing_zeros())
    } else {
        format!("{n} addresses")
    }
}

/// The free blocks of `root` once `taken` (sorted by start, not overlapping) is removed: the
/// largest aligned blocks, as the buddy system keeps them.
fn free_of(family: AddressFamily, root: Cidr, taken: &[Cidr], out: &mut Vec<Block>) {
    let first = taken.partition_point(|t| t.end() < root.start());
    let touching = taken[first..]
        .iter()
        .take_while(|t| t.start() <= root.end())
        .collect::<Vec<_>>();
    if touching.is_empty() {
        out.push(Block {
            start: root.start(),
            len: root.prefix_len(),
        });
        return;
    }
    if touching.iter().any(|t| t.contains(&root)) || root.prefix_len() >= family.bits() {
        return;
    }
    let len = root.prefix_len() + 1;
    let low = Cidr::from_start(family, root.start(), len);
    let high = Cidr::from_start(family, low.end() + 1, len);
    free_of(family, low, taken, out);
    free_of(family, high, taken, out);
}

/// Rebuilds `pool_id`'s free index from its CIDRs and allocations, inside `tx`; audited when
/// anything changed. Returns whether it changed.
pub(crate) fn rebuild_pool(tx: &Tx, actor: &Actor, pool_id: &str) -> Result<bool> {
    let roots = roots(tx, pool_id)?;
    let family = family(tx, pool_id, &roots)?;
    let mut ignored = Vec::new();
    let mut taken: Vec<Cidr> = allocations(tx, pool_id, &mut ignored)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    taken.sort_by_key(|c| (c.start(), c.prefix_len()));
    let mut want = Vec::new();
    for root in &roots {
        free_of(family, *root, &taken, &mut want);
    }
    let mut have: Vec<Block> = free_blocks(tx, pool_id, family)?
        .into_iter()
        .map(|c| Block {
            start: c.start(),
            len: c.prefix_len(),
        })
        .collect();
    want.sort();
    have.sort();
    if want == have {
        return Ok(false);
    }
    tx.execute("DELETE FROM free_blocks WHERE pool_id = ?1", [pool_id])?;
    for b in &want {
        tx.prepare_cached("INSERT INTO free_blocks (pool_id, start, len) VALUES (?1, ?2, ?3)")?
            .execute(params![pool_id, key(b.start), b.len])?;
    }
    let show = |bs: &[Block]| -> Vec<String> {
        bs.iter()
            .map(|b| Cidr::from_start(family, b.start, b.len).to_string())
            .collect()
    };
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::RepairFreeIndex)?,
        pool_id,
        Some(json!({ "free": show(&have) })),
        Some(json!({ "free": show(&want) })),
    )?;
    Ok(true)
}

impl Store {
    /// Every broken invariant, pool by pool (empty when the database is sound).
    pub fn verify(&self) -> Result<Vec<Fault>> {
        self.read(|tx| {
            let mut faults = Vec::new();
            for p in pool_ids(tx)? {
                verify_pool(tx, &p, &mut faults)?;
            }
            duplicates(tx, &mut faults)?;
            Ok(faults)
        })
    }

    /// Rebuilds every pool's free index from its allocations, in one transaction; returns the
    /// pools whose index changed.
    pub fn repair(&self, actor: &Actor) -> Result<Vec<String>> {
        self.write(|tx| {
            let mut changed = Vec::new();
            for p in pool_ids(tx)? {
                if rebuild_pool(tx, actor, &p)? {
                    changed.push(p);
                }
            }
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn free_space_is_the_largest_aligned_blocks_around_what_is_taken() {
        let mut out = Vec::new();
        let taken = [c("10.0.1.0/24"), c("10.0.4.0/22")];
        free_of(AddressFamily::Ipv4, c("10.0.0.0/20"), &taken, &mut out);
        let got: Vec<String> = out
            .iter()
            .map(|b| Cidr::from_start(AddressFamily::Ipv4, b.start, b.len).to_string())
            .collect();
        assert_eq!(
            got,
            ["10.0.0.0/24", "10.0.2.0/23", "10.0.8.0/21"],
            "free blocks around two allocations"
        );
    }

    #[test]
    fn a_fully_taken_root_has_no_free_block() {
        let mut out = Vec::new();
        free_of(
            AddressFamily::Ipv6,
            c("fd00::/8"),
            &[c("fd00::/8")],
            &mut out,
        );
        assert!(out.is_empty());
    }
}
