//! Row loaders: every record the store reads, loaded in one place. Modules that change
//! records take their loaders from here, so no store module needs another's internals to read
//! (the review found allocation → pool → ipam → pool → pool_cidr → allocation).

use super::model::{
    tags_from, Allocation, AllocationState, Ipam, Pool, PoolCidr, Scope, ScopeType,
};
use super::{Error, Origin, Result};
use ipam_db::{OptionalExtension, Row, Tx};
use ipam_engine::{AddressFamily, AllocationKind, Cidr, PoolRules};

pub(crate) const ALLOCATION_COLUMNS: &str = "id, pool_id, cidr, kind, resource_id, name, state, expires_at, description, tags, owner_id, region, disallowed, origin_dir, origin_workspace, origin_at, origin_state";

pub(crate) fn allocation_row(r: &Row) -> Result<Allocation> {
    let cidr: String = r.get(2)?;
    let cidr =
        Cidr::parse(&cidr).map_err(|e| ipam_db::Error::Column(format!("cidr {cidr:?}: {e}")))?;
    Ok(Allocation {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        cidr,
        kind: AllocationKind::parse(&r.get::<_, String>(3)?).unwrap_or(AllocationKind::Vpc),
        resource_id: r.get(4)?,
        name: r.get(5)?,
        state: AllocationState::parse(&r.get::<_, String>(6)?),
        expires_at: r.get(7)?,
        description: r.get(8)?,
        tags: tags_from(&r.get::<_, String>(9)?),
        owner_id: r.get(10)?,
        region: r.get(11)?,
        disallowed: serde_json::from_str::<Vec<String>>(&r.get::<_, String>(12)?)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .collect(),
        origin: match (
            r.get::<_, Option<String>>(13)?,
            r.get::<_, Option<String>>(14)?,
        ) {
            (Some(dir), workspace) => Some(Origin {
                dir,
                workspace: workspace.unwrap_or_else(|| "default".into()),
                state: r.get(16)?,
            }),
            _ => None,
        },
        origin_at: r.get(15)?,
    })
}

pub(crate) fn load_allocation(tx: &Tx, id: &str) -> Result<Option<Allocation>> {
    tx.prepare_cached(&format!(
        "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE id = ?1"
    ))?
    .query_row([id], allocation_row)
    .optional()
}

pub(crate) fn allocation_by_name(tx: &Tx, pool_id: &str, name: &str) -> Result<Option<Allocation>> {
    tx.prepare_cached(&format!(
        "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE pool_id = ?1 AND name = ?2"
    ))?
    .query_row([pool_id, name], allocation_row)
    .optional()
}

pub(crate) fn load_ipam(tx: &Tx, id: &str) -> Result<Option<Ipam>> {
    let row = tx
        .prepare_cached(
            "SELECT id, description, operating_regions, tags, owner_id, private_scope_id, public_scope_id,
                    (SELECT COUNT(*) FROM scopes s WHERE s.ipam_id = ipams.id)
             FROM ipams WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok::<_, ipam_db::Error>(Ipam {
                id: r.get(0)?,
                description: r.get(1)?,
                operating_regions: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                tags: tags_from(&r.get::<_, String>(3)?),
                owner_id: r.get(4)?,
                private_default_scope_id: r.get(5)?,
                public_default_scope_id: r.get(6)?,
                scope_count: r.get(7)?,
            })
        })
        .optional()?;
    Ok(row)
}

pub(crate) fn load_scope(tx: &Tx, id: &str) -> Result<Option<Scope>> {
    tx.prepare_cached(
        "SELECT id, ipam_id, scope_type, is_default, description, tags,
                    (SELECT COUNT(*) FROM pools p WHERE p.scope_id = scopes.id)
             FROM scopes WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(Scope {
            id: r.get(0)?,
            ipam_id: r.get(1)?,
            scope_type: ScopeType::parse(&r.get::<_, String>(2)?),
            is_default: r.get(3)?,
            description: r.get(4)?,
            tags: tags_from(&r.get::<_, String>(5)?),
            pool_count: r.get(6)?,
        })
    })
    .optional()
}

