//! Resource shares: which pools are shared with which accounts, units or the organization.
//! What a share allows is decided in [`super::authority`].

use super::audit::record;
use super::authority::{authorize, Action, Refusal, Role};
use super::model::Field;
use super::model::Remedy;
use super::model::{tags_json, Tags};
use super::reach::{
    is_member, load_organization, load_share, principals_of, shares_of_pool, unit_exists,
    Organization, ResourceShare,
};
use super::rows::load_pool;
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, Tx};
use serde_json::json;

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
                field: Field::SharedPools,
                message: format!("no IPAM pool {p:?} exists in this database"),
                remedy: Some(Remedy::NameExistingPools),
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
            let (why, remedy) = if is_account {
                (
                    "is not an account of the organization",
                    Some(Remedy::AddMemberOrAllowExternal),
                )
            } else {
                (
                    "is not the organization, one of its organizational units or a 12-digit account id",
                    None,
                )
            };
            return Err(Error::Invalid {
                field: Field::SharePrincipals,
                message: format!("the principal {p:?} {why}"),
                remedy,
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
                Action::ModifyResourceShare
            } else {
                Action::CreateResourceShare
            };
            record(
                tx,
                actor,
                &authorize(tx, actor, action)?,
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
                &authorize(tx, actor, Action::DeleteResourceShare)?,
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
    pub fn ipam_admin_refusal(&self, account: &str) -> Result<Option<Refusal>> {
        self.refusal(account, Role::IpamAdmin)
    }

    /// Why `account` may not allocate from `pool_id`, or None when it may.
    pub fn pool_use_refusal(&self, account: &str, pool_id: &str) -> Result<Option<Refusal>> {
        self.refusal(account, Role::PoolUser { pool_id })
    }

    /// Why `account` may not act in `role`, or None when it may: the plan asks what the
    /// change's transaction will decide ([`super::authority::authorize`]), over one snapshot.
    pub fn refusal(&self, account: &str, role: Role) -> Result<Option<Refusal>> {
        self.read(|tx| super::authority::refusal(tx, account, role))
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
