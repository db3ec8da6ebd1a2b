//! Pools: their guardrails, their place in the hierarchy, and deleting them (with cascade).

use super::audit::record;
use super::authority::{authorize, Action, Release};
use super::model::Field;
use super::model::{tags_json, Pool, PoolCidr, ScopeType, Tags};
use super::rows::{
    load_ipam, load_pool, load_pool_cidrs, load_scope, pool_row, require_pool, POOL_COLUMNS,
};
use super::{new_id, Actor, Error, Result, Store};
use ipam_db::{params, Tx};
use ipam_engine::{AddressFamily, PoolRules};
use serde_json::json;

/// What a new pool is.
#[derive(Clone, Debug, Default)]
pub struct PoolSpec {
    pub scope_id: String,
    pub family: Option<AddressFamily>,
    pub parent_id: Option<String>,
    pub locale: Option<String>,
    pub description: Option<String>,
    pub min_len: Option<i64>,
    pub max_len: Option<i64>,
    pub default_len: Option<i64>,
    pub allocation_tags: Tags,
    pub auto_import: bool,
    pub publicly_advertisable: Option<bool>,
    pub aws_service: Option<String>,
    pub tags: Tags,
}

/// What may change on an existing pool.
#[derive(Clone, Debug, Default)]
pub struct PoolUpdate {
    pub description: Option<String>,
    pub min_len: Option<i64>,
    pub max_len: Option<i64>,
    pub default_len: Option<i64>,
    pub allocation_tags: Tags,
    pub auto_import: bool,
    pub publicly_advertisable: Option<bool>,
    pub tags: Tags,
}

/// A pool as the audit log shows it: every field of the record, so that every change a user
/// can make appears in an event's `before` and `after` (the destructuring fails to compile
/// when a field is added and not shown here).
pub(crate) fn pool_json(p: &Pool) -> serde_json::Value {
    let Pool {
        id,
        ipam_id,
        scope_id,
        scope_type,
        family,
        parent_id,
        locale,
        description,
        rules,
        auto_import,
        publicly_advertisable,
        aws_service,
        tags,
        depth,
        owner_id,
    } = p;
    json!({
        "id": id, "ipam_id": ipam_id, "scope_id": scope_id, "scope_type": scope_type.as_str(),
        "family": family.as_str(), "parent_id": parent_id, "locale": locale,
        "description": description, "min": rules.min_len, "max": rules.max_len,
        "default": rules.default_len, "allocation_tags": rules.required_tags,
        "auto_import": auto_import, "publicly_advertisable": publicly_advertisable,
        "aws_service": aws_service, "tags": tags, "depth": depth, "owner_id": owner_id,
    })
}

impl Store {
    /// Checks a new pool's spec without creating it (plan time).
    pub fn check_pool_spec(&self, spec: &PoolSpec) -> Result<()> {
        self.read(|tx| validate_spec(tx, spec).map(|_| ()))
    }

    pub fn create_pool(&self, actor: &Actor, spec: PoolSpec) -> Result<Pool> {
        self.write(|tx| create_pool_tx(tx, actor, &spec))
    }

    pub fn get_pool(&self, id: &str) -> Result<Option<Pool>> {
        self.read(|tx| load_pool(tx, id))
    }

    pub fn pool_cidrs(&self, pool_id: &str) -> Result<Vec<PoolCidr>> {
        self.read(|tx| load_pool_cidrs(tx, pool_id))
    }

    /// Pools whose description equals one of `descriptions` (when given) and whose tags
    /// include every (key, one of values) in `tags`.
    pub fn find_pools(
        &self,
        descriptions: Option<&[String]>,
        tags: &[(String, Vec<String>)],
        ids: Option<&[String]>,
    ) -> Result<Vec<Pool>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {POOL_COLUMNS} FROM pools p JOIN scopes s ON s.id = p.scope_id ORDER BY p.id"
            ))?;
            let pools = stmt.query_map((), pool_row)?.collect::<Result<Vec<_>>>()?;
            Ok(pools
                .into_iter()
                .filter(|p| descriptions.is_none_or(|d| p.description.as_ref().is_some_and(|pd| d.contains(pd))))
                .filter(|p| ids.is_none_or(|i| i.contains(&p.id)))
                .filter(|p| tags.iter().all(|(k, vs)| p.tags.get(k).is_some_and(|v| vs.contains(v))))
                .collect())
        })
    }

    pub fn update_pool(&self, actor: &Actor, id: &str, u: PoolUpdate) -> Result<Pool> {
        self.write(|tx| {
            let before = require_pool(tx, id)?;
            let rules = PoolRules::new(before.family, u.min_len, u.max_len, u.default_len, u.allocation_tags.clone())?;
            tx.execute(
                "UPDATE pools SET description = ?2, min_len = ?3, max_len = ?4, default_len = ?5, allocation_tags = ?6,
                    auto_import = ?7, publicly_advertisable = ?8, tags = ?9 WHERE id = ?1",
                params![id, u.description, rules.min_len, rules.max_len, rules.default_len, tags_json(&rules.required_tags),
                    u.auto_import, u.publicly_advertisable, tags_json(&u.tags)],
            )?;
            let after = require_pool(tx, id)?;
            // A plan that changes only what the database does not keep (`timeouts`, `cascade`)
            // updates nothing: no event that says nothing.
            let (b, a) = (pool_json(&before), pool_json(&after));
            if a != b {
                record(tx, actor, &authorize(tx, actor, Action::ModifyPool)?, id, Some(b), Some(a))?;
            }
            Ok(after)
        })
    }

    pub fn delete_pool(&self, actor: &Actor, id: &str, cascade: bool) -> Result<()> {
        self.write(|tx| delete_pool_tx(tx, actor, id, cascade))
    }
}

