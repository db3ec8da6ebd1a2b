//! What ConfigureProvider establishes for every later call of this process, and where the
//! resources find it.

use super::errors::Failure;
use super::pending::Pending;
use crate::store::{Actor, Store};
use std::sync::{Arc, RwLock};
use tfplug::Diagnostics;

/// The open database and who is asking.
pub struct Context {
    pub store: Store,
    pub actor: Actor,
    pub reservation_ttl_secs: i64,
}

/// State shared by the provider and its resources.
#[derive(Default)]
pub struct Shared {
    context: RwLock<Option<Arc<Context>>>,
    pub pending: Pending,
    /// This graph walk's token: the destroys one plan notes share it (see `Crud::releases`).
    plan_token: RwLock<String>,
}

impl Shared {
    /// Starts a new graph walk: each begins with ConfigureProvider and plans afresh.
    pub fn configure(&self, ctx: Option<Context>) {
        self.pending.clear();
        *self.plan_token.write().unwrap_or_else(|e| e.into_inner()) = crate::store::new_id("plan");
        if let Some(ctx) = ctx {
            *self.context.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(ctx));
        }
    }

    /// This walk's plan token.
    pub fn plan_token(&self) -> String {
        let t = self
            .plan_token
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if t.is_empty() {
            crate::store::new_id("plan")
        } else {
            t
        }
    }

    /// The configured context, or an error diagnostic when ConfigureProvider has not run.
    pub fn ctx(&self, diags: &mut Diagnostics) -> Option<Arc<Context>> {
        let c = self.try_ctx();
        if c.is_none() {
            Failure::plain(
                "Provider not configured",
                "The ipam provider could not open its database; see the earlier error about the provider block.",
            )
            .report(diags);
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
