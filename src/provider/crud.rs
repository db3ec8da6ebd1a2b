//! The create/read/update/delete skeleton every resource shares. A resource states its schema,
//! its checks and its store calls ([`Crud`]); [`Managed`] finds the configured store, turns
//! records into state and reports every [`Failure`] the same way.

use super::context::{Context, Shared};
use super::errors::{advice, Failure};
use super::pending::Pending;
use crate::store::Role;
use std::ops::Deref;
use std::sync::Arc;
use tfplug::{Diagnostics, IdentityAttribute, IdentitySchema, Plan, Resource, Schema, Value};

/// What a resource call may use: the configured context and the plan's pending allocations.
pub struct Call<'a> {
    ctx: &'a Context,
    pub pending: &'a Pending,
    /// In a destroy: the token of the plan that planned it (see [`Crud::releases`]).
    pub plan: Option<String>,
}

impl<'a> Call<'a> {
    pub fn new(ctx: &'a Context, pending: &'a Pending) -> Self {
        Call {
            ctx,
            pending,
            plan: None,
        }
    }
}

impl Deref for Call<'_> {
    type Target = Context;
    fn deref(&self) -> &Context {
        self.ctx
    }
}

/// A resource over the store, in the order its file reads: schema, validate, plan, create,
/// read, update, delete, then the mapping from its record to state.
pub trait Crud: Send + Sync + 'static {
    /// What the store returns for one object.
    type Record;

    /// The full type name, e.g. `ipam_pool`.
    const TYPE_NAME: &'static str;

    /// Who may plan a change to this resource (no default: each resource decides).
    const GUARD: Guard;

    fn schema(&self) -> Schema;

    /// Computed attributes an in-place update cannot change (counts of other objects, the
    /// last scan): planned as their prior value (the schema marks them
    /// `use_state_for_unknown`) and written to state as planned, so an update of one attribute
    /// shows only that change. Should another resource of the same apply change one (a scope
    /// destroyed beside an IPAM's update), the next refresh reads it, rather than the apply
    /// failing on a value that differs from its plan.
    const KEPT_ON_UPDATE: &'static [&'static str] = &[];

    /// Checks beyond the schema's declarative ones (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines a create or update plan; runs only when the provider is configured.
    fn plan(&self, _call: &Call<'_>, _plan: &mut Plan<'_>) {}

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Self::Record, Failure>;

    /// The object `id` as it is now; `Ok(None)` when it is gone (Terraform plans to create it).
    fn read(
        &self,
        call: &Call<'_>,
        id: &str,
        prior: &Value,
    ) -> Result<Option<Self::Record>, Failure>;

    /// Changes the object `id` in place to `planned`.
    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Self::Record, Failure>;

    /// Deletes the object `id`; a failure marked `gone` counts as done.
    fn delete(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<(), Failure>;

    /// The allocation destroying `prior` gives back to its pool, if any (an allocation's own,
    /// a child pool CIDR's in its parent). Its destroy plan notes it in the database under the
    /// plan's token, so that a pool CIDR destroyed by the same run may release it first
    /// instead of waiting: Terraform destroys them in parallel, and a pool CIDR waiting for an
    /// allocation whose destroy has no free slot (`-parallelism`) would wait in vain.
    fn releases(&self, _call: &Call<'_>, _prior: &Value) -> Option<String> {
        None
    }

    /// The state to start an import from: by default an object holding only `id`.
    fn import(&self, id: &str) -> Result<Value, Failure> {
        Ok(Value::object([("id", Value::string(id))]))
    }

    /// Rewrites a state written under an older schema `version` (see `tfplug::upgrade`).
    fn upgrade(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        Ok(state)
    }

    /// The record as state (tfplug settles spelling, empty collections, config-only values).
    fn state(&self, record: &Self::Record) -> Value;

    /// The identity (Terraform 1.12+): by default the `id`, which an import must give.
    fn identity(&self) -> IdentitySchema {
        IdentitySchema::new(vec![IdentityAttribute::required(
            "id",
            "The object's id, as `terraform import` takes it.",
        )])
    }

    /// The id of the object an identity without `id` names, when the identity has other ways.
    fn find(&self, _call: &Call<'_>, _identity: &Value) -> Result<Option<String>, Failure> {
        Ok(None)
    }
}

