//! Everything the engine can refuse, as typed facts: which block, which allocation, which free
//! blocks. The engine knows no Terraform: the provider words each fact for the attribute at
//! fault and says what to change; the texts here are the plain statements other callers (the
//! command line) show.

use super::cidr::{AddressFamily, Cidr, CidrError};
use std::fmt;

/// An existing allocation a request collides with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub id: String,
    pub cidr: Cidr,
    pub description: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.cidr, self.id)?;
        if !self.description.is_empty() {
            write!(f, " \"{}\"", self.description)?;
        }
        Ok(())
    }
}

fn list(cidrs: &[Cidr]) -> String {
    if cidrs.is_empty() {
        return "nothing".into();
    }
    cidrs
        .iter()
        .map(Cidr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Cidr(#[from] CidrError),

    #[error("{cidr} is an {} block, but the pool holds {family} addresses", cidr.family())]
    FamilyMismatch { cidr: Cidr, family: AddressFamily },

    #[error("netmask length {len} is out of range for {family}: use 0 to {}", family.bits())]
    NetmaskOutOfRange { len: i64, family: AddressFamily },

    #[error("the minimum netmask length ({min}) is greater than the maximum ({max}): the minimum is the largest block (/{min} holds more addresses than /{max}); did you mean min = {max}, max = {min}?")]
    MinAboveMax { min: u8, max: u8 },

    #[error("the default netmask length ({default}) must lie between the minimum ({min}) and the maximum ({max})")]
    DefaultOutsideRange { default: u8, min: u8, max: u8 },

    #[error("a /{len} is larger than the pool allows: its minimum netmask length is {min}, so the largest block is a /{min}")]
    LargerThanAllowed { len: u8, min: u8 },

    #[error("a /{len} is smaller than the pool allows: its maximum netmask length is {max}, so the smallest block is a /{max}")]
    SmallerThanAllowed { len: u8, max: u8 },

    #[error("the pool has no default netmask length, and the request names no size")]
    NoNetmask,

    #[error(
        "{cidr} is not inside the pool {pool_id}, which holds {}",
        list(pool_cidrs)
    )]
    OutsidePool {
        cidr: Cidr,
        pool_id: String,
        pool_cidrs: Vec<Cidr>,
    },

    #[error("{cidr} overlaps the allocation {conflict}; {}", match next_free {
        Some(n) => format!("the lowest free /{} is {n}", cidr.prefix_len()),
        None => format!("the pool has no free /{} left", cidr.prefix_len()),
    })]
    Overlap {
        cidr: Cidr,
        conflict: Conflict,
        /// Where a block of the same size would fit, so the user can fix the request.
        next_free: Option<Cidr>,
    },

    #[error("{cidr} is in use in the pool {pool_id}")]
    InUse { cidr: Cidr, pool_id: String },

    #[error("{cidr} still holds {} allocation(s): {}", allocations.len(), allocations.iter().map(Conflict::to_string).collect::<Vec<_>>().join(", "))]
    HoldsAllocations {
        cidr: Cidr,
        allocations: Vec<Conflict>,
    },

    #[error("{}", exhausted(pool_id, *len, *pending, *fit, largest_free))]
    Exhausted {
        pool_id: String,
        len: u8,
        /// The other new allocations from the pool in the same plan, before this one.
        pending: usize,
        /// How many of the `pending + 1` new allocations fit together (0 without pending).
        fit: usize,
        /// The largest free blocks, largest first (empty when the pool is full).
        largest_free: Vec<Cidr>,
        /// The pool's maximum netmask length: whether a smaller block would be allowed.
        max_len: Option<u8>,
    },

    #[error(
        "the pool requires the allocation tags {}; missing: {}",
        fmt_tags(required),
        fmt_tags(missing)
    )]
    MissingTags {
        required: Vec<(String, String)>,
        missing: Vec<(String, String)>,
    },

    #[error("{cidr} is a {} block and cannot hold a /{len}", cidr.prefix_len())]
    TooSmall { cidr: Cidr, len: u8 },
}

/// What an exhausted pool can and cannot hold: the count that fits when a plan asks for
/// several, then what is left.
fn exhausted(pool_id: &str, len: u8, pending: usize, fit: usize, largest: &[Cidr]) -> String {
    let asked = if pending > 0 {
        format!(
            "the pool {pool_id} has room for {fit} of the {} new allocations from it in this plan (this /{len} is one too many)",
            pending + 1
        )
    } else {
        format!("the pool {pool_id} has no free /{len}")
    };
    if largest.is_empty() {
        format!("{asked}; it has no free space left")
    } else {
        format!("{asked}; the largest free blocks are: {}", list(largest))
    }
}

fn fmt_tags(tags: &[(String, String)]) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
