//! Placement: where a request lands in a pool. The engine decides from the pool's rules, its
//! provisioned CIDRs and its free space (any [`FreeSpace`]); the store only records the result.

use super::buddy::{self, Block, FreeSpace};
use super::rules::check_inside;
use super::{AddressFamily, AllocationRequest, Cidr, Conflict, Error, PoolRules};

/// A pool as placement needs it.
pub struct PoolSpace<'a> {
    pub id: &'a str,
    pub family: AddressFamily,
    pub rules: &'a PoolRules,
    /// The provisioned CIDRs (not empty).
    pub roots: &'a [Cidr],
}

/// Where a request lands: `target`, carved out of the free block `block`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub block: Block,
    pub target: Block,
}

impl Placement {
    pub fn cidr(&self, family: AddressFamily) -> Cidr {
        Cidr::from_start(family, self.target.start, self.target.len)
    }
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placed {
    At(Placement),
    /// No free block of prefix length `len` is left.
    Exhausted {
        len: u8,
    },
    /// The explicit block overlaps a block the request said to avoid.
    Disallowed {
        cidr: Cidr,
        disallowed: Cidr,
    },
}

/// Names the allocation holding a block, if one does.
pub type Holder<'a, E> = dyn FnMut(&Cidr) -> Result<Option<Conflict>, E> + 'a;

/// Decides where `request` lands in `pool`. `holder` names the allocation holding a block that
/// is not free (for the overlap refusal); it is asked only when the explicit block is taken.
pub fn place<F>(
    fs: &mut F,
    pool: &PoolSpace,
    request: &AllocationRequest,
    disallowed: &[Cidr],
    holder: &mut Holder<'_, F::Error>,
) -> Result<Placed, F::Error>
where
    F: FreeSpace,
    F::Error: From<Error>,
{
    for d in disallowed {
        if d.family() != pool.family {
            return Err(Error::FamilyMismatch {
                cidr: *d,
                family: pool.family,
            }
            .into());
        }
    }
    let min_root = pool.roots.iter().map(Cidr::prefix_len).min().unwrap_or(0);
    match request {
        AllocationRequest::Explicit(c) => {
            check_inside(c, pool.family, pool.id, pool.roots)?;
            pool.rules.check_len(c.prefix_len())?;
            if let Some(d) = disallowed.iter().find(|d| d.overlaps(c)) {
                return Ok(Placed::Disallowed {
                    cidr: *c,
                    disallowed: *d,
                });
            }
            if let Some(block) = buddy::free_block_holding(fs, pool.family, c)? {
                return Ok(Placed::At(Placement {
                    block,
                    target: Block {
                        start: c.start(),
                        len: c.prefix_len(),
                    },
                }));
            }
            match holder(c)? {
                Some(conflict) => {
                    let next_free =
                        buddy::lowest_fit(fs, pool.family, min_root, c.prefix_len(), disallowed)?
                            .map(|(_, t)| Cidr::from_start(pool.family, t.start, t.len));
                    Err(Error::Overlap {
                        cidr: *c,
                        conflict,
                        next_free,
                    }
                    .into())
                }
                None => Err(Error::InUse {
                    cidr: *c,
                    pool_id: pool.id.to_string(),
                }
                .into()),
            }
        }
        AllocationRequest::Netmask(_) | AllocationRequest::PoolDefault => {
            let asked = match request {
                // Checked here, not only by callers: a /33 of an IPv4 pool would otherwise
                // reach the free index as a block no address family has.
                AllocationRequest::Netmask(n) => {
                    Some(super::rules::netmask(i64::from(*n), pool.family)?)
                }
                _ => None,
            };
            let len = pool.rules.resolve_len(asked)?;
            Ok(
                match buddy::lowest_fit(fs, pool.family, min_root, len, disallowed)? {
                    Some((block, target)) => Placed::At(Placement { block, target }),
                    None => Placed::Exhausted { len },
                },
            )
        }
    }
}
