//! Read-only views of a database for people (the dashboard, `check`): opened without write
//! access, and every page or report read inside one read transaction, so what it shows is one
//! consistent snapshot even while Terraform applies.

use super::audit::AuditEvent;
use super::history::{self, HistoryPoint};
use super::model::{tags_from, Ipam, Pool, Scope, Tags};
use super::rows::{load_ipam, load_pool, load_pool_cidrs, load_scope};
use super::utilization::{pool_utilization, Utilization};
use super::{migrate, Error, Result, Store};
use crate::free::key;
use ipam_db::{params, Database, Location, OptionalExtension, Tx};
use ipam_engine::{self as engine, AddressFamily, Cidr};
use std::path::Path;

/// One pool with its provisioned CIDRs and how full it is.
#[derive(Clone, Debug)]
pub struct PoolSummary {
    pub pool: Pool,
    pub cidrs: Vec<Cidr>,
    pub usage: Utilization,
    /// Child pools' CIDRs carved from this pool: counted in `usage.allocation_count` (as the
    /// `ipam_utilization` data source counts them) but not handed to any resource.
    pub child_pool_cidrs: u64,
}

/// An allocation as a person reads it (with its creation time).
#[derive(Clone, Debug)]
pub struct AllocationRow {
    pub id: String,
    pub pool_id: String,
    pub cidr: Cidr,
    pub kind: String,
    pub resource_id: Option<String>,
    pub name: Option<String>,
    pub reserved: bool,
    pub expires_at: Option<i64>,
    pub description: Option<String>,
    pub tags: Tags,
    pub owner_id: String,
    pub created_at: i64,
    /// The directory and workspace Terraform ran in, and when (none for allocations made
    /// before origins were kept, or in a database not yet migrated to them).
    pub origin: Option<super::Origin>,
    pub origin_at: Option<i64>,
}

/// A block for the address map: where it is, what holds it, and (for blocks large enough to
/// be drawn on their own) who.
#[derive(Clone, Debug)]
pub struct MapBlock {
    pub start: u128,
    pub len: u8,
    /// A child pool's CIDR (an allocation of kind `ipam-pool`).
    pub child_pool: bool,
    pub reserved: bool,
    /// id, resource id, description: only for blocks of at most `detail_len` bits.
    pub detail: Option<(String, Option<String>, Option<String>)>,
}

const ROW_COLUMNS: &str = "id, pool_id, cidr, kind, resource_id, name, state, expires_at, description, tags, owner_id, created_at, origin_dir, origin_workspace, origin_at";
/// [`ROW_COLUMNS`] for a schema from before origins (read-only views do not migrate).
const ROW_COLUMNS_BEFORE_ORIGINS: &str = "id, pool_id, cidr, kind, resource_id, name, state, expires_at, description, tags, owner_id, created_at, NULL, NULL, NULL";

fn allocation_row(r: &ipam_db::Row) -> Result<Option<AllocationRow>> {
    let Ok(cidr) = Cidr::parse(&r.get::<_, String>(2)?) else {
        return Ok(None);
    };
    Ok(Some(AllocationRow {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        cidr,
        kind: r.get(3)?,
        resource_id: r.get(4)?,
        name: r.get(5)?,
        reserved: r.get::<_, String>(6)? == "reserved",
        expires_at: r.get(7)?,
        description: r.get(8)?,
        tags: tags_from(&r.get::<_, String>(9)?),
        owner_id: r.get(10)?,
        created_at: r.get(11)?,
        origin: match (
            r.get::<_, Option<String>>(12)?,
            r.get::<_, Option<String>>(13)?,
        ) {
            (Some(dir), Some(workspace)) => Some(super::Origin {
                dir,
                workspace,
                state: None,
            }),
            _ => None,
        },
        origin_at: r.get(14)?,
    }))
}

/// A read transaction, with the queries people's views need.
pub struct View<'t, 'a> {
    tx: &'t Tx<'a>,
}

impl Store {
    /// Opens an existing database without write access: nothing a viewer does can change it,
    /// and it is not migrated (a database of an older schema is shown as far as it goes; one
    /// of a newer schema is refused, naming both versions).
    pub fn open_read_only(path: &Path, provided_ipv6: engine::Cidr) -> Result<Store> {
        Store::open_read_only_at(&Location::of_path(path), provided_ipv6)
    }