/// Deletes a pool inside `tx`. Without cascade it must be empty; with it, child pools go first,
/// then allocations, then its CIDRs, whose blocks return to the parent pool.
pub(crate) fn delete_pool_tx(tx: &Tx, actor: &Actor, id: &str, cascade: bool) -> Result<()> {
    let before = require_pool(tx, id)?;
    let children: Vec<String> = tx
        .prepare_cached("SELECT id FROM pools WHERE parent_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?;
    // Reservations are not counted: they go with the pool (see `drop_reservations`).
    let allocations: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM allocations WHERE pool_id = ?1 AND kind != 'ipam-pool' AND state != 'reserved' ORDER BY start",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?;
    let cidrs = load_pool_cidrs(tx, id)?;
    if !cascade && (!children.is_empty() || !allocations.is_empty() || !cidrs.is_empty()) {
        return Err(Error::PoolInUse {
            pool_id: id.to_string(),
            child_pools: children,
            cidrs: cidrs.iter().map(|c| c.cidr).collect(),
            allocations,
        });
    }
    for c in &children {
        delete_pool_tx(tx, actor, c, true)?;
    }
    super::pool_cidr::drop_reservations(tx, actor, id, None, Release::ReservationWithPool)?;
    tx.execute("DELETE FROM allocations WHERE pool_id = ?1", [id])?;
    tx.execute("DELETE FROM free_blocks WHERE pool_id = ?1", [id])?;
    for c in &cidrs {
        super::pool_cidr::return_to_source(tx, actor, c)?;
    }
    tx.execute("DELETE FROM pool_cidrs WHERE pool_id = ?1", [id])?;
    tx.execute("DELETE FROM pools WHERE id = ?1", [id])?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::DeletePool)?,
        id,
        Some(pool_json(&before)),
        None,
    )?;
    Ok(())
}

type Validated = (
    super::model::Scope,
    super::model::Ipam,
    AddressFamily,
    PoolRules,
    i64,
);

/// Everything a new pool must satisfy: its scope and parent exist, the parent is in the same
/// scope with the same family and locale, the locale is an operating region, the rules hold.
fn validate_spec(tx: &Tx, spec: &PoolSpec) -> Result<Validated> {
    let scope = load_scope(tx, &spec.scope_id)?.ok_or_else(|| Error::NotFound {
        kind: "IPAM scope",
        id: spec.scope_id.clone(),
    })?;
    let ipam = load_ipam(tx, &scope.ipam_id)?.ok_or_else(|| Error::NotFound {
        kind: "IPAM",
        id: scope.ipam_id.clone(),
    })?;
    let family = spec.family.unwrap_or(AddressFamily::Ipv4);
    let rules = PoolRules::new(
        family,
        spec.min_len,
        spec.max_len,
        spec.default_len,
        spec.allocation_tags.clone(),
    )?;
    let mut depth = 1;
    if let Some(parent_id) = &spec.parent_id {
        let parent = require_pool(tx, parent_id)?;
        if parent.scope_id != scope.id {
            return Err(Error::Invalid { field: Field::SourcePool, message: format!(
                "the source pool {parent_id} is in the scope {}, not {}: a child pool must be in its parent's scope",
                parent.scope_id, scope.id
            ), remedy: None });
        }
        if parent.family != family {
            return Err(Error::Invalid { field: Field::AddressFamily, message: format!(
                "the source pool {parent_id} holds {} addresses; a child pool must have the same address_family",
                parent.family
            ), remedy: None });
        }
        if let Some(pl) = &parent.locale {
            if spec.locale.as_ref() != Some(pl) {
                return Err(Error::Invalid { field: Field::Locale, message: format!(
                    "the source pool {parent_id} has locale {pl:?}; a child pool's locale must be the same"
                ), remedy: None });
            }
        }
        depth = parent.depth + 1;
    }
    if let Some(l) = &spec.locale {
        if !ipam.operating_regions.contains(l) {
            return Err(Error::Invalid {
                field: Field::Locale,
                message: format!(
                    "locale {l:?} is not an operating region of the IPAM {} ({})",
                    ipam.id,
                    ipam.operating_regions.join(", ")
                ),
                remedy: None,
            });
        }
    }
    if spec.publicly_advertisable.is_some()
        && !(family == AddressFamily::Ipv6 && scope.scope_type == ScopeType::Public)
    {
        return Err(Error::Invalid {
            field: Field::PubliclyAdvertisable,
            message: "publicly_advertisable applies only to IPv6 pools in the public scope".into(),
            remedy: None,
        });
    }
    Ok((scope, ipam, family, rules, depth))
}

/// Creates a pool inside `tx` (also the first step of a resource planning pool).
pub(crate) fn create_pool_tx(tx: &Tx, actor: &Actor, spec: &PoolSpec) -> Result<Pool> {
    let (scope, ipam, family, rules, depth) = validate_spec(tx, spec)?;
    let id = new_id("ipam-pool");
    tx.execute(
        "INSERT INTO pools (id, ipam_id, scope_id, family, parent_id, locale, description, min_len, max_len, default_len,
            allocation_tags, auto_import, publicly_advertisable, aws_service, tags, depth, owner_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            id, ipam.id, scope.id, family.as_str(), spec.parent_id, spec.locale, spec.description,
            rules.min_len, rules.max_len, rules.default_len, tags_json(&rules.required_tags),
            spec.auto_import, spec.publicly_advertisable, spec.aws_service, tags_json(&spec.tags),
            depth, actor.account_id
        ],
    )?;
    let pool = require_pool(tx, &id)?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::CreatePool)?,
        &id,
        None,
        Some(pool_json(&pool)),
    )?;
    Ok(pool)
}