/// How a destroy plan's private data names its plan's token.
const PLAN_PRIVATE: &str = "ipam-plan:";

impl<T: Crud> Managed<T> {
    /// A destroy plan: notes the allocation the destroy will release under this walk's plan
    /// token, and leaves the token in the plan's private data for the apply.
    fn note_release(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        let token = self.shared.plan_token();
        plan.private = format!("{PLAN_PRIVATE}{token}").into_bytes();
        if let Some(allocation) = self.inner.releases(call, plan.prior) {
            if let Err(e) = call
                .store
                .note_planned_release(&call.actor, &allocation, &token)
            {
                // Only an optimisation of the apply: without the note a pool CIDR waits.
                plan.diagnostics.warning(
                    "Cannot note the planned release",
                    format!("{e}; a pool CIDR destroyed in the same run waits for {allocation} instead."),
                );
            }
        }
    }
}

/// Every resource's `id` attribute ("" before it has one).
fn id(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// A [`Crud`] as a tfplug [`Resource`].
pub struct Managed<T> {
    inner: T,
    shared: Arc<Shared>,
}

/// The registry's constructor: one line per resource.
pub fn managed<T: Crud>(inner: T, shared: &Arc<Shared>) -> Arc<dyn Resource> {
    Arc::new(Managed {
        inner,
        shared: shared.clone(),
    })
}

impl<T: Crud> Managed<T> {
    /// Runs `f` with the configured context; reports a missing context or `f`'s failure.
    fn with<R>(
        &self,
        diags: &mut Diagnostics,
        f: impl FnOnce(&Call<'_>) -> Result<R, Failure>,
    ) -> Option<R> {
        self.with_plan(diags, None, f)
    }

    /// [`Managed::with`] for the destroy of a plan with token `plan`.
    fn with_plan<R>(
        &self,
        diags: &mut Diagnostics,
        plan: Option<String>,
        f: impl FnOnce(&Call<'_>) -> Result<R, Failure>,
    ) -> Option<R> {
        let ctx = self.shared.ctx(diags)?;
        let call = Call {
            ctx: &ctx,
            pending: &self.shared.pending,
            plan,
        };
        f(&call).map_err(|e| e.report(diags)).ok()
    }
}

impl<T: Crud> Resource for Managed<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.inner.schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.inner.validate(config, diags);
    }

    fn modify_plan(&self, plan: &mut Plan<'_>) {
        if let Some(ctx) = self.shared.try_ctx() {
            let call = Call {
                ctx: &ctx,
                pending: &self.shared.pending,
                plan: None,
            };
            // Destroys too: the organization's rules say who may change each type.
            check(&call, T::GUARD, T::TYPE_NAME, plan);
            if !plan.is_destroy() {
                self.inner.plan(&call, plan);
            } else if !plan.diagnostics.has_errors() {
                self.note_release(&call, plan);
            }
        }
        if !plan.is_destroy() {
            plan_tags_all(plan);
        }
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let r = self.with(diags, |c| self.inner.create(c, planned))?;
        Some(self.inner.state(&r))
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let r = self.with(diags, |c| self.inner.read(c, id(prior), prior))??;
        Some(self.inner.state(&r))
    }

    fn update(&self, _prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let r = self.with(diags, |c| self.inner.update(c, id(planned), planned))?;
        let mut state = self.inner.state(&r);
        for name in T::KEPT_ON_UPDATE {
            if let Some(v) = planned.get(name).filter(|v| v.is_wholly_known()) {
                state.set_attr(name, v.clone());
            }
        }
        Some(state)
    }

    fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        self.delete_planned(prior, &[], diags)
    }

    fn delete_planned(&self, prior: &Value, private: &[u8], diags: &mut Diagnostics) {
        let plan = std::str::from_utf8(private)
            .ok()
            .and_then(|p| p.strip_prefix(PLAN_PRIVATE))
            .map(String::from);
        // Already gone (removed outside Terraform, or released by a pool CIDR the same run
        // destroyed first): the delete has nothing left to do.
        self.with_plan(diags, plan, |c| {
            match self.inner.delete(c, id(prior), prior) {
                Err(f) if f.gone => Ok(()),
                r => r,
            }
        });
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        self.inner.import(id).map_err(|e| e.report(diags)).ok()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(self.inner.identity())
    }

    fn import_identity(&self, identity: &Value, diags: &mut Diagnostics) -> Option<Value> {
        if let Some(id) = identity.get("id").and_then(Value::as_str) {
            return self.import(id, diags);
        }
        let found = self.with(diags, |c| self.inner.find(c, identity))?;
        match found {
            Some(id) => self.import(&id, diags),
            None => {
                Failure::plain(
                    "Cannot import by identity",
                    format!(
                        "No {} matches this identity; check its values, or import by id.",
                        T::TYPE_NAME
                    ),
                )
                .report(diags);
                None
            }
        }
    }

    fn upgrade_state(
        &self,
        version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        self.inner.upgrade(version, state)
    }
}