pub(crate) const POOL_COLUMNS: &str =
    "p.id, p.ipam_id, p.scope_id, s.scope_type, p.family, p.parent_id, p.locale, p.description,
    p.min_len, p.max_len, p.default_len, p.allocation_tags, p.auto_import, p.publicly_advertisable,
    p.aws_service, p.tags, p.depth, p.owner_id";

pub(crate) fn pool_row(r: &Row) -> Result<Pool> {
    let family = AddressFamily::parse(&r.get::<_, String>(4)?).unwrap_or(AddressFamily::Ipv4);
    let len = |i: usize| -> Result<Option<u8>> { Ok(r.get::<_, Option<i64>>(i)?.map(|v| v as u8)) };
    Ok(Pool {
        id: r.get(0)?,
        ipam_id: r.get(1)?,
        scope_id: r.get(2)?,
        scope_type: ScopeType::parse(&r.get::<_, String>(3)?),
        family,
        parent_id: r.get(5)?,
        locale: r.get(6)?,
        description: r.get(7)?,
        rules: PoolRules {
            min_len: len(8)?,
            max_len: len(9)?,
            default_len: len(10)?,
            required_tags: tags_from(&r.get::<_, String>(11)?),
        },
        auto_import: r.get(12)?,
        publicly_advertisable: r.get(13)?,
        aws_service: r.get(14)?,
        tags: tags_from(&r.get::<_, String>(15)?),
        depth: r.get(16)?,
        owner_id: r.get(17)?,
    })
}

fn pool_sql() -> String {
    format!("SELECT {POOL_COLUMNS} FROM pools p JOIN scopes s ON s.id = p.scope_id WHERE p.id = ?1")
}

const POOL_CIDRS_SQL: &str =
    "SELECT id, pool_id, cidr, source_allocation_id FROM pool_cidrs WHERE pool_id = ?1 ORDER BY start";

pub(crate) fn load_pool(tx: &Tx, id: &str) -> Result<Option<Pool>> {
    tx.prepare_cached(&pool_sql())?
        .query_row([id], pool_row)
        .optional()
}

/// Asks ahead for what [`load_pool`] and [`load_pool_cidrs`] will read of pool `id`
/// ([`Tx::prefetch`]).
pub(crate) fn prefetch_pool(tx: &Tx, id: &str) -> Result<()> {
    tx.prefetch(&pool_sql(), &["pools", "scopes"], [id])?;
    Ok(tx.prefetch(POOL_CIDRS_SQL, &["pool_cidrs"], [id])?)
}

pub(crate) fn require_pool(tx: &Tx, id: &str) -> Result<Pool> {
    load_pool(tx, id)?.ok_or_else(|| Error::NotFound {
        kind: "IPAM pool",
        id: id.to_string(),
    })
}

pub(crate) fn load_pool_cidrs(tx: &Tx, pool_id: &str) -> Result<Vec<PoolCidr>> {
    let mut stmt = tx.prepare_cached(POOL_CIDRS_SQL)?;
    let rows = stmt.query_map([pool_id], |r| {
        Ok::<_, ipam_db::Error>((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, pool_id, cidr, source_allocation_id) = row?;
        if let Ok(cidr) = Cidr::parse(&cidr) {
            out.push(PoolCidr {
                id,
                pool_id,
                cidr,
                source_allocation_id,
            });
        }
    }
    Ok(out)
}

pub(crate) fn load_pool_cidr(tx: &Tx, pool_id: &str, cidr: &str) -> Result<Option<PoolCidr>> {
    Ok(load_pool_cidrs(tx, pool_id)?
        .into_iter()
        .find(|c| c.cidr.to_string() == cidr))
}
