//! Resource shares and the rules they decide: who may change the IPAMs and who may allocate
//! from which pool. [`authorize`] runs inside every audited change (see `audit.rs`), so a
//! change the rules forbid rolls back whatever path it came by; the provider's plan-time
//! checks ask the same functions first, to fail at `terraform plan`.

use super::audit::record;
use super::model::{tags_from, tags_json, Tags};
use super::organization::{is_member, load_organization, principals_of, unit_exists, Organization};
use super::rows::load_pool;
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Tx};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceShare {
    pub id: String,
    pub name: String,
    /// Pool ids, as given (ids or ARNs) normalized to ids.
    pub pool_ids: Vec<String>,
    /// Account ids, unit ids or the organization id.
    pub principals: Vec<String>,
    pub allow_external_principals: bool,
    pub tags: Tags,
    pub owner_id: String,
}

/// What a share is asked to hold.
#[derive(Clone, Debug, Default)]
pub struct ShareSpec {
    pub name: String,
    /// Pool ids or ARNs.
    pub resources: Vec<String>,
    /// Account ids, unit ids or ARNs, the organization id or ARN.
    pub principals: Vec<String>,
    pub allow_external_principals: bool,
    pub tags: Tags,
}

/// An ARN's last path segment is the id it names; anything else is an id already.
pub fn id_of(s: &str) -> String {
    if s.starts_with("arn:") {
        s.rsplit('/').next().unwrap_or(s).to_string()
    } else {
        s.to_string()
    }
}

/// Changes only the IPAM admin may make: everything that shapes the address space.
const ADMIN_ACTIONS: &[&str] = &[
    "create-ipam",
    "modify-ipam",
    "delete-ipam",
    "create-ipam-scope",
    "modify-ipam-scope",
    "delete-ipam-scope",
    "create-ipam-pool",
    "modify-ipam-pool",
    "delete-ipam-pool",
    "provision-pool-cidr",
    "deprovision-pool-cidr",
    "create-resource-discovery",
    "modify-resource-discovery",
    "delete-resource-discovery",
    "associate-resource-discovery",
    "disassociate-resource-discovery",
    "create-resource-share",
    "modify-resource-share",
    "delete-resource-share",
];

/// Changes that take new space from a pool (named in the record's `pool_id`).
const ALLOCATING_ACTIONS: &[&str] = &["allocate-cidr", "reserve-cidr", "allocate-reserved-cidr"];

/// Refuses a change the organization's rules forbid; called for every audited change.
/// Releasing and changing existing allocations stay allowed: removing a share keeps them.
pub(crate) fn authorize(
    tx: &Tx,
    actor: &Actor,
    action: &str,
    after: Option<&serde_json::Value>,
) -> Result<()> {
    if ADMIN_ACTIONS.contains(&action) {
        return admin_refusal(tx, &actor.account_id)?.map_or(Ok(()), |m| Err(Error::Refused(m)));
    }
    if ALLOCATING_ACTIONS.contains(&action) {
        if let Some(pool_id) = after
            .and_then(|a| a.get("pool_id"))
            .and_then(|p| p.as_str())
        {
            return pool_refusal(tx, &actor.account_id, pool_id)?
                .map_or(Ok(()), |m| Err(Error::Refused(m)));
        }
    }
    Ok(())
}

/// Why `account` may not administer IPAM here, or None when it may (or there is no organization).
pub(crate) fn admin_refusal(tx: &Tx, account: &str) -> Result<Option<String>> {
    let Some(org) = load_organization(tx)? else {
        return Ok(None);
    };
    let admin = org.ipam_admin();
    Ok((admin != account).then(|| {
        format!(
            "the account {account} may not create, change or destroy IPAMs, scopes, pools, pool CIDRs, discoveries or resource shares in the organization {}: only its IPAM admin account {admin} may ({}); run this from that account's configuration, or allocate from a pool shared with {account}",
            org.id,
            if org.delegated_admin_account_id.is_some() { "delegated by the management account" } else { "the management account, as no admin is delegated" }
        )
    }))
}

