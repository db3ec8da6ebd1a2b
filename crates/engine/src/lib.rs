//! The allocation engine: pure Rust over ipnet, no I/O, no Terraform types.
//!
//! `cidr` holds normalised blocks, `rules` a pool's guardrails, `buddy` its free space, and
//! `error` every refusal. The store drives these against SQLite; nothing here knows SQL.

pub mod buddy;
pub mod cidr;
pub mod error;
pub mod place;
pub mod rules;

pub use buddy::{Block, FreeSpace, MemFree};
pub use cidr::{block_size, AddressFamily, Cidr, CidrError};
pub use error::{Conflict, Error};
pub use rules::PoolRules;

/// What an allocation asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocationRequest {
    /// Exactly this block.
    Explicit(Cidr),
    /// The lowest free block of this prefix length.
    Netmask(u8),
    /// The lowest free block of the pool's default length.
    PoolDefault,
}

/// What an allocation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationKind {
    Vpc,
    /// A child pool's provisioned CIDR, held in its parent.
    IpamPool,
    /// A CIDR found in use and adopted by an auto-importing pool.
    Imported,
    /// Space set aside for no particular resource (`ipam_pool_cidr_allocation`).
    Custom,
}

impl AllocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationKind::Vpc => "vpc",
            AllocationKind::IpamPool => "ipam-pool",
            AllocationKind::Imported => "imported",
            AllocationKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vpc" => Some(AllocationKind::Vpc),
            "ipam-pool" => Some(AllocationKind::IpamPool),
            "imported" => Some(AllocationKind::Imported),
            "custom" => Some(AllocationKind::Custom),
            _ => None,
        }
    }
}
