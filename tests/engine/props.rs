//! Property tests of the allocation engine against a brute-force model, on IPv4 and IPv6
//! pools, and of the SQLite free-block index against the in-memory one.

use ipam::engine::buddy::{self, Block};
use ipam::engine::{block_size, AddressFamily, Cidr, FreeSpace, MemFree};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// The next free block of `len` (relative to the pool), avoiding one disallowed block.
    Next {
        len: u8,
        disallow: Option<(u8, u16)>,
    },
    /// An explicit block: relative length and index among blocks of that length.
    Explicit { len: u8, index: u16 },
    /// Release the allocation at this index (modulo the count).
    Release(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0u8..=8, proptest::option::of((2u8..=6, any::<u16>()))).prop_map(|(len, disallow)| Op::Next { len, disallow }),
        2 => (0u8..=8, any::<u16>()).prop_map(|(len, index)| Op::Explicit { len, index }),
        2 => any::<usize>().prop_map(Op::Release),
    ];
    proptest::collection::vec(op, 1..80)
}

/// The model: the set of allocated blocks, answered by scanning every aligned position.
struct Model {
    family: AddressFamily,
    root: Cidr,
    allocated: Vec<Cidr>,
}

impl Model {
    fn is_free(&self, c: &Cidr, disallowed: &[Cidr]) -> bool {
        self.root.contains(c)
            && !self.allocated.iter().any(|a| a.overlaps(c))
            && !disallowed.iter().any(|d| d.overlaps(c))
    }

    fn lowest(&self, len: u8, disallowed: &[Cidr]) -> Option<Cidr> {
        let size = block_size(self.family, len);
        let n = 1u128 << (len - self.root.prefix_len());
        (0..n)
            .map(|i| Cidr::from_start(self.family, self.root.start() + i * size, len))
            .find(|c| self.is_free(c, disallowed))
    }
}

