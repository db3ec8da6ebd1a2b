//! New allocations planned in this process but not yet applied, per pool: the plan-time
//! capacity check counts them all together. Terraform runs each graph walk (plan, apply) in
//! its own provider process, and applies an allocation right after re-planning it, so an entry
//! leaves when its allocation is applied.

use crate::engine::{AllocationRequest, Cidr};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub struct Pending {
    by_pool: Mutex<HashMap<String, Vec<PendingEntry>>>,
    /// The operating regions of each IPAM planned for creation in this walk (`None` when not
    /// known until apply): a pool planned beside its new IPAM checks its locale against them.
    new_ipams: Mutex<Vec<Option<Vec<String>>>>,
    /// The pool CIDRs planned in this walk (`ipam_pool_cidr`, existing pools only): each new
    /// one is checked after them, so two that overlap fail the plan.
    pool_cidrs: Mutex<Vec<(String, AllocationRequest)>>,
    /// Held across "read pending, check the pool, add" and across "allocate, remove": without
    /// it, a check running between an allocation's commit and its removal from the list counts
    /// that allocation twice, and a full-but-fitting plan fails.
    gate: Mutex<()>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub len: u8,
    pub explicit: Option<Cidr>,
}

impl Pending {
    /// Serialises pending-list bookkeeping with the store work it must agree with.
    pub fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pools(&self) -> MutexGuard<'_, HashMap<String, Vec<PendingEntry>>> {
        self.by_pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn list(&self, pool: &str) -> Vec<PendingEntry> {
        self.pools().get(pool).cloned().unwrap_or_default()
    }

    pub fn add(&self, pool: &str, e: PendingEntry) {
        self.pools().entry(pool.to_string()).or_default().push(e);
    }

    /// Forgets everything: a new graph walk plans afresh.
    pub fn clear(&self) {
        self.pools().clear();
        self.ipams().clear();
        self.cidrs().clear();
    }

    fn cidrs(&self) -> MutexGuard<'_, Vec<(String, AllocationRequest)>> {
        self.pool_cidrs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pool CIDRs (pool, request) planned in this walk and not yet provisioned, in plan
    /// order.
    pub fn pool_cidrs(&self) -> Vec<(String, AllocationRequest)> {
        self.cidrs().clone()
    }

    pub fn add_pool_cidr(&self, pool: &str, request: AllocationRequest) {
        self.cidrs().push((pool.to_string(), request));
    }

    /// Forgets one planned pool CIDR: it has been provisioned.
    pub fn remove_pool_cidr(&self, pool: &str, request: &AllocationRequest) {
        let mut v = self.cidrs();
        if let Some(i) = v.iter().position(|(p, r)| p == pool && r == request) {
            v.remove(i);
        }
    }

    fn ipams(&self) -> MutexGuard<'_, Vec<Option<Vec<String>>>> {
        self.new_ipams.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add_ipam(&self, regions: Option<Vec<String>>) {
        self.ipams().push(regions);
    }

    /// The regions of every IPAM planned in this walk; `None` when one is not known yet.
    pub fn new_ipam_regions(&self) -> Option<Vec<String>> {
        self.ipams()
            .iter()
            .cloned()
            .collect::<Option<Vec<_>>>()
            .map(|l| l.concat())
    }

    /// Forgets the entry `planned` made: an explicit block its own entry, a block by size one
    /// entry of that size that named no block (never another's explicit one, which would then
    /// be counted twice, or not at all).
    pub fn remove(&self, pool: &str, planned: &PendingEntry) {
        if let Some(v) = self.pools().get_mut(pool) {
            if let Some(i) = v.iter().position(|e| e == planned) {
                v.remove(i);
            }
        }
    }
}

impl PendingEntry {
    /// The entry the plan of `request` added, given the block it was allocated.
    pub fn of(request: &AllocationRequest, allocated: &Cidr) -> PendingEntry {
        PendingEntry {
            len: allocated.prefix_len(),
            explicit: match request {
                AllocationRequest::Explicit(c) => Some(*c),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applying an explicit block takes its own entry, not another of the same size (which
    /// would leave the explicit one to be counted again by the next check).
    #[test]
    fn an_applied_allocation_removes_its_own_entry() {
        let p = Pending::default();
        let c = Cidr::parse("10.0.1.0/24").unwrap();
        let by_size = PendingEntry {
            len: 24,
            explicit: None,
        };
        let explicit = PendingEntry {
            len: 24,
            explicit: Some(c),
        };
        p.add("pool", by_size.clone());
        p.add("pool", explicit.clone());
        p.remove(
            "pool",
            &PendingEntry::of(&AllocationRequest::Explicit(c), &c),
        );
        assert_eq!(p.list("pool"), vec![by_size.clone()]);
        let other = Cidr::parse("10.0.7.0/24").unwrap();
        p.remove(
            "pool",
            &PendingEntry::of(&AllocationRequest::Netmask(24), &other),
        );
        assert!(p.list("pool").is_empty());
    }
}
