//! One store logic, two backends: random sequences of changes (allocate by size or at an
//! address, release, reserve and claim by name) run side by side on a SQLite file and a
//! PostgreSQL database must give the same answers, step by step, and leave both consistent.
//! On PostgreSQL the store sends writes late and reads early (store/sql.rs: `defer`,
//! `prefetch`); a read answered from before a write it should have seen would show here as a
//! different block, a refusal on one side only, or a `verify` fault.

// test-backends: own (SQLite and PostgreSQL side by side in every run)

use crate::support::pg;

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, Allocation, AllocationSpec, PoolSpec, Store, Tags};
use proptest::prelude::*;
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
enum Then {
    Keep,
    Claim,
    Lapse,
}

#[derive(Clone, Debug)]
enum Op {
    /// The next free block of this length, from pool 0 (the parent) or 1 (the child).
    Allocate { pool: usize, len: u8 },
    /// The /`len` at this slot of the pool's first CIDR (may be taken: both must refuse).
    At { pool: usize, len: u8, slot: u32 },
    /// Release the n-th live allocation (modulo how many there are).
    Release { n: usize },
    /// Reserve a name (a few names, so some are reserved again), then maybe claim it, or let
    /// it lapse at once (the next change to the pool sweeps it, then allocates).
    Reserve {
        pool: usize,
        name: u8,
        len: u8,
        then: Then,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 22..=28u8).prop_map(|(pool, len)| Op::Allocate { pool, len }),
        2 => (0..2usize, 22..=28u8, 0..64u32).prop_map(|(pool, len, slot)| Op::At { pool, len, slot }),
        3 => (0..64usize).prop_map(|n| Op::Release { n }),
        2 => (0..2usize, 0..3u8, 24..=28u8, prop_oneof![Just(Then::Keep), Just(Then::Claim), Just(Then::Lapse)])
            .prop_map(|(pool, name, len, then)| Op::Reserve { pool, name, len, then }),
    ]
}

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn spec(pool: &str, request: AllocationRequest, name: Option<String>) -> AllocationSpec {
    AllocationSpec {
        name,
        ..AllocationSpec::new(pool, request, AllocationKind::Vpc)
    }
}

/// A parent pool holding 10.0.0.0/18 and a child pool holding a /20 drawn from it.
struct Side {
    store: Store,
    pools: [String; 2],
    roots: [Cidr; 2],
    live: Vec<Allocation>,
}

impl Side {
    fn new(database: &str) -> Side {
        let store = Store::open_database(
            database,
            Cidr::parse("2001:db8::/32").unwrap(),
            Duration::from_secs(30),
        )
        .unwrap();
        let a = actor();
        let ipam = store.create_ipam(&a, None, vec![], Tags::new()).unwrap();
        let pool = |parent: Option<String>| {
            store
                .create_pool(
                    &a,
                    PoolSpec {
                        scope_id: ipam.private_default_scope_id.clone(),
                        parent_id: parent,
                        ..Default::default()
                    },
                )
                .unwrap()
                .id
        };
        let parent = pool(None);
        let top = Cidr::parse("10.0.0.0/18").unwrap();
        store
            .provision_cidr(&a, &parent, AllocationRequest::Explicit(top))
            .unwrap();
        let child = pool(Some(parent.clone()));
        let sub = store
            .provision_cidr(&a, &child, AllocationRequest::Netmask(20))
            .unwrap()
            .cidr;
        Side {
            store,
            pools: [parent, child],
            roots: [top, sub],
            live: Vec::new(),
        }
    }

    /// Runs `op`: the block it gave, or None when it was refused.
    fn run(&mut self, op: &Op) -> Option<Cidr> {
        let a = actor();
        match *op {
            Op::Allocate { pool, len } => {
                let s = spec(&self.pools[pool], AllocationRequest::Netmask(len), None);
                self.keep(self.store.allocate(&a, &s).ok())
            }
            Op::At { pool, len, slot } => {
                let root = self.roots[pool];
                let size = 1u128 << (32 - len);
                let start =
                    root.start() + (u128::from(slot) * size) % (1u128 << (32 - root.prefix_len()));
                let c = Cidr::from_start(root.family(), start, len);
                let s = spec(&self.pools[pool], AllocationRequest::Explicit(c), None);
                self.keep(self.store.allocate(&a, &s).ok())
            }
            Op::Release { n } => {
                if self.live.is_empty() {
                    return None;
                }
                let gone = self.live.remove(n % self.live.len());
                self.store.release(&a, &gone.id).ok().map(|()| gone.cidr)
            }
            Op::Reserve {
                pool,
                name,
                len,
                then,
            } => {
                let s = spec(
                    &self.pools[pool],
                    AllocationRequest::Netmask(len),
                    Some(format!("name-{name}")),
                );
                let ttl = match then {
                    Then::Lapse => -10,
                    _ => 3600,
                };
                let r = self.store.reserve(&a, &s, ttl).ok()?;
                match then {
                    Then::Claim => self.keep(self.store.claim(&a, &s, r.cidr).ok()),
                    _ => Some(r.cidr),
                }
            }
        }
    }

    fn keep(&mut self, a: Option<Allocation>) -> Option<Cidr> {
        let a = a?;
        let cidr = a.cidr;
        self.live.push(a);
        Some(cidr)
    }
}

proptest! {
    // Each case creates a PostgreSQL database: a few cases of many steps.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn sqlite_and_postgres_answer_alike(ops in proptest::collection::vec(op(), 10..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut lite = Side::new(&dir.path().join("ipam.db").display().to_string());
        let mut post = Side::new(&pg::cluster().new_database());
        prop_assert_eq!(lite.roots, post.roots);
        for (i, op) in ops.iter().enumerate() {
            let (l, p) = (lite.run(op), post.run(op));
            prop_assert_eq!(l, p, "step {} {:?}", i, op);
        }
        prop_assert!(lite.store.verify().unwrap().is_empty());
        prop_assert!(post.store.verify().unwrap().is_empty());
        for pool in 0..2 {
            let cidrs = |s: &Side| -> Vec<Cidr> {
                s.store.list_allocations(&s.pools[pool]).unwrap().iter().map(|a| a.cidr).collect()
            };
            prop_assert_eq!(cidrs(&lite), cidrs(&post));
        }
    }
}
