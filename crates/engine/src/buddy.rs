//! Free space of a pool as a buddy system.
//!
//! Each provisioned CIDR starts as one free block. Taking a /n splits the free block that holds
//! it in halves until the /n stands alone, leaving one free buddy at every level; giving it back
//! merges buddies again. Lookups go through [`FreeSpace`], an index of free blocks by
//! (prefix length, start) and by start, which the in-memory [`MemFree`] and the SQLite store both
//! implement, so the policy lives here once and every operation costs O(prefix bits × log n)
//! however full the pool is.

use super::cidr::{block_size, AddressFamily, Cidr};
use std::collections::{BTreeMap, BTreeSet};

/// A free block: its first address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Block {
    pub start: u128,
    pub len: u8,
}

/// An index of one pool's free blocks.
pub trait FreeSpace {
    type Error;
    /// The lowest free block of exactly prefix length `len` starting at or after `from`.
    fn first_of_len(&mut self, len: u8, from: u128) -> Result<Option<Block>, Self::Error>;
    /// The free block with the greatest start at or before `addr` (it holds `addr` only if
    /// it reaches that far).
    fn at_or_before(&mut self, addr: u128) -> Result<Option<Block>, Self::Error>;
    fn add(&mut self, b: Block) -> Result<(), Self::Error>;
    fn remove(&mut self, b: Block) -> Result<(), Self::Error>;
    /// How many free blocks there are of each prefix length.
    fn counts(&mut self) -> Result<BTreeMap<u8, u128>, Self::Error>;
}

fn last(family: AddressFamily, b: Block) -> u128 {
    b.start + (block_size(family, b.len) - 1)
}

/// The free block that contains `addr`, if any.
pub fn containing<F: FreeSpace>(
    fs: &mut F,
    family: AddressFamily,
    addr: u128,
) -> Result<Option<Block>, F::Error> {
    Ok(fs.at_or_before(addr)?.filter(|b| last(family, *b) >= addr))
}

/// Marks `target` as used. It must lie inside the free block `block` (find it with
/// [`free_block_holding`]); that block is split down to it, its buddies staying free.
pub fn carve<F: FreeSpace>(
    fs: &mut F,
    family: AddressFamily,
    mut block: Block,
    target: Block,
) -> Result<(), F::Error> {
    fs.remove(block)?;
    while block.len < target.len {
        let half = block_size(family, block.len + 1);
        let low = Block {
            start: block.start,
            len: block.len + 1,
        };
        let high = Block {
            start: block.start + half,
            len: block.len + 1,
        };
        let (keep, free) = if target.start >= high.start {
            (high, low)
        } else {
            (low, high)
        };
        fs.add(free)?;
        block = keep;
    }
    Ok(())
}

/// The free block wholly containing `target`, or None when any part of it is in use.
pub fn free_block_holding<F: FreeSpace>(
    fs: &mut F,
    family: AddressFamily,
    target: &Cidr,
) -> Result<Option<Block>, F::Error> {
    Ok(containing(fs, family, target.start())?
        .filter(|b| b.len <= target.prefix_len() && last(family, *b) >= target.end()))
}

/// The lowest-addressed free /`len` inside the pool that overlaps none of `disallowed`.
/// `min_root_len` is the shortest prefix among the pool's CIDRs (no free block is larger).
pub fn lowest_fit<F: FreeSpace>(
    fs: &mut F,
    family: AddressFamily,
    min_root_len: u8,
    len: u8,
    disallowed: &[Cidr],
) -> Result<Option<(Block, Block)>, F::Error> {
    let size = block_size(family, len);
    let mut best: Option<(Block, Block)> = None;
    for l in min_root_len..=len {
        let mut from = 0u128;
        // Blocks of one length come in address order; a block yields its first sub-block
        // clear of the disallowed list, and the search moves on only past a block with none.
        while let Some(b) = fs.first_of_len(l, from)? {
            if best.is_some_and(|(_, t)| t.start < b.start) {
                break;
            }
            if let Some(start) = first_clear(family, b, size, disallowed) {
                let t = Block { start, len };
                if best.is_none_or(|(_, bt)| start < bt.start) {
                    best = Some((b, t));
                }
                break;
            }
            match last(family, b).checked_add(1) {
                Some(next) => from = next,
                None => break,
            }
        }
    }
    Ok(best)
}

/// The first start of a `size`-aligned sub-block of `b` that overlaps no disallowed CIDR.
fn first_clear(family: AddressFamily, b: Block, size: u128, disallowed: &[Cidr]) -> Option<u128> {
    let end = last(family, b);
    let mut pos = b.start;
    'scan: loop {
        let pos_end = pos.checked_add(size - 1)?;
        if pos_end > end {
            return None;
        }
        for d in disallowed {
            if d.start() <= pos_end && pos <= d.end() {
                // Jump past the disallowed block, to the next aligned position.
                let past = d.end().checked_add(1)?;
                pos = past.checked_add(size - 1)? / size * size;
                continue 'scan;
            }
        }
        return Some(pos);
    }
}

