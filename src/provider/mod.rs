//! Terraform values in, engine and store calls out: one file per resource, data source and
//! function, over the tfplug SDK. This file is the registry; a new resource is one file and
//! one line in [`IpamProvider::resources`], a new data source one file and one line in
//! [`IpamProvider::data_sources`].

mod allocation;
mod attrs;
mod aws;
mod config;
mod context;
mod crud;
mod data_discovered_resource_cidrs;
mod data_ipam;
mod data_ipams;
mod data_pool;
mod data_pool_allocations;
mod data_pool_cidrs;
mod data_pools;
mod data_preview_next_cidr;
mod data_utilization;
pub(crate) mod errors;
mod filter;
mod functions;
mod ipam;
mod lists;
mod lookup;
mod organization;
mod organization_account;
mod organization_admin_account;
mod organizational_unit;
mod pending;
mod pool;
mod pool_cidr;
mod pool_cidr_allocation;
mod preview_next_cidr;
mod resource_discovery;
mod resource_discovery_association;
mod resource_share;
mod scope;
mod vpc_allocation;
mod wait;

use context::Shared;
use crud::managed;
use lookup::looked;
use std::sync::Arc;
use tfplug::{DataSource, Diagnostics, Function, ListResource, Resource, Schema, Value};

/// The provider's registry address, as users write `source = "local/ipam"`.
pub const ADDRESS: &str = "registry.terraform.io/local/ipam";

#[derive(Default)]
pub struct IpamProvider {
    shared: Arc<Shared>,
}

impl IpamProvider {
    pub fn new() -> Self {
        Self::default()
    }
}

impl tfplug::Provider for IpamProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        config::validate(config, diags);
    }

    fn configure(&self, config: &Value, _terraform_version: &str, diags: &mut Diagnostics) {
        self.shared.configure(config::configure(config, diags));
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let s = &self.shared;
        vec![
            managed(ipam::Ipam, s),
            managed(scope::Scope, s),
            managed(pool::Pool, s),
            managed(pool_cidr::PoolCidr, s),
            managed(vpc_allocation::VpcAllocation, s),
            managed(resource_discovery::ResourceDiscovery, s),
            managed(
                resource_discovery_association::ResourceDiscoveryAssociation,
                s,
            ),
            managed(pool_cidr_allocation::PoolCidrAllocation, s),
            managed(preview_next_cidr::PreviewNextCidr, s),
            managed(organization::Organization, s),
            managed(organizational_unit::Unit, s),
            managed(organization_account::OrganizationAccount, s),
            managed(organization_admin_account::OrganizationAdminAccount, s),
            managed(resource_share::ResourceShare, s),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        let s = &self.shared;
        vec![
            looked(data_utilization::Utilization, s),
            looked(data_pool::PoolData, s),
            looked(data_pool_allocations::PoolAllocations, s),
            looked(data_preview_next_cidr::PreviewNextCidr, s),
            looked(data_discovered_resource_cidrs::DiscoveredResourceCidrs, s),
            looked(data_ipam::IpamData, s),
            looked(data_ipams::Ipams, s),
            looked(data_pools::Pools, s),
            looked(data_pool_cidrs::PoolCidrs, s),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        let s = &self.shared;
        vec![
            lists::listed(vpc_allocation::VpcAllocation, s),
            lists::listed(pool::Pool, s),
            lists::listed(pool_cidr_allocation::PoolCidrAllocation, s),
        ]
    }
}
