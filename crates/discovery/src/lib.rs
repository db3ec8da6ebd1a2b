//! Discovery: what was built outside the IPAM, and how it compares with what the IPAM holds.
//!
//! No database: `state` walks a Terraform state (both forms Terraform writes), `source` reads
//! state files and AWS CLI output into [`Resource`]s, `glob` expands source paths and matches
//! wildcards, `compliance` gives every discovered CIDR its compliance and overlap status and
//! picks what auto-importing pools adopt. The store runs a scan (files read first, then one
//! transaction); the provider and the CLI show it. `terraform_dir` says where a Terraform
//! working directory keeps its state, for the origin the store records on every allocation.

pub mod compliance;
pub mod glob;
pub mod source;
pub mod state;
pub mod terraform_dir;

pub use compliance::{assess, AllocView, Assessment, Compliance, Finding, Overlap, PoolView};
pub use source::{read_sources, Source, SourceError};

use ipam_engine::Cidr;
use std::collections::BTreeMap;

/// What kind of resource a discovered CIDR belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    Vpc,
    Subnet,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Vpc => "vpc",
            ResourceType::Subnet => "subnet",
        }
    }

    pub fn parse(s: &str) -> Option<ResourceType> {
        match s {
            "vpc" => Some(ResourceType::Vpc),
            "subnet" => Some(ResourceType::Subnet),
            _ => None,
        }
    }
}

/// One CIDR of one resource, as a source file describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub resource_id: String,
    pub resource_type: ResourceType,
    pub cidr: Cidr,
    pub owner_id: Option<String>,
    pub region: Option<String>,
    /// The VPC (or virtual network) a subnet belongs to; a VPC's own id for a VPC.
    pub vpc_id: Option<String>,
    /// The `Name` tag (or the cloud's name of the resource).
    pub name: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The file it was read from.
    pub source: String,
    /// Whether AWS's operating regions apply (AWS resources); other clouds' regions are theirs.
    pub aws: bool,
}