/// `tags_all` is `tags` (this provider has no `default_tags`), so it is known at plan whenever
/// `tags` is: an update of anything else must not show it as `(known after apply)`.
fn plan_tags_all(plan: &mut Plan<'_>) {
    if plan.planned.get("tags_all").is_none() {
        return;
    }
    let tags = plan.get("tags").clone();
    if !tags.is_wholly_known() {
        return;
    }
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        _ => false,
    };
    // No tags: the prior state's spelling of none (null after an import, `{}` otherwise), so
    // an unchanged resource plans no change.
    if empty(&tags) {
        let prior = plan.prior.get("tags_all").cloned().unwrap_or(Value::Null);
        let none = if empty(&prior) && !plan.prior.is_null() {
            prior
        } else {
            Value::map(Vec::<(String, Value)>::new())
        };
        return plan.set("tags_all", none);
    }
    plan.set("tags_all", tags);
}

/// Who must be asking for a resource's change to be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// The organization's IPAM admin account: everything that shapes the address space.
    IpamAdmin,
    /// The organization's management account: the organization itself.
    Management,
    /// An account the pool is shared with: decided per pool, with the rest of the request,
    /// by core's allocation check that the resource's plan runs once the pool is known.
    PoolUse,
    /// Nothing the organization restricts (a preview that allocates nothing).
    Open,
}

/// Whether the plan changes anything the user controls: creates, destroys, or sets a known
/// value that differs from the prior state (values known only after apply do not count).
fn changes(plan: &Plan<'_>) -> bool {
    if plan.prior.is_null() || plan.planned.is_null() {
        return true;
    }
    match (&plan.planned, plan.prior) {
        (Value::Object(planned), Value::Object(prior)) => planned
            .iter()
            .any(|(k, v)| v.is_known() && prior.get(k).is_some_and(|p| p != v)),
        _ => plan.planned != *plan.prior,
    }
}

/// Reports, on the resource, a change the caller's account may not make.
pub fn check(call: &Call<'_>, guard: Guard, type_name: &str, plan: &mut Plan<'_>) {
    if !changes(plan) {
        return;
    }
    let role = match guard {
        Guard::IpamAdmin => Role::IpamAdmin,
        Guard::Management => Role::Management,
        Guard::PoolUse | Guard::Open => return,
    };
    let account = &call.actor.account_id;
    let failure = match call.store.refusal(account, role) {
        Ok(None) => return,
        Ok(Some(refusal)) => Failure::plain(
            format!("The account {account} may not change this {type_name}"),
            advice(&refusal),
        ),
        Err(e) => Failure::plain(
            format!("Cannot decide whether the account {account} may change this {type_name}"),
            format!("{e}; nothing was planned for it."),
        ),
    };
    failure.report(&mut plan.diagnostics);
}