fn run(family: AddressFamily, root: &str, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let root = Cidr::parse(root).unwrap();
    let base = root.prefix_len();
    let mut fs = MemFree::new();
    fs.add(Block {
        start: root.start(),
        len: base,
    })
    .unwrap();
    let mut model = Model {
        family,
        root,
        allocated: vec![],
    };
    for op in ops {
        match op {
            Op::Next { len, disallow } => {
                let len = base + len;
                let disallowed: Vec<Cidr> = disallow
                    .map(|(l, i)| {
                        let l = base + l;
                        let count = 1u128 << (l - base);
                        Cidr::from_start(
                            family,
                            root.start() + (i as u128 % count) * block_size(family, l),
                            l,
                        )
                    })
                    .into_iter()
                    .collect();
                let want = model.lowest(len, &disallowed);
                let got = buddy::lowest_fit(&mut fs, family, base, len, &disallowed).unwrap();
                prop_assert_eq!(
                    got.map(|(_, t)| Cidr::from_start(family, t.start, t.len)),
                    want
                );
                if let Some((b, t)) = got {
                    buddy::carve(&mut fs, family, b, t).unwrap();
                    model
                        .allocated
                        .push(Cidr::from_start(family, t.start, t.len));
                }
            }
            Op::Explicit { len, index } => {
                let len = base + len;
                let count = 1u128 << (len - base);
                let c = Cidr::from_start(
                    family,
                    root.start() + (index as u128 % count) * block_size(family, len),
                    len,
                );
                let holder = buddy::free_block_holding(&mut fs, family, &c).unwrap();
                prop_assert_eq!(holder.is_some(), model.is_free(&c, &[]), "explicit {}", c);
                if let Some(b) = holder {
                    buddy::carve(
                        &mut fs,
                        family,
                        b,
                        Block {
                            start: c.start(),
                            len,
                        },
                    )
                    .unwrap();
                    model.allocated.push(c);
                }
            }
            Op::Release(i) => {
                if !model.allocated.is_empty() {
                    let c = model.allocated.remove(i % model.allocated.len());
                    buddy::release(
                        &mut fs,
                        family,
                        Block {
                            start: c.start(),
                            len: c.prefix_len(),
                        },
                        base,
                    )
                    .unwrap();
                }
            }
        }
        // Invariants: no overlap, inside the pool, allocated + available = total.
        for (i, a) in model.allocated.iter().enumerate() {
            prop_assert!(root.contains(a));
            for b in &model.allocated[i + 1..] {
                prop_assert!(!a.overlaps(b), "{} overlaps {}", a, b);
            }
        }
        let free: u128 = fs.blocks().map(|b| block_size(family, b.len)).sum();
        let used: u128 = model.allocated.iter().map(Cidr::size).sum();
        prop_assert_eq!(free + used, root.size());
        for b in fs.blocks() {
            let fc = Cidr::from_start(family, b.start, b.len);
            prop_assert!(
                !model.allocated.iter().any(|a| a.overlaps(&fc)),
                "free block {} is allocated",
                fc
            );
        }
    }
    // Releasing everything restores the one root block.
    for c in std::mem::take(&mut model.allocated) {
        buddy::release(
            &mut fs,
            family,
            Block {
                start: c.start(),
                len: c.prefix_len(),
            },
            base,
        )
        .unwrap();
    }
    prop_assert_eq!(
        fs.blocks().collect::<Vec<_>>(),
        vec![Block {
            start: root.start(),
            len: base
        }]
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ipv4_pool_matches_the_model(ops in ops()) {
        run(AddressFamily::Ipv4, "10.8.0.0/20", ops)?;
    }

    #[test]
    fn ipv6_pool_matches_the_model(ops in ops()) {
        run(AddressFamily::Ipv6, "2001:db8:100::/56", ops)?;
    }

    #[test]
    fn sqlite_free_index_agrees_with_memory(ops in ops()) {
        let family = AddressFamily::Ipv4;
        let root = Cidr::parse("10.8.0.0/20").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = ipam_db::Database::open(
            &ipam_db::Location::Sqlite(dir.path().join("free.db")),
            &ipam::store::migrate::SCHEMA,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let outcome = db.transaction(ipam_db::Mode::DryRun, ipam_db::Lock::All, |tx| {
            Ok::<_, ipam_db::Error>(free_index_agrees(tx, family, root, ops.clone()))
        });
        outcome.unwrap()?;
    }
}

/// Runs `ops` on the SQL free index and on the in-memory one side by side.
fn free_index_agrees(
    tx: &ipam_db::Tx,
    family: AddressFamily,
    root: Cidr,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    {
        let mut sql = ipam::store::free::SqlFree::new(tx, "p");
        let mut mem = MemFree::new();
        let rb = Block {
            start: root.start(),
            len: 20,
        };
        sql.add(rb).unwrap();
        mem.add(rb).unwrap();
        let mut allocated: Vec<Block> = vec![];
        for op in ops {
            match op {
                Op::Next { len, .. } | Op::Explicit { len, .. } => {
                    let a = buddy::lowest_fit(&mut mem, family, 20, 20 + len, &[]).unwrap();
                    let b = buddy::lowest_fit(&mut sql, family, 20, 20 + len, &[]).unwrap();
                    prop_assert_eq!(a, b);
                    if let Some((blk, t)) = a {
                        buddy::carve(&mut mem, family, blk, t).unwrap();
                        buddy::carve(&mut sql, family, blk, t).unwrap();
                        allocated.push(t);
                    }
                }
                Op::Release(i) => {
                    if !allocated.is_empty() {
                        let t = allocated.remove(i % allocated.len());
                        buddy::release(&mut mem, family, t, 20).unwrap();
                        buddy::release(&mut sql, family, t, 20).unwrap();
                    }
                }
            }
            prop_assert_eq!(mem.counts().unwrap(), sql.counts().unwrap());
        }
    }
    Ok(())
}
