//! Who may do what: every change a user can make is an [`Action`], and [`authorize`] decides
//! it by one exhaustive match, inside the transaction that makes the change. A new action
//! without a decision does not compile; an error while deciding refuses.
//!
//! The audit log records; it decides nothing. It takes an [`Authorized`] action, which only
//! [`authorize`] makes, so no change reaches the log (and every change writes an event) without
//! having been decided. PostgreSQL's guards (`pg_guards.sql`, beside this file) state the same
//! rules for clients that write with plain SQL.

use super::reach::{load_organization, principals_of, shares_of_pool, Organization};
use super::rows::load_pool;
use super::{Actor, Error, Result};
use ipam_db::Tx;

/// Every change a user (or the IPAM on their behalf) can make. The audit log names each by
/// [`Action::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    CreateIpam,
    ModifyIpam,
    DeleteIpam,
    CreateScope,
    ModifyScope,
    DeleteScope,
    CreatePool,
    ModifyPool,
    DeletePool,
    ProvisionPoolCidr,
    DeprovisionPoolCidr,
    CreateResourceDiscovery,
    ModifyResourceDiscovery,
    DeleteResourceDiscovery,
    AssociateResourceDiscovery,
    DisassociateResourceDiscovery,
    CreateResourceShare,
    ModifyResourceShare,
    DeleteResourceShare,
    /// Takes new space from `pool_id`.
    Allocate {
        pool_id: &'a str,
    },
    Reserve {
        pool_id: &'a str,
    },
    ClaimReservation {
        pool_id: &'a str,
    },
    /// Gives an allocation's space back, for the reason given.
    Release(Release),
    ModifyAllocation,
    /// Discovery adopting what it found into an auto-importing pool.
    AutoImportAllocation,
    AutoImportDiscoveredCidr,
    /// A scan's failure, noted so the views can say the result is stale.
    ScanFailed,
    /// A destroy plan noting the allocation its destroy will release.
    PlanRelease,
    /// Rebuilding a pool's free index from its allocations.
    RepairFreeIndex,
    CreateOrganization,
    DeleteOrganization,
    DelegateIpamAdmin,
    RemoveIpamAdmin,
    CreateOrganizationalUnit,
    ModifyOrganizationalUnit,
    DeleteOrganizationalUnit,
    CreateOrganizationAccount,
    ModifyOrganizationAccount,
    DeleteOrganizationAccount,
}

/// Why an allocation's space goes back to its pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    Allocation,
    Reservation,
    ExpiredReservation,
    /// With the pool CIDR it lay in.
    DeprovisionPoolCidr,
    /// A pool that no longer auto-imports lets go of what it adopted.
    AutoImport,
    ReservationWithPool,
    ReservationWithPoolCidr,
    /// A child pool's CIDR, released first by the destroy that deprovisions its parent's CIDR.
    PlannedWithPoolCidr,
}

/// Who must be asking for an action to be allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role<'a> {
    /// The organization's IPAM admin account (the delegated admin, else the management
    /// account); anyone in a database without an organization.
    IpamAdmin,
    /// The organization's management account; anyone before an organization exists.
    Management,
    /// An account the pool is shared with (or its owner, or the IPAM admin).
    PoolUser { pool_id: &'a str },
    /// Any account: what the action changes is already the caller's to change (releasing or
    /// describing an allocation it holds, a repair of derived data), or it is the system's
    /// own bookkeeping. On PostgreSQL the guards still bound team roles row by row.
    Anyone,
}

