//! Who may plan a change to which resource type, checked in one place (`crud.rs` calls
//! [`check`] for every resource's create, update and destroy plan) so that a refusal shows at
//! `terraform plan`, on the resource, before apply. The store enforces the same rules in each
//! change's transaction (`store/share.rs`); this only says it earlier.

use super::crud::Call;
use super::errors::Failure;
use tfplug::{Plan, Value};

/// Who may change a resource type once the database has an organization.
enum Authority {
    Anyone,
    /// The delegated IPAM admin account (the management account until one is delegated).
    IpamAdmin,
    /// The organization's management account.
    Management,
}

fn of(type_name: &str) -> Authority {
    match type_name {
        "ipam"
        | "ipam_scope"
        | "ipam_pool"
        | "ipam_pool_cidr"
        | "ipam_resource_discovery"
        | "ipam_resource_discovery_association"
        | "ipam_resource_share" => Authority::IpamAdmin,
        "ipam_organization"
        | "ipam_organizational_unit"
        | "ipam_organization_account"
        | "ipam_organization_admin_account" => Authority::Management,
        _ => Authority::Anyone,
    }
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
pub fn check(call: &Call<'_>, type_name: &str, plan: &mut Plan<'_>) {
    if !changes(plan) {
        return;
    }
    let account = &call.actor.account_id;
    let refusal = match of(type_name) {
        Authority::Anyone => return,
        Authority::IpamAdmin => call.store.ipam_admin_refusal(account),
        Authority::Management => call.store.organization().map(|org| {
            org.filter(|o| o.management_account_id != *account).map(|o| {
                format!(
                    "the account {account} may not change the organization {}: only its management account {} may; run this from that account's configuration",
                    o.id, o.management_account_id
                )
            })
        }),
    };
    if let Ok(Some(why)) = refusal {
        Failure::plain(
            format!("The account {account} may not change this {type_name}"),
            why,
        )
        .report(&mut plan.diagnostics);
    }
}

/// Refuses, on `ipam_pool_id`, an allocation from a pool the caller neither administers nor
/// has shared with it (the message names the account and the pool's shares).
pub fn pool_use(call: &Call<'_>, pool_id: &str) -> Result<(), Failure> {
    let account = &call.actor.account_id;
    match call.store.pool_use_refusal(account, pool_id) {
        Ok(Some(why)) => Err(Failure::at(
            "ipam_pool_id",
            "The pool is not shared with this account",
            format!("{why}."),
        )),
        _ => Ok(()),
    }
}