/// Why `account` may not allocate from `pool_id`, or None when it may: it administers IPAM,
/// owns the pool, or a share reaches it directly, through a unit at any depth, or through
/// the whole organization.
pub(crate) fn pool_refusal(tx: &Tx, account: &str, pool_id: &str) -> Result<Option<String>> {
    let Some(org) = load_organization(tx)? else {
        return Ok(None);
    };
    if org.ipam_admin() == account {
        return Ok(None);
    }
    if load_pool(tx, pool_id)?.is_some_and(|p| p.owner_id == account) {
        return Ok(None);
    }
    let reaching = principals_of(tx, &org, account)?;
    let shares = shares_of_pool(tx, pool_id)?;
    if shares
        .iter()
        .any(|s| s.principals.iter().any(|p| reaching.contains(p)))
    {
        return Ok(None);
    }
    let listed = if shares.is_empty() {
        "the pool is not shared with anyone".to_string()
    } else {
        let each: Vec<String> = shares
            .iter()
            .map(|s| format!("{} ({:?}) with {}", s.id, s.name, s.principals.join(", ")))
            .collect();
        format!("the pool's shares: {}", each.join("; "))
    };
    Ok(Some(format!(
        "the account {account} may not allocate from the pool {pool_id}: no resource share reaches it ({listed}); ask the IPAM admin account {} to share the pool with {account}, one of its organizational units or the organization, or use a pool shared with it",
        org.ipam_admin()
    )))
}

fn load_share(tx: &Tx, id: &str) -> Result<Option<ResourceShare>> {
    let row = tx
        .prepare_cached("SELECT id, name, allow_external_principals, tags, owner_id FROM resource_shares WHERE id = ?1")?
        .query_row([id], |r| {
            Ok::<_, ipam_db::Error>(ResourceShare {
                id: r.get(0)?,
                name: r.get(1)?,
                allow_external_principals: r.get(2)?,
                tags: tags_from(&r.get::<_, String>(3)?),
                owner_id: r.get(4)?,
                pool_ids: vec![],
                principals: vec![],
            })
        })
        .optional()?;
    let Some(mut s) = row else { return Ok(None) };
    let list = |sql: &str| -> Result<Vec<String>> {
        let mut stmt = tx.prepare_cached(sql)?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<ipam_db::Result<_>>()?)
    };
    s.pool_ids =
        list("SELECT pool_id FROM resource_share_pools WHERE share_id = ?1 ORDER BY pool_id")?;
    s.principals = list(
        "SELECT principal FROM resource_share_principals WHERE share_id = ?1 ORDER BY principal",
    )?;
    Ok(Some(s))
}

pub(crate) fn shares_of_pool(tx: &Tx, pool_id: &str) -> Result<Vec<ResourceShare>> {
    let ids: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT share_id FROM resource_share_pools WHERE pool_id = ?1 ORDER BY share_id",
        )?;
        let rows = stmt.query_map([pool_id], |r| r.get(0))?;
        rows.collect::<ipam_db::Result<_>>()?
    };
    ids.iter()
        .filter_map(|id| load_share(tx, id).transpose())
        .collect()
}

/// The share's pools and principals as ids, each checked against the database.
fn normalized(
    tx: &Tx,
    org: Option<&Organization>,
    spec: &ShareSpec,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut pools: Vec<String> = spec.resources.iter().map(|r| id_of(r)).collect();
    pools.sort();
    pools.dedup();
    for p in &pools {
        if load_pool(tx, p)?.is_none() {
            return Err(Error::Invalid {
                attr: "resource_arns",
                message: format!(
                    "no IPAM pool {p:?} exists in this database; give pool ids or ARNs"
                ),
            });
        }
    }
    let mut principals: Vec<String> = spec.principals.iter().map(|r| id_of(r)).collect();
    principals.sort();
    principals.dedup();
    for p in &principals {
        let is_account = p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit());
        let known = match org {
            _ if is_account && spec.allow_external_principals => true,
            None => false,
            Some(o) if *p == o.id => true,
            Some(_) if p.starts_with("ou-") => unit_exists(tx, p)?,
            Some(o) if is_account => is_member(tx, o, p)?,
            Some(_) => false,
        };
        if !known {
            let why = if is_account {
                "is not an account of the organization; add it with an ipam_organization_account, or set allow_external_principals = true"
            } else {
                "is not the organization, one of its organizational units or a 12-digit account id"
            };
            return Err(Error::Invalid {
                attr: "principals",
                message: format!("the principal {p:?} {why}"),
            });
        }
    }
    Ok((pools, principals))
}

