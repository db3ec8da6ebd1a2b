//! Who an account is in the organization, and whom a pool is shared with: the rows the rules
//! read ([`super::authority`]) and the operations of `organization.rs` and `share.rs` write.
//! Read-only, so that deciding depends on nothing that changes.

use super::model::{tags_from, Tags};
use super::Result;
use ipam_db::{OptionalExtension, Tx};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// `o-` and 10 lowercase letters or digits.
    pub id: String,
    /// `r-` and 4 lowercase letters or digits.
    pub root_id: String,
    pub management_account_id: String,
    pub delegated_admin_account_id: Option<String>,
}

impl Organization {
    /// The account that administers IPAM: the delegated one, else the management account.
    pub fn ipam_admin(&self) -> &str {
        self.delegated_admin_account_id
            .as_deref()
            .unwrap_or(&self.management_account_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationalUnit {
    /// `ou-<root's 4>-<8>`.
    pub id: String,
    pub name: String,
    /// The root or another unit.
    pub parent_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationAccount {
    pub account_id: String,
    pub name: String,
    pub parent_id: String,
    /// The PostgreSQL login role that acts as this account (unused on SQLite).
    pub database_role: Option<String>,
}

const ORGANIZATION_SQL: &str =
    "SELECT id, root_id, management_account_id, delegated_admin_account_id FROM organizations LIMIT 1";

/// Asks ahead for what [`load_organization`] will read ([`Tx::prefetch`]).
pub(crate) fn prefetch_organization(tx: &Tx) -> Result<()> {
    Ok(tx.prefetch(ORGANIZATION_SQL, &["organizations"], ())?)
}

pub(crate) fn load_organization(tx: &Tx) -> Result<Option<Organization>> {
    tx.prepare_cached(ORGANIZATION_SQL)?
        .query_row((), |r| {
            Ok(Organization {
                id: r.get(0)?,
                root_id: r.get(1)?,
                management_account_id: r.get(2)?,
                delegated_admin_account_id: r.get(3)?,
            })
        })
        .optional()
}

pub(crate) fn load_unit(tx: &Tx, id: &str) -> Result<Option<OrganizationalUnit>> {
    tx.prepare_cached("SELECT id, name, parent_id FROM organizational_units WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(OrganizationalUnit {
                id: r.get(0)?,
                name: r.get(1)?,
                parent_id: r.get(2)?,
            })
        })
        .optional()
}

pub(crate) fn load_account(tx: &Tx, id: &str) -> Result<Option<OrganizationAccount>> {
    tx
        .prepare_cached(
            "SELECT account_id, name, parent_id, database_role FROM organization_accounts WHERE account_id = ?1",
        )?
        .query_row([id], |r| {
            Ok(OrganizationAccount {
                account_id: r.get(0)?,
                name: r.get(1)?,
                parent_id: r.get(2)?,
                database_role: r.get(3)?,
            })
        })
        .optional()
}

/// The ids an account is reached by: itself, each unit above it up to the root, the
/// organization. The management account sits in the root; others not in the organization
/// are reached only by their own id.
pub(crate) fn principals_of(tx: &Tx, org: &Organization, account: &str) -> Result<Vec<String>> {
    let mut ids = vec![account.to_string()];
    let parent = if account == org.management_account_id {
        Some(org.root_id.clone())
    } else {
        load_account(tx, account)?.map(|a| a.parent_id)
    };
    let Some(mut at) = parent else {
        return Ok(ids);
    };
    // Bounded by the number of units: a cycle (never written, see check_parent) cannot loop.
    let units: i64 = tx.query_row("SELECT COUNT(*) FROM organizational_units", (), |r| {
        r.get(0)
    })?;
    for _ in 0..=units {
        if at == org.root_id {
            break;
        }
        match load_unit(tx, &at)? {
            Some(u) => {
                ids.push(u.id);
                at = u.parent_id;
            }
            None => break,
        }
    }
    ids.push(org.id.clone());
    Ok(ids)
}

/// Whether `account` belongs to the organization (the management account always does).
pub(crate) fn is_member(tx: &Tx, org: &Organization, account: &str) -> Result<bool> {
    Ok(account == org.management_account_id || load_account(tx, account)?.is_some())
}

pub(crate) fn unit_exists(tx: &Tx, id: &str) -> Result<bool> {
    Ok(load_unit(tx, id)?.is_some())
}

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

pub(crate) fn load_share(tx: &Tx, id: &str) -> Result<Option<ResourceShare>> {
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
