//! The organization: one per database, its root, organizational units (nested to any depth),
//! member accounts and the delegated IPAM admin. Only the management account changes them.
//!
//! With no organization the database has one account and nothing here applies. With one, who
//! may change the IPAMs and allocate from which pool follows from these rows (see `authority.rs`).

use super::audit::record;
use super::authority::Role;
use super::authority::{authorize, Action};
use super::model::Field;
use super::model::Remedy;
use super::reach::{
    is_member, load_account, load_organization, load_unit, Organization, OrganizationAccount,
    OrganizationalUnit,
};
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Tx};
use serde_json::json;

/// `n` lowercase hex digits: letters and digits as AWS's organization ids use.
fn random(n: usize) -> String {
    let id = new_id("x");
    id[id.len() - n..].to_string()
}

/// The organization, which only its management account may change (decided by
/// [`super::authority`], before anything is written).
fn managed_by(tx: &Tx, actor: &Actor) -> Result<Organization> {
    let org = load_organization(tx)?.ok_or_else(|| Error::Blocked {
        fact: "this database has no organization".into(),
        remedy: Remedy::CreateOrganization,
    })?;
    if let Some(r) = super::authority::refusal(tx, &actor.account_id, Role::Management)? {
        return Err(Error::NotAuthorized(r));
    }
    Ok(org)
}

/// `parent_id` must be the root or a unit; for a unit being moved, not itself or below it.
fn check_parent(tx: &Tx, org: &Organization, parent_id: &str, moving: Option<&str>) -> Result<()> {
    let mut at = parent_id.to_string();
    loop {
        if Some(at.as_str()) == moving {
            return Err(Error::Invalid {
                field: Field::ParentUnit,
                message: format!("{parent_id} is the unit itself or inside it; a unit cannot be moved under itself"), remedy: None });
        }
        if at == org.root_id {
            return Ok(());
        }
        match load_unit(tx, &at)? {
            Some(u) => at = u.parent_id,
            None => {
                return Err(Error::Invalid {
                    field: Field::ParentUnit,
                    message: format!(
                        "{parent_id:?} is neither the organization's root {} nor one of its organizational units",
                        org.root_id
                    ), remedy: None })
            }
        }
    }
}

fn org_json(o: &Organization) -> serde_json::Value {
    json!({"id": o.id, "root_id": o.root_id, "management_account_id": o.management_account_id, "delegated_admin_account_id": o.delegated_admin_account_id})
}

impl Store {
    /// The organization, if the database has one.
    pub fn organization(&self) -> Result<Option<Organization>> {
        self.read(load_organization)
    }

    /// The account the login role acts as (PostgreSQL: the organization account whose
    /// `database_role` is the session's role, see the guards of migration 8). None on SQLite,
    /// and for a role no account names (the database owner, trusted to declare its account).
    pub fn login_account(&self) -> Result<Option<String>> {
        if self.dialect() != ipam_db::Dialect::Postgres {
            return Ok(None);
        }
        self.read(|tx| Ok(tx.query_row("SELECT ipam_current_account()", (), |r| r.get(0))?))
    }

    /// The login role, when the database's rules let it act as no account (PostgreSQL, an
    /// organization exists, the role is not trusted and no account's `database_role` names
    /// it): the guards then refuse every change it makes in any account's name, so a declared
    /// account cannot be honoured. None otherwise.
    pub fn login_unmapped_role(&self) -> Result<Option<String>> {
        if self.dialect() != ipam_db::Dialect::Postgres {
            return Ok(None);
        }
        self.read(|tx| {
            tx.query_row(
                "SELECT CASE WHEN NOT ipam_unruled() AND ipam_current_account() IS NULL THEN current_user::text END",
                (),
                |r| r.get(0),
            ).map_err(crate::Error::from)
        })
    }

    /// Creates the organization with the caller as its management account.
    pub fn create_organization(&self, actor: &Actor) -> Result<Organization> {
        self.write(|tx| {
            if let Some(o) = load_organization(tx)? {
                return Err(Error::Refused(format!(
                    "this database already has the organization {} (management account {}); import it instead of creating another",
                    o.id, o.management_account_id
                )));
            }
            let org = Organization {
                id: format!("o-{}", random(10)),
                root_id: format!("r-{}", random(4)),
                management_account_id: actor.account_id.clone(),
                delegated_admin_account_id: None,
            };
            tx.execute(
                "INSERT INTO organizations (id, root_id, management_account_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![org.id, org.root_id, org.management_account_id, now_secs()],
            )?;
            record(tx, actor, &authorize(tx, actor, Action::CreateOrganization)?, &org.id, None, Some(org_json(&org)))?;
            Ok(org)
        })
    }