impl<'a> Action<'a> {
    /// The role an action needs. Exhaustive on purpose: a new action must be decided here.
    pub fn role(&self) -> Role<'a> {
        use Action as A;
        match *self {
            A::CreateIpam
            | A::ModifyIpam
            | A::DeleteIpam
            | A::CreateScope
            | A::ModifyScope
            | A::DeleteScope
            | A::CreatePool
            | A::ModifyPool
            | A::DeletePool
            | A::ProvisionPoolCidr
            | A::DeprovisionPoolCidr
            | A::CreateResourceDiscovery
            | A::ModifyResourceDiscovery
            | A::DeleteResourceDiscovery
            | A::AssociateResourceDiscovery
            | A::DisassociateResourceDiscovery
            | A::CreateResourceShare
            | A::ModifyResourceShare
            | A::DeleteResourceShare => Role::IpamAdmin,
            A::Allocate { pool_id } | A::Reserve { pool_id } | A::ClaimReservation { pool_id } => {
                Role::PoolUser { pool_id }
            }
            // Removing a share keeps what was allocated under it: its holder may still give it
            // back or describe it.
            A::Release(_) | A::ModifyAllocation => Role::Anyone,
            // Adoption is bounded by who may scan (see discovery.rs: the IPAM admin, a trusted
            // role, or anyone without an organization).
            A::AutoImportAllocation | A::AutoImportDiscoveredCidr | A::ScanFailed => Role::Anyone,
            A::PlanRelease | A::RepairFreeIndex => Role::Anyone,
            // Whoever creates the organization becomes its management account.
            A::CreateOrganization => Role::Anyone,
            A::DeleteOrganization
            | A::DelegateIpamAdmin
            | A::RemoveIpamAdmin
            | A::CreateOrganizationalUnit
            | A::ModifyOrganizationalUnit
            | A::DeleteOrganizationalUnit
            | A::CreateOrganizationAccount
            | A::ModifyOrganizationAccount
            | A::DeleteOrganizationAccount => Role::Management,
        }
    }

    /// The action's name in the audit log (stable: events written by older versions use it).
    pub fn name(&self) -> &'static str {
        use Action as A;
        match self {
            A::CreateIpam => "create-ipam",
            A::ModifyIpam => "modify-ipam",
            A::DeleteIpam => "delete-ipam",
            A::CreateScope => "create-ipam-scope",
            A::ModifyScope => "modify-ipam-scope",
            A::DeleteScope => "delete-ipam-scope",
            A::CreatePool => "create-ipam-pool",
            A::ModifyPool => "modify-ipam-pool",
            A::DeletePool => "delete-ipam-pool",
            A::ProvisionPoolCidr => "provision-pool-cidr",
            A::DeprovisionPoolCidr => "deprovision-pool-cidr",
            A::CreateResourceDiscovery => "create-resource-discovery",
            A::ModifyResourceDiscovery => "modify-resource-discovery",
            A::DeleteResourceDiscovery => "delete-resource-discovery",
            A::AssociateResourceDiscovery => "associate-resource-discovery",
            A::DisassociateResourceDiscovery => "disassociate-resource-discovery",
            A::CreateResourceShare => "create-resource-share",
            A::ModifyResourceShare => "modify-resource-share",
            A::DeleteResourceShare => "delete-resource-share",
            A::Allocate { .. } => "allocate-cidr",
            A::Reserve { .. } => "reserve-cidr",
            A::ClaimReservation { .. } => "allocate-reserved-cidr",
            A::Release(r) => match r {
                Release::Allocation => "release-allocation",
                Release::Reservation => "release-reservation",
                Release::ExpiredReservation => "expire-reservation",
                Release::DeprovisionPoolCidr => "deprovision-pool-cidr",
                Release::AutoImport => "auto-import-release",
                Release::ReservationWithPool => "drop-reservation-with-pool",
                Release::ReservationWithPoolCidr => "drop-reservation-with-pool-cidr",
                Release::PlannedWithPoolCidr => "release-planned-with-pool-cidr",
            },
            A::ModifyAllocation => "modify-allocation",
            A::AutoImportAllocation => "auto-import-allocation",
            A::AutoImportDiscoveredCidr => "auto-import-discovered-cidr",
            A::ScanFailed => "scan-resource-discovery-failed",
            A::PlanRelease => "plan-release",
            A::RepairFreeIndex => "repair-free-index",
            A::CreateOrganization => "create-organization",
            A::DeleteOrganization => "delete-organization",
            A::DelegateIpamAdmin => "delegate-ipam-admin",
            A::RemoveIpamAdmin => "remove-ipam-admin",
            A::CreateOrganizationalUnit => "create-organizational-unit",
            A::ModifyOrganizationalUnit => "modify-organizational-unit",
            A::DeleteOrganizationalUnit => "delete-organizational-unit",
            A::CreateOrganizationAccount => "create-organization-account",
            A::ModifyOrganizationAccount => "modify-organization-account",
            A::DeleteOrganizationAccount => "delete-organization-account",
        }
    }
}

/// An action [`authorize`] allowed: the only way to write an audit event.
#[derive(Debug)]
pub struct Authorized<'a> {
    action: Action<'a>,
}

impl<'a> Authorized<'a> {
    pub fn action(&self) -> Action<'a> {
        self.action
    }
}

/// Why an account may not do what it asked: facts only (the caller says what to do).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the account {account} may not create, change or destroy IPAMs, scopes, pools, pool CIDRs, discoveries or resource shares in the organization {organization}: only its IPAM admin account {admin} may ({})", if *delegated { "delegated by the management account" } else { "the management account, as no admin is delegated" })]
    NotIpamAdmin {
        account: String,
        organization: String,
        admin: String,
        delegated: bool,
    },
    #[error("the account {account} may not change the organization {organization}: only its management account {management} may")]
    NotManagement {
        account: String,
        organization: String,
        management: String,
    },
    #[error("the account {account} may not allocate from the pool {pool_id}: no resource share reaches it ({})", if shares.is_empty() { "the pool is not shared with anyone".to_string() } else { format!("the pool's shares: {}", shares.join("; ")) })]
    PoolNotShared {
        account: String,
        pool_id: String,
        /// Each share as "id (name) with principals".
        shares: Vec<String>,
        /// Who could share it.
        admin: String,
    },
}