/// Returns `block` to free space, merging it with its buddy while the buddy is wholly free,
/// up to the provisioned CIDR's own length `root_len`.
pub fn release<F: FreeSpace>(
    fs: &mut F,
    family: AddressFamily,
    mut block: Block,
    root_len: u8,
) -> Result<(), F::Error> {
    while block.len > root_len {
        let size = block_size(family, block.len);
        let buddy = Block {
            start: block.start ^ size,
            len: block.len,
        };
        let free = containing(fs, family, buddy.start)?;
        if free != Some(buddy) {
            break;
        }
        fs.remove(buddy)?;
        block = Block {
            start: block.start.min(buddy.start),
            len: block.len - 1,
        };
    }
    fs.add(block)
}

/// How many blocks of length `len` could still be taken, from per-length free counts.
pub fn blocks_available(counts: &BTreeMap<u8, u128>, len: u8) -> u128 {
    counts
        .range(..=len)
        .map(|(&l, &c)| {
            c.saturating_mul(1u128.checked_shl(u32::from(len - l)).unwrap_or(u128::MAX))
        })
        .fold(0u128, u128::saturating_add)
}

/// Whether requests of these prefix lengths all fit at once in free blocks with `counts`
/// (buddy blocks are aligned powers of two, so placing the largest requests first is optimal).
pub fn all_fit(counts: &BTreeMap<u8, u128>, requests: &[u8]) -> bool {
    let mut free = counts.clone();
    let mut reqs = requests.to_vec();
    reqs.sort_unstable();
    for n in reqs {
        // The smallest free block that can hold a /n is the one with the longest prefix <= n.
        let Some((&l, _)) = free.range(..=n).rev().find(|(_, &c)| c > 0) else {
            return false;
        };
        if let Some(c) = free.get_mut(&l) {
            *c -= 1;
        }
        for k in l + 1..=n {
            *free.entry(k).or_insert(0) += 1;
        }
    }
    true
}

/// An in-memory [`FreeSpace`]: one ordered set per prefix length plus one by start.
#[derive(Clone, Debug, Default)]
pub struct MemFree {
    by_len: BTreeMap<u8, BTreeSet<u128>>,
    by_start: BTreeMap<u128, u8>,
}

impl MemFree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        self.by_start
            .iter()
            .map(|(&start, &len)| Block { start, len })
    }
}

impl FreeSpace for MemFree {
    type Error = std::convert::Infallible;

    fn first_of_len(&mut self, len: u8, from: u128) -> Result<Option<Block>, Self::Error> {
        Ok(self
            .by_len
            .get(&len)
            .and_then(|s| s.range(from..).next())
            .map(|&start| Block { start, len }))
    }

    fn at_or_before(&mut self, addr: u128) -> Result<Option<Block>, Self::Error> {
        Ok(self
            .by_start
            .range(..=addr)
            .next_back()
            .map(|(&start, &len)| Block { start, len }))
    }

    fn add(&mut self, b: Block) -> Result<(), Self::Error> {
        self.by_len.entry(b.len).or_default().insert(b.start);
        self.by_start.insert(b.start, b.len);
        Ok(())
    }

    fn remove(&mut self, b: Block) -> Result<(), Self::Error> {
        if let Some(s) = self.by_len.get_mut(&b.len) {
            s.remove(&b.start);
            if s.is_empty() {
                self.by_len.remove(&b.len);
            }
        }
        self.by_start.remove(&b.start);
        Ok(())
    }

    fn counts(&mut self) -> Result<BTreeMap<u8, u128>, Self::Error> {
        Ok(self
            .by_len
            .iter()
            .map(|(&l, s)| (l, s.len() as u128))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn take(fs: &mut MemFree, len: u8, disallowed: &[Cidr]) -> Option<Cidr> {
        let (b, t) = lowest_fit(fs, AddressFamily::Ipv4, 8, len, disallowed).unwrap()?;
        carve(fs, AddressFamily::Ipv4, b, t).unwrap();
        Some(Cidr::from_start(AddressFamily::Ipv4, t.start, t.len))
    }

    #[test]
    fn lowest_first_split_and_merge() {
        let root = c("10.0.0.0/8");
        let mut fs = MemFree::new();
        fs.add(Block {
            start: root.start(),
            len: 8,
        })
        .unwrap();
        assert_eq!(take(&mut fs, 24, &[]).unwrap().to_string(), "10.0.0.0/24");
        assert_eq!(take(&mut fs, 16, &[]).unwrap().to_string(), "10.1.0.0/16");
        assert_eq!(take(&mut fs, 24, &[]).unwrap().to_string(), "10.0.1.0/24");
        assert_eq!(
            take(&mut fs, 24, &[c("10.0.2.0/23")]).unwrap().to_string(),
            "10.0.4.0/24"
        );
        for s in ["10.0.0.0/24", "10.1.0.0/16", "10.0.1.0/24", "10.0.4.0/24"] {
            let x = c(s);
            release(
                &mut fs,
                AddressFamily::Ipv4,
                Block {
                    start: x.start(),
                    len: x.prefix_len(),
                },
                8,
            )
            .unwrap();
        }
        assert_eq!(
            fs.blocks().collect::<Vec<_>>(),
            vec![Block {
                start: root.start(),
                len: 8
            }]
        );
    }

    #[test]
    fn counting() {
        let mut counts = BTreeMap::new();
        counts.insert(16u8, 1u128);
        counts.insert(20u8, 2u128);
        assert_eq!(blocks_available(&counts, 20), 16 + 2);
        assert!(all_fit(&counts, &[17, 17, 20, 20]));
        assert!(!all_fit(&counts, &[16, 16]));
        assert!(!all_fit(&counts, &[15]));
    }
}