    /// Deletes the organization once it has no units, accounts or delegated admin.
    pub fn delete_organization(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            let org = managed_by(tx, actor)?;
            if org.id != id {
                return Err(Error::NotFound { kind: "organization", id: id.into() });
            }
            let members: i64 = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM organizational_units) + (SELECT COUNT(*) FROM organization_accounts)",
                (),
                |r| r.get(0),
            )?;
            if members > 0 || org.delegated_admin_account_id.is_some() {
                return Err(Error::Blocked {
                    fact: format!("the organization {id} still has organizational units, accounts or a delegated admin"),
                    remedy: Remedy::EmptyIt,
                });
            }
            tx.execute("DELETE FROM organizations WHERE id = ?1", [id])?;
            record(tx, actor, &authorize(tx, actor, Action::DeleteOrganization)?, id, Some(org_json(&org)), None)
        })
    }

    /// Delegates IPAM administration to a member account, or (None) takes it back.
    pub fn set_delegated_admin(
        &self,
        actor: &Actor,
        account: Option<&str>,
    ) -> Result<Organization> {
        self.write(|tx| {
            let before = managed_by(tx, actor)?;
            if let Some(a) = account {
                if !is_member(tx, &before, a)? {
                    return Err(Error::Invalid {
                        field: Field::DelegatedAdminAccount,
                        message: format!(
                            "the account {a} is not a member of the organization {}",
                            before.id
                        ),
                        remedy: Some(Remedy::AddMember),
                    });
                }
            }
            tx.execute(
                "UPDATE organizations SET delegated_admin_account_id = ?1 WHERE id = ?2",
                params![account, before.id],
            )?;
            let after = Organization {
                delegated_admin_account_id: account.map(String::from),
                ..before.clone()
            };
            let action = if account.is_some() {
                Action::DelegateIpamAdmin
            } else {
                Action::RemoveIpamAdmin
            };
            record(
                tx,
                actor,
                &authorize(tx, actor, action)?,
                &after.id,
                Some(org_json(&before)),
                Some(org_json(&after)),
            )?;
            Ok(after)
        })
    }

    pub fn get_organizational_unit(&self, id: &str) -> Result<Option<OrganizationalUnit>> {
        self.read(|tx| load_unit(tx, id))
    }

    pub fn create_organizational_unit(
        &self,
        actor: &Actor,
        name: &str,
        parent_id: &str,
    ) -> Result<OrganizationalUnit> {
        self.write(|tx| {
            let org = managed_by(tx, actor)?;
            check_parent(tx, &org, parent_id, None)?;
            let root = org.root_id.trim_start_matches("r-");
            let u = OrganizationalUnit { id: format!("ou-{root}-{}", random(8)), name: name.into(), parent_id: parent_id.into() };
            tx.execute(
                "INSERT INTO organizational_units (id, name, parent_id, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.id, u.name, u.parent_id, actor.account_id, now_secs()],
            )?;
            record(tx, actor, &authorize(tx, actor, Action::CreateOrganizationalUnit)?, &u.id, None, Some(json!({"name": u.name, "parent_id": u.parent_id})))?;
            Ok(u)
        })
    }

    pub fn update_organizational_unit(
        &self,
        actor: &Actor,
        id: &str,
        name: &str,
        parent_id: &str,
    ) -> Result<OrganizationalUnit> {
        self.write(|tx| {
            let org = managed_by(tx, actor)?;
            let before = load_unit(tx, id)?.ok_or_else(|| Error::NotFound {
                kind: "organizational unit",
                id: id.into(),
            })?;
            check_parent(tx, &org, parent_id, Some(id))?;
            tx.execute(
                "UPDATE organizational_units SET name = ?1, parent_id = ?2 WHERE id = ?3",
                params![name, parent_id, id],
            )?;
            let after = OrganizationalUnit {
                id: id.into(),
                name: name.into(),
                parent_id: parent_id.into(),
            };
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::ModifyOrganizationalUnit)?,
                id,
                Some(json!({"name": before.name, "parent_id": before.parent_id})),
                Some(json!({"name": name, "parent_id": parent_id})),
            )?;
            Ok(after)
        })
    }

    /// Deletes an empty unit (no units or accounts inside it).
    pub fn delete_organizational_unit(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            managed_by(tx, actor)?;
            let before = load_unit(tx, id)?.ok_or_else(|| Error::NotFound { kind: "organizational unit", id: id.into() })?;
            let inside: i64 = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM organizational_units WHERE parent_id = ?1) + (SELECT COUNT(*) FROM organization_accounts WHERE parent_id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if inside > 0 {
                return Err(Error::Refused(format!("the organizational unit {id} still holds {inside} units or accounts; move or remove them first")));
            }
            tx.execute("DELETE FROM organizational_units WHERE id = ?1", [id])?;
            record(tx, actor, &authorize(tx, actor, Action::DeleteOrganizationalUnit)?, id, Some(json!({"name": before.name, "parent_id": before.parent_id})), None)
        })
    }

    pub fn get_organization_account(
        &self,
        account_id: &str,
    ) -> Result<Option<OrganizationAccount>> {
        self.read(|tx| load_account(tx, account_id))
    }

    /// Adds (`create`) or changes an account of the organization.
    pub fn put_organization_account(
        &self,
        actor: &Actor,
        a: &OrganizationAccount,
        create: bool,
    ) -> Result<OrganizationAccount> {
        self.write(|tx| {
            let org = managed_by(tx, actor)?;
            check_parent(tx, &org, &a.parent_id, None)?;
            let before = load_account(tx, &a.account_id)?;
            match (&before, create) {
                (Some(_), true) => return Err(Error::Refused(format!("the account {} is already in the organization; import it instead", a.account_id))),
                (None, false) => return Err(Error::NotFound { kind: "organization account", id: a.account_id.clone() }),
                _ => {}
            }
            if a.account_id == org.management_account_id {
                return Err(Error::Invalid { field: Field::AccountId, message: format!("{} is the management account, which is always in the organization's root", a.account_id), remedy: None });
            }
            if let Some(role) = &a.database_role {
                let taken: Option<String> = tx
                    .query_row("SELECT account_id FROM organization_accounts WHERE database_role = ?1 AND account_id <> ?2", params![role, a.account_id], |r| r.get(0))
                    .optional()?;
                if let Some(other) = taken {
                    return Err(Error::Invalid { field: Field::DatabaseRole, message: format!("the database role {role:?} already acts as the account {other}; each role acts as one account"), remedy: None });
                }
            }
            tx.execute(
                "INSERT INTO organization_accounts (account_id, name, parent_id, database_role, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, database_role = excluded.database_role",
                params![a.account_id, a.name, a.parent_id, a.database_role, actor.account_id, now_secs()],
            )?;
            let j = |a: &OrganizationAccount| json!({"name": a.name, "parent_id": a.parent_id, "database_role": a.database_role});
            let action = if create { Action::CreateOrganizationAccount } else { Action::ModifyOrganizationAccount };
            record(tx, actor, &authorize(tx, actor, action)?, &a.account_id, before.as_ref().map(j), Some(j(a)))?;
            Ok(a.clone())
        })
    }

    /// Removes an account from the organization; refused while it is the delegated admin.
    pub fn delete_organization_account(&self, actor: &Actor, account_id: &str) -> Result<()> {
        self.write(|tx| {
            let org = managed_by(tx, actor)?;
            let before = load_account(tx, account_id)?.ok_or_else(|| Error::NotFound {
                kind: "organization account",
                id: account_id.into(),
            })?;
            if org.delegated_admin_account_id.as_deref() == Some(account_id) {
                return Err(Error::Blocked {
                    fact: format!("the account {account_id} is the delegated IPAM admin"),
                    remedy: Remedy::RemoveAdminDelegation,
                });
            }
            tx.execute(
                "DELETE FROM organization_accounts WHERE account_id = ?1",
                [account_id],
            )?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::DeleteOrganizationAccount)?,
                account_id,
                Some(json!({"name": before.name, "parent_id": before.parent_id})),
                None,
            )
        })
    }
}