fn write_share(tx: &Tx, s: &ResourceShare) -> Result<()> {
    tx.execute(
        "INSERT INTO resource_shares (id, name, allow_external_principals, tags, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, allow_external_principals = excluded.allow_external_principals, tags = excluded.tags",
        params![s.id, s.name, s.allow_external_principals, tags_json(&s.tags), s.owner_id, now_secs()],
    )?;
    tx.execute(
        "DELETE FROM resource_share_pools WHERE share_id = ?1",
        [&s.id],
    )?;
    tx.execute(
        "DELETE FROM resource_share_principals WHERE share_id = ?1",
        [&s.id],
    )?;
    for p in &s.pool_ids {
        tx.execute(
            "INSERT INTO resource_share_pools (share_id, pool_id) VALUES (?1, ?2)",
            params![s.id, p],
        )?;
    }
    for p in &s.principals {
        tx.execute(
            "INSERT INTO resource_share_principals (share_id, principal) VALUES (?1, ?2)",
            params![s.id, p],
        )?;
    }
    Ok(())
}

fn share_json(s: &ResourceShare) -> serde_json::Value {
    json!({"id": s.id, "name": s.name, "pools": s.pool_ids, "principals": s.principals, "allow_external_principals": s.allow_external_principals, "tags": s.tags})
}

impl Store {
    pub fn get_resource_share(&self, id: &str) -> Result<Option<ResourceShare>> {
        self.read(|tx| load_share(tx, id))
    }

    /// Creates (`id` None) or replaces the contents of a share.
    pub fn put_resource_share(
        &self,
        actor: &Actor,
        id: Option<&str>,
        spec: &ShareSpec,
    ) -> Result<ResourceShare> {
        self.write(|tx| {
            let org = load_organization(tx)?;
            let before = match id {
                Some(id) => Some(load_share(tx, id)?.ok_or_else(|| Error::NotFound {
                    kind: "resource share",
                    id: id.into(),
                })?),
                None => None,
            };
            let (pool_ids, principals) = normalized(tx, org.as_ref(), spec)?;
            let s = ResourceShare {
                id: id.map_or_else(|| new_id("rs"), String::from),
                name: spec.name.clone(),
                pool_ids,
                principals,
                allow_external_principals: spec.allow_external_principals,
                tags: spec.tags.clone(),
                owner_id: before
                    .as_ref()
                    .map_or_else(|| actor.account_id.clone(), |b| b.owner_id.clone()),
            };
            write_share(tx, &s)?;
            let action = if before.is_some() {
                "modify-resource-share"
            } else {
                "create-resource-share"
            };
            record(
                tx,
                actor,
                action,
                &s.id,
                before.as_ref().map(share_json),
                Some(share_json(&s)),
            )?;
            Ok(s)
        })
    }

    /// Deletes a share: allocations it allowed stay; new ones it allowed are refused.
    pub fn delete_resource_share(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            let before = load_share(tx, id)?.ok_or_else(|| Error::NotFound {
                kind: "resource share",
                id: id.into(),
            })?;
            tx.execute("DELETE FROM resource_share_pools WHERE share_id = ?1", [id])?;
            tx.execute(
                "DELETE FROM resource_share_principals WHERE share_id = ?1",
                [id],
            )?;
            tx.execute("DELETE FROM resource_shares WHERE id = ?1", [id])?;
            record(
                tx,
                actor,
                "delete-resource-share",
                id,
                Some(share_json(&before)),
                None,
            )
        })
    }

    /// The shares that hold `pool_id`.
    pub fn pool_shares(&self, pool_id: &str) -> Result<Vec<ResourceShare>> {
        self.read(|tx| shares_of_pool(tx, pool_id))
    }

    /// Why `account` may not administer IPAM, or None when it may.
    pub fn ipam_admin_refusal(&self, account: &str) -> Result<Option<String>> {
        self.read(|tx| admin_refusal(tx, account))
    }

    /// Why `account` may not allocate from `pool_id`, or None when it may.
    pub fn pool_use_refusal(&self, account: &str, pool_id: &str) -> Result<Option<String>> {
        self.read(|tx| pool_refusal(tx, account, pool_id))
    }

    /// Whether a share reaches `account` for `pool_id` (not counting administering or owning it).
    pub fn pool_shared_with(&self, account: &str, pool_id: &str) -> Result<bool> {
        self.read(|tx| {
            let Some(org) = load_organization(tx)? else {
                return Ok(false);
            };
            let reaching = principals_of(tx, &org, account)?;
            Ok(shares_of_pool(tx, pool_id)?
                .iter()
                .any(|s| s.principals.iter().any(|p| reaching.contains(p))))
        })
    }
}
