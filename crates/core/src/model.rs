//! Records as the store returns them.

use ipam_engine::{AddressFamily, AllocationKind, Cidr, PoolRules};
use serde_json::json;
use std::collections::BTreeMap;

pub type Tags = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipam {
    pub id: String,
    pub description: Option<String>,
    pub operating_regions: Vec<String>,
    pub tags: Tags,
    pub owner_id: String,
    pub private_default_scope_id: String,
    pub public_default_scope_id: String,
    pub scope_count: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeType {
    Private,
    Public,
}

impl ScopeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeType::Private => "private",
            ScopeType::Public => "public",
        }
    }

    pub fn parse(s: &str) -> ScopeType {
        if s == "public" {
            ScopeType::Public
        } else {
            ScopeType::Private
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub id: String,
    pub ipam_id: String,
    pub scope_type: ScopeType,
    pub is_default: bool,
    pub description: Option<String>,
    pub tags: Tags,
    pub pool_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    pub id: String,
    pub ipam_id: String,
    pub scope_id: String,
    pub scope_type: ScopeType,
    pub family: AddressFamily,
    pub parent_id: Option<String>,
    pub locale: Option<String>,
    pub description: Option<String>,
    pub rules: PoolRules,
    pub auto_import: bool,
    pub publicly_advertisable: Option<bool>,
    pub aws_service: Option<String>,
    pub tags: Tags,
    pub depth: i64,
    pub owner_id: String,
}

impl Pool {
    /// Pools exist only once created, so their state is always this (as in AWS after create).
    pub fn state(&self) -> &'static str {
        "create-complete"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolCidr {
    pub id: String,
    pub pool_id: String,
    pub cidr: Cidr,
    /// For a child pool: its allocation in the parent pool.
    pub source_allocation_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationState {
    /// Reserved at plan time under a name; becomes `Allocated` at apply or expires.
    Reserved,
    Allocated,
}

impl AllocationState {
    /// The form stored in `allocations.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationState::Reserved => "reserved",
            AllocationState::Allocated => "allocated",
        }
    }

    pub fn parse(s: &str) -> AllocationState {
        if s == AllocationState::Reserved.as_str() {
            AllocationState::Reserved
        } else {
            AllocationState::Allocated
        }
    }
}

/// The provider-owned IPv6 space as a pseudo-pool: its free blocks and allocations are rows
/// under a pool id no real pool can have. This type is the one place that knows that id's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvidedSpace(pub Cidr);

impl ProvidedSpace {
    const PREFIX: &'static str = "provided:";

    pub fn pool_id(&self) -> String {
        format!("{}{}", Self::PREFIX, self.0)
    }

    /// The space a pool id stands for, when it is the provided space's.
    pub fn from_pool_id(id: &str) -> Option<ProvidedSpace> {
        id.strip_prefix(Self::PREFIX)
            .and_then(|c| Cidr::parse(c).ok())
            .map(ProvidedSpace)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub id: String,
    pub pool_id: String,
    pub cidr: Cidr,
    pub kind: AllocationKind,
    pub resource_id: Option<String>,
    pub name: Option<String>,
    pub state: AllocationState,
    pub expires_at: Option<i64>,
    pub description: Option<String>,
    pub tags: Tags,
    pub owner_id: String,
    pub region: String,
    /// Blocks the allocator was told to avoid when it chose this one.
    pub disallowed: Vec<Cidr>,
    /// Where the request came from (none for allocations made before origins were kept).
    pub origin: Option<super::Origin>,
    /// When it was allocated (or reserved), Unix seconds.
    pub origin_at: Option<i64>,
}

impl Allocation {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id, "pool_id": self.pool_id, "cidr": self.cidr.to_string(),
            "kind": self.kind.as_str(), "resource_id": self.resource_id, "name": self.name,
            "state": self.state.as_str(),
            "description": self.description, "tags": self.tags,
            "origin": self.origin.as_ref().map(|o| json!({"dir": o.dir, "workspace": o.workspace, "state": o.state})),
            "expires_at": self.expires_at,
        })
    }
}

pub(crate) fn tags_json(t: &Tags) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn tags_from(s: &str) -> Tags {
    serde_json::from_str(s).unwrap_or_default()
}

/// A field of a request that the database can show to be wrong ([`crate::Error::Invalid`]):
/// the caller knows what the user wrote it as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    AccountId,
    AddressFamily,
    DatabaseRole,
    DelegatedAdminAccount,
    Locale,
    ParentUnit,
    SharePrincipals,
    PubliclyAdvertisable,
    SharedPools,
    SourcePool,
    SourceResource,
}

/// What would let a refused change through, in the model's terms: the caller (provider, CLI)
/// says it in the user's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Provision a CIDR into the pool before allocating from it.
    ProvisionPoolCidr,
    /// Rebuild the pool's free index from its allocations (`verify --repair`).
    RepairIndex,
    /// Remove what the object holds first, or delete it with everything under it.
    EmptyItOrCascade,
    /// Remove what the object holds first.
    EmptyIt,
    /// Create the organization first.
    CreateOrganization,
    /// Make the account a member of the organization first.
    AddMember,
    /// Make the account a member, or let the share reach accounts outside the organization.
    AddMemberOrAllowExternal,
    /// Remove the delegation of the IPAM admin first.
    RemoveAdminDelegation,
    /// Plan again: the database changed since the plan.
    PlanAgain,
    /// Add the region to the IPAM's operating regions, or pick one of them.
    AddOperatingRegion,
    /// Name pools that exist.
    NameExistingPools,
    /// Ask about one pool at a time.
    AskPerPool,
    /// Remove the discovery's associations first.
    Disassociate,
    /// Name the VPC of an allocation made from a pool of this database.
    UseVpcAllocation,
}

/// What a pool's source resource says that the database contradicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFact {
    /// The pool the VPC's CIDR came from.
    Pool,
    /// The account that owns the VPC.
    Owner,
    /// The VPC's region.
    Region,
}