    /// [`Store::open_read_only`] for either backend: a `postgres://` URL opens a session whose
    /// every transaction is read-only (and the schema must already exist), else a file path.
    pub fn open_database_read_only(database: &str, provided_ipv6: engine::Cidr) -> Result<Store> {
        Store::open_read_only_at(&Location::parse(database), provided_ipv6)
    }

    /// [`Store::open_read_only`] of `location`.
    pub fn open_read_only_at(location: &Location, provided_ipv6: engine::Cidr) -> Result<Store> {
        match Database::open_read_only(location, &migrate::SCHEMA)? {
            Some(db) => Ok(Store { db, provided_ipv6 }),
            None => Err(Error::NotIpam {
                database: location.display(),
            }),
        }
    }

    /// Runs `f` over one consistent snapshot of the database.
    pub fn view<T>(&self, f: impl FnOnce(&View) -> Result<T>) -> Result<T> {
        // A read transaction never runs twice (only writes are retried).
        let mut f = Some(f);
        self.read(|tx| match f.take() {
            Some(f) => f(&View { tx }),
            None => Err(Error::Inconsistent("a view ran twice".into())),
        })
    }
}

impl View<'_, '_> {
    /// The columns of an [`AllocationRow`] in this database's schema (a PostgreSQL database
    /// always has origins: its schema is created at the latest version's columns).
    fn row_columns(&self) -> Result<&'static str> {
        if self.tx.dialect() == ipam_db::Dialect::Postgres {
            return Ok(ROW_COLUMNS);
        }
        let origins: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('allocations') WHERE name = 'origin_dir')",
            (),
            |r| r.get(0),
        )?;
        Ok(if origins {
            ROW_COLUMNS
        } else {
            ROW_COLUMNS_BEFORE_ORIGINS
        })
    }

    fn ids(&self, sql: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map((), |r| r.get(0))?;
        Ok(rows.collect::<ipam_db::Result<_>>()?)
    }

    pub fn ipams(&self) -> Result<Vec<Ipam>> {
        let mut out = Vec::new();
        for id in self.ids("SELECT id FROM ipams ORDER BY created_at, id")? {
            out.extend(load_ipam(self.tx, &id)?);
        }
        Ok(out)
    }

    pub fn scopes(&self) -> Result<Vec<Scope>> {
        let mut out = Vec::new();
        for id in self.ids("SELECT id FROM scopes ORDER BY scope_type, id")? {
            out.extend(load_scope(self.tx, &id)?);
        }
        Ok(out)
    }

    /// Every pool with its CIDRs and utilization (the figures `ipam_utilization` reports).
    pub fn pools(&self) -> Result<Vec<PoolSummary>> {
        let mut out = Vec::new();
        for id in self.ids("SELECT id FROM pools ORDER BY id")? {
            out.extend(self.pool(&id)?);
        }
        Ok(out)
    }

    pub fn pool(&self, id: &str) -> Result<Option<PoolSummary>> {
        let Some(pool) = load_pool(self.tx, id)? else {
            return Ok(None);
        };
        let cidrs = load_pool_cidrs(self.tx, id)?
            .into_iter()
            .map(|c| c.cidr)
            .collect();
        let mut usage = Utilization::default();
        pool_utilization(self.tx, id, &mut usage)?;
        let child_pool_cidrs = self.tx.query_row(
            "SELECT COUNT(*) FROM pool_cidrs WHERE pool_id IN (SELECT id FROM pools WHERE parent_id = ?1)",
            [id],
            |r| r.get::<_, i64>(0),
        )? as u64;
        Ok(Some(PoolSummary {
            pool,
            cidrs,
            usage,
            child_pool_cidrs,
        }))
    }

    /// How many allocations and reservations the pool holds.
    pub fn allocation_rows(&self, pool_id: &str) -> Result<u64> {
        Ok(self.tx.query_row(
            "SELECT COUNT(*) FROM allocations WHERE pool_id = ?1",
            [pool_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// One page of the pool's allocations and reservations, in address order.
    pub fn allocations(
        &self,
        pool_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AllocationRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {} FROM allocations WHERE pool_id = ?1 ORDER BY start LIMIT ?2 OFFSET ?3",
            self.row_columns()?
        ))?;
        let rows = stmt.query_map(
            params![
                pool_id,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            allocation_row,
        )?;
        rows.filter_map(|r| r.transpose()).collect::<Result<_>>()
    }

    /// The pool's unapplied plan-time reservations, soonest to expire first.
    pub fn reservations(&self, pool_id: &str) -> Result<Vec<AllocationRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {} FROM allocations WHERE pool_id = ?1 AND state = 'reserved' ORDER BY expires_at, start",
            self.row_columns()?
        ))?;
        let rows = stmt.query_map([pool_id], allocation_row)?;
        rows.filter_map(|r| r.transpose()).collect::<Result<_>>()
    }

    /// Unapplied reservations in the whole database.
    pub fn reservation_count(&self) -> Result<u64> {
        Ok(self.tx.query_row(
            "SELECT COUNT(*) FROM allocations WHERE state = 'reserved'",
            (),
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The pool's allocated blocks inside `within`, in address order; those of at most
    /// `detail_len` prefix bits (large enough to draw alone) carry who holds them.
    pub fn map_blocks(
        &self,
        pool_id: &str,
        within: &Cidr,
        detail_len: u8,
    ) -> Result<Vec<MapBlock>> {
        // A pool page reads every allocation of the pool for its map: no allocation per row
        // for the blocks that are only counted.
        let mut stmt = self.tx.prepare_cached(
            "SELECT start, len, kind = 'ipam-pool', state = 'reserved',
                    CASE WHEN len <= ?4 THEN id END, CASE WHEN len <= ?4 THEN resource_id END,
                    CASE WHEN len <= ?4 THEN description END
             FROM allocations WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3 ORDER BY start",
        )?;
        let rows = stmt.query_map(
            params![pool_id, key(within.start()), key(within.end()), detail_len],
            |r| {
                let id: Option<String> = r.get(4)?;
                Ok(MapBlock {
                    start: super::free::unkey(&r.get::<_, Vec<u8>>(0)?),
                    len: r.get::<_, i64>(1)? as u8,
                    child_pool: r.get(2)?,
                    reserved: r.get(3)?,
                    detail: match id {
                        Some(id) => Some((id, r.get(5)?, r.get(6)?)),
                        None => None,
                    },
                })
            },
        )?;
        rows.collect()
    }

    /// The pool's `n` largest free blocks inside `within`, largest (then lowest) first.
    pub fn largest_free(&self, pool_id: &str, within: &Cidr, n: u32) -> Result<Vec<Cidr>> {
        super::free::largest(
            self.tx,
            pool_id,
            within.family(),
            within.start()..=within.end(),
            n,
        )
    }

    pub fn history(&self, pool_id: &str, limit: u32) -> Result<Vec<HistoryPoint>> {
        history::load(self.tx, pool_id, limit)
    }

    /// The newest `limit` audit events about the pool, its CIDRs and its allocations, newest
    /// first.
    pub fn audit(&self, pool_id: &str, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, at, account_id, action, object_id, before, after FROM audit_events
             WHERE pool_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![pool_id, limit], AuditEvent::from_row)?;
        rows.collect::<Result<_>>()
    }

    /// Every pool CIDR of `target`'s family overlapping it, in any IPAM or scope, outermost
    /// first. Pool CIDRs are few (one or a handful per pool), so those starting at or before
    /// the target's end are read and the overlapping ones kept.
    pub fn pool_cidrs_overlapping(&self, target: &Cidr) -> Result<Vec<PoolHit>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT pool_id, cidr FROM pool_cidrs WHERE start <= ?1 ORDER BY len, start",
        )?;
        let roots: Vec<(String, String)> = stmt
            .query_map([key(target.end())], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for (pool_id, cidr) in roots {
            let Ok(cidr) = Cidr::parse(&cidr) else {
                continue;
            };
            if !cidr.overlaps(target) {
                continue;
            }
            let Some(pool) = load_pool(self.tx, &pool_id)? else {
                continue;
            };
            out.push(PoolHit {
                holds: cidr.contains(target),
                pool,
                pool_cidr: cidr,
                overlapping: 0,
            });
        }
        out.sort_by_key(|h| (h.pool.depth, h.pool_cidr.prefix_len(), h.pool_cidr.start()));
        Ok(out)
    }

    /// Everything that overlaps `target`: every pool CIDR (outermost first), every allocation,
    /// reservation and child-pool carve-out (in pool then address order), and every CIDR a
    /// discovery's last scan stored. At most `limit` allocations and `limit` discovered CIDRs
    /// are kept; the counts are exact, so a long answer can say how much it left out.
    pub fn search(&self, target: &Cidr, limit: usize) -> Result<Search> {
        let mut found = Search {
            pools: self.pool_cidrs_overlapping(target)?,
            ..Search::default()
        };
        let columns = self.row_columns()?;
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..found.pools.len() {
            let pool_id = found.pools[i].pool.id.clone();
            if !seen.insert(pool_id.clone()) {
                continue;
            }
            // Allocations in one pool never overlap one another: those overlapping the target
            // start inside it, or one starting before it holds it whole.
            let before = self
                .tx
                .prepare_cached(&format!(
                    "SELECT {columns} FROM allocations WHERE pool_id = ?1 AND start < ?2 ORDER BY start DESC LIMIT 1"
                ))?
                .query_row(params![pool_id, key(target.start())], allocation_row)
                .optional()?
                .flatten()
                .filter(|a| a.cidr.overlaps(target));
            let holds_whole = before.is_some();
            let mut rows: Vec<AllocationRow> = before.into_iter().collect();
            let mut overlapping: u64 = rows.len() as u64;
            if !holds_whole {
                let inside: u64 = self.tx.query_row(
                    "SELECT COUNT(*) FROM allocations WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3",
                    params![pool_id, key(target.start()), key(target.end())],
                    |r| r.get::<_, i64>(0),
                )? as u64;
                overlapping = inside;
                let room = limit.saturating_sub(found.allocations.len());
                if room > 0 && inside > 0 {
                    let mut stmt = self.tx.prepare_cached(&format!(
                        "SELECT {columns} FROM allocations WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3 ORDER BY start LIMIT ?4"
                    ))?;
                    let page = stmt.query_map(
                        params![
                            pool_id,
                            key(target.start()),
                            key(target.end()),
                            i64::try_from(room).unwrap_or(i64::MAX)
                        ],
                        allocation_row,
                    )?;
                    for r in page {
                        rows.extend(r?);
                    }
                }
            }
            for h in found.pools.iter_mut().filter(|h| h.pool.id == pool_id) {
                h.overlapping = overlapping;
            }
            found.allocation_count += overlapping;
            let room = limit.saturating_sub(found.allocations.len());
            found.allocations.extend(rows.into_iter().take(room));
        }
        self.search_discovered(target, limit, &mut found)?;
        Ok(found)
    }

    /// The discovered CIDRs overlapping `target`. Stored as text, so every stored CIDR is read
    /// and parsed: a scan holds at most a few hundred thousand, a fraction of a second.
    fn search_discovered(&self, target: &Cidr, limit: usize, found: &mut Search) -> Result<()> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(());
        }
        let (filter, texts) = discovered_candidates(target);
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT discovery_id, resource_id, resource_type, cidr, name, pool_id FROM discovered_cidrs{filter}"
        ))?;
        let params: Vec<&dyn ipam_db::Param> =
            texts.iter().map(|t| t as &dyn ipam_db::Param).collect();
        let rows = stmt.query_map(params.as_slice(), |r| {
            Ok::<_, ipam_db::Error>((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (discovery_id, resource_id, resource_type, text, name, pool_id) = row?;
            match Cidr::parse(&text) {
                Ok(cidr) if cidr.overlaps(target) => hits.push(DiscoveredHit {
                    discovery_id,
                    resource_id,
                    resource_type,
                    cidr,
                    name,
                    pool_id,
                }),
                _ => {}
            }
        }
        hits.sort_by(|a, b| {
            (
                a.cidr.start(),
                a.cidr.prefix_len(),
                &a.resource_id,
                &a.discovery_id,
            )
                .cmp(&(
                    b.cidr.start(),
                    b.cidr.prefix_len(),
                    &b.resource_id,
                    &b.discovery_id,
                ))
        });
        found.discovered_count = hits.len() as u64;
        hits.truncate(limit);
        found.discovered = hits;
        Ok(())
    }
}

/// A `WHERE` clause that keeps every stored CIDR text that can overlap `target` (and some that
/// cannot, which the caller drops after parsing), and its parameters: discovered CIDRs are
/// stored as text with no index, so this spares parsing the whole table. An IPv4 CIDR inside
/// the target starts with the target's whole leading octets; one holding the target is the
/// target's address cut to a shorter prefix, one text per length. IPv6 text has too many
/// spellings to cut this way: every row is read.
fn discovered_candidates(target: &Cidr) -> (String, Vec<String>) {
    if target.family() != AddressFamily::Ipv4 || target.prefix_len() < 8 {
        return (String::new(), Vec::new());
    }
    let octets = (target.start() as u32).to_be_bytes();
    let whole = usize::from(target.prefix_len() / 8);
    let lead: String = octets[..whole].iter().map(|o| format!("{o}.")).collect();
    let mut texts = vec![format!("{lead}%")];
    for len in 0..target.prefix_len() {
        texts.push(Cidr::from_start(AddressFamily::Ipv4, target.start(), len).to_string());
    }
    let holders = (2..=texts.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (format!(" WHERE cidr LIKE ?1 OR cidr IN ({holders})"), texts)
}

/// What overlaps a searched address or CIDR (see [`View::search`]).
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Pool CIDRs overlapping the target, outermost first.
    pub pools: Vec<PoolHit>,
    /// Allocations, reservations and child-pool carve-outs overlapping the target (at most the
    /// limit asked for).
    pub allocations: Vec<AllocationRow>,
    /// How many overlap it in all.
    pub allocation_count: u64,
    /// Discovered CIDRs overlapping the target (at most the limit asked for).
    pub discovered: Vec<DiscoveredHit>,
    pub discovered_count: u64,
}

/// A pool CIDR overlapping a searched block.
#[derive(Clone, Debug)]
pub struct PoolHit {
    pub pool: Pool,
    pub pool_cidr: Cidr,
    /// The pool CIDR holds the whole searched block (else it only overlaps part of it).
    pub holds: bool,
    /// The pool's allocations, reservations and carve-outs overlapping the searched block.
    pub overlapping: u64,
}

/// A discovered CIDR overlapping a searched block.
#[derive(Clone, Debug)]
pub struct DiscoveredHit {
    pub discovery_id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub cidr: Cidr,
    pub name: Option<String>,
    pub pool_id: Option<String>,
}

/// One CIDR of a discovery's last scan, as the scan stored it.
#[derive(Clone, Debug)]
pub struct DiscoveredCidr {
    pub resource_id: String,
    pub resource_type: String,
    pub cidr: String,
    pub region: Option<String>,
    pub owner_id: Option<String>,
    pub name: Option<String>,
    pub pool_id: Option<String>,
    /// None for subnets (compliance is a VPC's).
    pub compliance_status: Option<String>,
    pub overlap_status: String,
    pub ip_usage: Option<f64>,
    /// Why an unmanaged VPC CIDR was not adopted (none from scans before schema 13).
    pub reason: Option<String>,
}

/// The schema version that added resource discoveries (read-only views do not migrate).
const DISCOVERY_SCHEMA: i64 = 5;

/// The schema version that added a discovered CIDR's `reason`.
const REASON_SCHEMA: i64 = 13;
/// A discovery as `/discovery` heads it, with the latest scan's failure when no scan has
/// succeeded since.
#[derive(Clone, Debug)]
pub struct DiscoverySummary {
    pub id: String,
    pub description: Option<String>,
    pub last_scanned: Option<i64>,
    pub failure: Option<ScanFailure>,
}

/// A scan that could not read its sources (it stored nothing; the audit log kept why).
#[derive(Clone, Debug)]
pub struct ScanFailure {
    pub at: i64,
    pub message: String,
}

/// How many of a discovery's stored CIDRs have one pair of statuses.
#[derive(Clone, Debug)]
pub struct StatusCount {
    pub discovery_id: String,
    pub compliance_status: Option<String>,
    pub overlap_status: String,
    pub count: u64,
}

/// The compliance statuses a scan stores (subnets have none), in the order people triage them.
pub const COMPLIANCE_STATUSES: [&str; 4] = ["unmanaged", "noncompliant", "compliant", "ignored"];
/// The overlap statuses a scan stores.
pub const OVERLAP_STATUSES: [&str; 3] = ["overlapping", "nonoverlapping", "ignored"];

/// Stored CIDRs per status, over every discovery.
#[derive(Clone, Debug, Default)]
pub struct StatusTotals {
    pub compliance: std::collections::BTreeMap<&'static str, u64>,
    pub overlap: std::collections::BTreeMap<&'static str, u64>,
    /// Unmanaged, noncompliant or overlapping: the CIDRs that need someone.
    pub attention: u64,
}

/// The schema version that added organizations and resource shares.
const SHARE_SCHEMA: i64 = 7;

impl View<'_, '_> {
    fn schema_version(&self) -> Result<i64> {
        let version: Option<i64> =
            self.tx
                .query_row("SELECT MAX(version) FROM schema_version", (), |r| r.get(0))?;
        Ok(version.unwrap_or(0))
    }

    /// How many resource discoveries the database holds.
    pub fn discovery_count(&self) -> Result<u64> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(0);
        }
        Ok(self
            .tx
            .query_row("SELECT COUNT(*) FROM resource_discoveries", (), |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Every discovery, oldest first, with a failed latest scan. Counting and paging happen in
    /// SQL: a scan may store hundreds of thousands of CIDRs.
    pub fn discovery_summaries(&self) -> Result<Vec<DiscoverySummary>> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(Vec::new());
        }
        let mut out: Vec<DiscoverySummary> = self
            .tx
            .prepare_cached(
                "SELECT id, description, last_scanned FROM resource_discoveries ORDER BY created_at, id",
            )?
            .query_map((), |r| {
                Ok(DiscoverySummary {
                    id: r.get(0)?,
                    description: r.get(1)?,
                    last_scanned: r.get(2)?,
                    failure: None,
                })
            })?
            .collect::<Result<_>>()?;
        for d in &mut out {
            d.failure = self.scan_failure(&d.id, d.last_scanned)?;
        }
        Ok(out)
    }

    /// Stored CIDRs per discovery id, in one pass over the discovery index.
    pub fn discovered_per_discovery(&self) -> Result<std::collections::HashMap<String, u64>> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(Default::default());
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT discovery_id, COUNT(*) FROM discovered_cidrs GROUP BY discovery_id",
        )?;
        let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        rows.collect()
    }

    /// SQLite's number for the database's committed state as this connection sees it: it
    /// changes whenever another connection commits (`PRAGMA data_version`). None on
    /// PostgreSQL, which has no such number.
    pub fn data_version(&self) -> Result<Option<i64>> {
        if self.tx.dialect() == ipam_db::Dialect::Postgres {
            return Ok(None);
        }
        Ok(Some(self.tx.query_row("PRAGMA data_version", (), |r| {
            r.get::<_, i64>(0)
        })?))
    }

    /// The latest failed scan of `id`, when no scan succeeded after it: the failure recorded
    /// which scan time it left in place, so a later success (a new time) hides it.
    fn scan_failure(&self, id: &str, last_scanned: Option<i64>) -> Result<Option<ScanFailure>> {
        let row: Option<(i64, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT at, after FROM audit_events WHERE object_id = ?1 AND action = ?2 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![id, super::discovery::SCAN_FAILED], |r| {
                Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((at, after)) = row else {
            return Ok(None);
        };
        let after: serde_json::Value = after
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        if after.get("last_scanned").and_then(|v| v.as_i64()) != last_scanned {
            return Ok(None);
        }
        Ok(Some(ScanFailure {
            at,
            message: after
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or("the sources could not be read")
                .to_string(),
        }))
    }

    /// How many stored CIDRs (of every discovery) have each status, in one pass without a sort:
    /// the figures at the top of `/discovery` and on `/`.
    pub fn discovered_totals(&self) -> Result<StatusTotals> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(StatusTotals::default());
        }
        let sums: Vec<String> = COMPLIANCE_STATUSES
            .iter()
            .map(|s| format!("compliance_status = '{s}'"))
            .chain(OVERLAP_STATUSES.iter().map(|s| format!("overlap_status = '{s}'")))
            .chain(std::iter::once(
                "compliance_status IN ('unmanaged', 'noncompliant') OR overlap_status = 'overlapping'".to_string(),
            ))
            .map(|c| format!("COALESCE(SUM(CASE WHEN {c} THEN 1 ELSE 0 END), 0)"))
            .collect();
        let values: Vec<i64> = self.tx.query_row(
            &format!("SELECT {} FROM discovered_cidrs", sums.join(", ")),
            (),
            |r| (0..sums.len()).map(|i| r.get::<_, i64>(i)).collect(),
        )?;
        let n = COMPLIANCE_STATUSES.len();
        Ok(StatusTotals {
            compliance: COMPLIANCE_STATUSES
                .iter()
                .zip(&values)
                .map(|(s, v)| (*s, *v as u64))
                .collect(),
            overlap: OVERLAP_STATUSES
                .iter()
                .zip(&values[n..])
                .map(|(s, v)| (*s, *v as u64))
                .collect(),
            attention: values.last().copied().unwrap_or(0) as u64,
        })
    }

    /// How many stored CIDRs have each pair of statuses, per discovery.
    pub fn discovered_counts(&self) -> Result<Vec<StatusCount>> {
        if self.schema_version()? < DISCOVERY_SCHEMA {
            return Ok(Vec::new());
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT discovery_id, compliance_status, overlap_status, COUNT(*) FROM discovered_cidrs
             GROUP BY discovery_id, compliance_status, overlap_status",
        )?;
        let rows = stmt.query_map((), |r| {
            Ok(StatusCount {
                discovery_id: r.get(0)?,
                compliance_status: r.get(1)?,
                overlap_status: r.get(2)?,
                count: r.get::<_, i64>(3)? as u64,
            })
        })?;
        rows.collect()
    }

    /// One page of a discovery's stored CIDRs in the scan's order (VPCs first, then address
    /// order): SQLite keeps rows in the order the scan inserted them (its rowid, walked through
    /// the discovery's index, so no sort); PostgreSQL sorts the CIDRs as `inet`.
    pub fn discovered_page(
        &self,
        id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<DiscoveredCidr>> {
        let order = match self.tx.dialect() {
            ipam_db::Dialect::Postgres => "resource_type <> 'vpc', CAST(cidr AS inet), resource_id",
            _ => "rowid",
        };
        // A file of an older schema (read-only views do not migrate) has no reasons.
        let reason = if self.schema_version()? >= REASON_SCHEMA {
            "reason"
        } else {
            "NULL"
        };
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT resource_id, resource_type, cidr, region, owner_id, name, pool_id, compliance_status, overlap_status, CAST(ip_usage AS TEXT), {reason}
             FROM discovered_cidrs WHERE discovery_id = ?1 ORDER BY {order} LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(
            params![
                id,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            discovered_cidr,
        )?;
        rows.collect()
    }

    /// The resource shares that hold `pool_id`: (share id, name, principals).
    pub fn pool_shares(&self, pool_id: &str) -> Result<Vec<(String, String, Vec<String>)>> {
        if self.schema_version()? < SHARE_SCHEMA {
            return Ok(Vec::new());
        }
        Ok(super::reach::shares_of_pool(self.tx, pool_id)?
            .into_iter()
            .map(|s| (s.id, s.name, s.principals))
            .collect())
    }
}

fn discovered_cidr(r: &ipam_db::Row) -> Result<DiscoveredCidr> {
    Ok(DiscoveredCidr {
        resource_id: r.get(0)?,
        resource_type: r.get(1)?,
        cidr: r.get(2)?,
        region: r.get(3)?,
        owner_id: r.get(4)?,
        name: r.get(5)?,
        pool_id: r.get(6)?,
        compliance_status: r.get(7)?,
        overlap_status: r.get(8)?,
        // A fraction crosses both backends as decimal text.
        ip_usage: r.get::<_, Option<String>>(9)?.and_then(|t| t.parse().ok()),
        reason: r.get(10)?,
    })
}

/// Parses what a person types into a search box: an address (`10.1.2.3`, `2001:db8::1`) or a
/// CIDR, whose host bits are cleared rather than refused.
pub fn parse_query(s: &str) -> Option<Cidr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<std::net::IpAddr>() {
        let (family, n) = match ip {
            std::net::IpAddr::V4(v) => (AddressFamily::Ipv4, u128::from(u32::from(v))),
            std::net::IpAddr::V6(v) => (AddressFamily::Ipv6, u128::from(v)),
        };
        return Some(Cidr::from_start(family, n, family.bits()));
    }
    let net: ipnet::IpNet = s.parse().ok()?;
    Cidr::parse(&net.trunc().to_string()).ok()
}
