//! Terraform values in, engine and store calls out: one file per resource, data source and
//! function, over the tfplug SDK. No allocation logic lives here.

mod attrs;
mod config;
mod data_pool;
mod data_pool_allocations;
mod data_preview_next_cidr;
mod data_utilization;
mod errors;
mod functions;
mod ipam;
mod pool;
mod pool_cidr;
mod scope;
mod vpc_allocation;

use crate::store::{Actor, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tfplug::{DataSource, Diagnostics, Function, Resource, Schema, Value};

/// The provider's registry address, as users write `source = "local/ipam"`.
pub const ADDRESS: &str = "registry.terraform.io/local/ipam";

/// What ConfigureProvider establishes for every later call of this process.
pub struct Context {
    pub store: Store,
    pub actor: Actor,
    pub reservation_ttl_secs: i64,
}

/// New allocations planned in this process but not yet applied, per pool: the plan-time
/// capacity check counts them all together. Terraform runs each graph walk (plan, apply) in
/// its own provider process, and applies an allocation right after re-planning it, so an entry
/// leaves when its allocation is applied.
#[derive(Default)]
pub struct Pending {
    by_pool: Mutex<HashMap<String, Vec<PendingEntry>>>,
    /// Held across "read pending, check the pool, add" and across "allocate, remove": without
    /// it, a check running between an allocation's commit and its removal from the list counts
    /// that allocation twice, and a full-but-fitting plan fails.
    gate: Mutex<()>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub len: u8,
    pub explicit: Option<crate::engine::Cidr>,
}

impl Pending {
    /// Serialises pending-list bookkeeping with the store work it must agree with.
    pub fn gate(&self) -> std::sync::MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn list(&self, pool: &str) -> Vec<PendingEntry> {
        self.by_pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(pool)
            .cloned()
            .unwrap_or_default()
    }

    pub fn add(&self, pool: &str, e: PendingEntry) {
        self.by_pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(pool.to_string())
            .or_default()
            .push(e);
    }

    /// Forgets everything: a new graph walk (each starts with ConfigureProvider) plans afresh.
    pub fn clear(&self) {
        self.by_pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn remove(&self, pool: &str, len: u8) {
        if let Some(v) = self
            .by_pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(pool)
        {
            if let Some(i) = v.iter().position(|e| e.len == len) {
                v.remove(i);
            }
        }
    }
}

/// State shared by the provider and its resources.
#[derive(Default)]
pub struct Shared {
    context: RwLock<Option<Arc<Context>>>,
    pub pending: Pending,
}

impl Shared {
    /// The configured context, or an error diagnostic when ConfigureProvider has not run.
    pub fn ctx(&self, diags: &mut Diagnostics) -> Option<Arc<Context>> {
        let c = self
            .context
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if c.is_none() {
            diags.error(
                "Provider not configured",
                "The ipam provider could not open its database; see the earlier error about the provider block.",
            );
        }
        c
    }

    /// The context if configured, without a diagnostic (plan-time checks skip when absent).
    pub fn try_ctx(&self) -> Option<Arc<Context>> {
        self.context
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

pub struct IpamProvider {
    shared: Arc<Shared>,
}

impl IpamProvider {
    pub fn new() -> Self {
        IpamProvider {
            shared: Arc::new(Shared::default()),
        }
    }
}

impl Default for IpamProvider {
    fn default() -> Self {
        Self::new()
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
        self.shared.pending.clear();
        if let Some(ctx) = config::configure(config, diags) {
            *self
                .shared
                .context
                .write()
                .unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(ctx));
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let s = &self.shared;
        vec![
            Arc::new(ipam::IpamResource(s.clone())),
            Arc::new(scope::ScopeResource(s.clone())),
            Arc::new(pool::PoolResource(s.clone())),
            Arc::new(pool_cidr::PoolCidrResource(s.clone())),
            Arc::new(vpc_allocation::VpcAllocationResource(s.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        let s = &self.shared;
        vec![
            Arc::new(data_utilization::Utilization(s.clone())),
            Arc::new(data_pool::PoolData(s.clone())),
            Arc::new(data_pool_allocations::PoolAllocations(s.clone())),
            Arc::new(data_preview_next_cidr::PreviewNextCidr(s.clone())),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }
}
