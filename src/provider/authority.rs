//! Who may plan a change to which resource, said at `terraform plan`, on the resource, before
//! apply. Each resource declares its [`Guard`] (`Crud::GUARD`, no default); `crud.rs` calls
//! [`check`] for every create, update and destroy plan. Core decides ([`ipam_core::authority`]),
//! over one snapshot, by the same rules the change's own transaction applies; this module only
//! words the answer. A failure to decide refuses: a plan that cannot be checked is not passed.

use super::crud::Call;
use super::errors::Failure;
use crate::store::{Refusal, Role};
use tfplug::{Plan, Value};

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

/// A refusal with what to do about it.
pub fn advice(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotIpamAdmin { account, .. } => format!(
            "{refusal}; run this from that account's configuration, or allocate from a pool shared with {account}."
        ),
        Refusal::NotManagement { .. } => {
            format!("{refusal}; run this from that account's configuration.")
        }
        Refusal::PoolNotShared { account, admin, .. } => format!(
            "{refusal}; ask the IPAM admin account {admin} to share the pool with {account}, one of its organizational units or the organization, or use a pool shared with it."
        ),
    }
}