/// Decides `action` for `actor` in `tx`. An error while deciding is returned, never read as
/// "allowed".
pub fn authorize<'a>(tx: &Tx, actor: &Actor, action: Action<'a>) -> Result<Authorized<'a>> {
    match refusal(tx, &actor.account_id, action.role())? {
        None => Ok(Authorized { action }),
        Some(r) => Err(Error::NotAuthorized(r)),
    }
}

/// Why `account` may not act in `role`, or `None` when it may.
pub fn refusal(tx: &Tx, account: &str, role: Role) -> Result<Option<Refusal>> {
    let org = match role {
        Role::Anyone => return Ok(None),
        _ => match load_organization(tx)? {
            // Without an organization there is nobody to tell apart.
            None => return Ok(None),
            Some(org) => org,
        },
    };
    Ok(match role {
        Role::Anyone => None,
        Role::IpamAdmin => not_admin(&org, account),
        Role::Management => {
            (org.management_account_id != account).then(|| Refusal::NotManagement {
                account: account.to_string(),
                organization: org.id.clone(),
                management: org.management_account_id.clone(),
            })
        }
        Role::PoolUser { pool_id } => not_pool_user(tx, &org, account, pool_id)?,
    })
}

fn not_admin(org: &Organization, account: &str) -> Option<Refusal> {
    let admin = org.ipam_admin();
    (admin != account).then(|| Refusal::NotIpamAdmin {
        account: account.to_string(),
        organization: org.id.clone(),
        admin: admin.to_string(),
        delegated: org.delegated_admin_account_id.is_some(),
    })
}

/// An account may use a pool it administers, owns, or that a share reaches directly, through
/// a unit at any depth, or through the whole organization.
fn not_pool_user(
    tx: &Tx,
    org: &Organization,
    account: &str,
    pool_id: &str,
) -> Result<Option<Refusal>> {
    if org.ipam_admin() == account {
        return Ok(None);
    }
    if load_pool(tx, pool_id)?.is_some_and(|p| p.owner_id == account) {
        return Ok(None);
    }
    let reaching = principals_of(tx, org, account)?;
    let shares = shares_of_pool(tx, pool_id)?;
    if shares
        .iter()
        .any(|s| s.principals.iter().any(|p| reaching.contains(p)))
    {
        return Ok(None);
    }
    Ok(Some(Refusal::PoolNotShared {
        account: account.to_string(),
        pool_id: pool_id.to_string(),
        shares: shares
            .iter()
            .map(|s| format!("{} ({:?}) with {}", s.id, s.name, s.principals.join(", ")))
            .collect(),
        admin: org.ipam_admin().to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action has one audit name, and no two share it except the deprovision that
    /// releases what lay in the CIDR (one event name for one user act).
    #[test]
    fn audit_names_are_distinct() {
        let all = [
            Action::CreateIpam,
            Action::ModifyIpam,
            Action::DeleteIpam,
            Action::CreateScope,
            Action::ModifyScope,
            Action::DeleteScope,
            Action::CreatePool,
            Action::ModifyPool,
            Action::DeletePool,
            Action::ProvisionPoolCidr,
            Action::CreateResourceShare,
            Action::Allocate { pool_id: "p" },
            Action::Reserve { pool_id: "p" },
            Action::ClaimReservation { pool_id: "p" },
            Action::Release(Release::Allocation),
            Action::Release(Release::Reservation),
            Action::Release(Release::ExpiredReservation),
            Action::Release(Release::AutoImport),
            Action::Release(Release::ReservationWithPool),
            Action::Release(Release::ReservationWithPoolCidr),
            Action::Release(Release::PlannedWithPoolCidr),
            Action::ModifyAllocation,
            Action::CreateOrganization,
            Action::DelegateIpamAdmin,
        ];
        let mut names: Vec<&str> = all.iter().map(Action::name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn allocating_needs_the_pool_and_shaping_needs_the_admin() {
        assert_eq!(
            Action::Allocate { pool_id: "p" }.role(),
            Role::PoolUser { pool_id: "p" }
        );
        assert_eq!(Action::ProvisionPoolCidr.role(), Role::IpamAdmin);
        assert_eq!(Action::DelegateIpamAdmin.role(), Role::Management);
        assert_eq!(Action::Release(Release::Allocation).role(), Role::Anyone);
    }
}
