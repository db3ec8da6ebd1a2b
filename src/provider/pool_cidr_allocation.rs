//! `ipam_pool_cidr_allocation`: space set aside in a pool for no particular resource (AWS's
//! `aws_vpc_ipam_pool_cidr_allocation`, resource type `custom`). Checked at plan time like a
//! VPC allocation; from a resource planning pool it plans subnets inside that VPC.

use super::allocation::{
    blame, check_cidr_and_netmask, is_custom_allocation, plan_unnamed, request_attributes, spec_of,
};
use super::attrs::{description, is_unknown, opt_string, string, tag_map, tags, tags_value};
use super::aws::{check_region, region_argument, tags_all_attribute};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Doing, Failure, ALLOCATION, WHOLE};
use super::pending::PendingEntry;
use crate::engine::AllocationKind;
use crate::store::{Allocation as Record, AllocationSpec};
use tfplug::{Attribute, Diagnostics, Plan, Schema, Type, Value};

pub struct PoolCidrAllocation;

const TYPE: &str = "ipam_pool_cidr_allocation";

const DESCRIPTION: &str = "A CIDR set aside in a pool for no particular resource (resource type `custom`), as the AWS provider's `aws_vpc_ipam_pool_cidr_allocation`: a block for an on-premises network, a reserved range, or, from a resource planning pool (an `ipam_pool` with a `source_resource`), a subnet of that VPC.

Like `ipam_vpc_allocation`, every new allocation is checked at `terraform plan` (an explicit `cidr` outside the pool or overlapping an allocation, a pool too full for all allocations planned together), and destroying it frees its block at once. Every argument forces a new allocation, as in the AWS provider; `tags` can change in place.";

impl Crud for PoolCidrAllocation {
    type Record = Record;
    const TYPE_NAME: &'static str = TYPE;
    const GUARD: Guard = Guard::PoolUse;

    fn schema(&self) -> Schema {
        Schema::new()
            .description(DESCRIPTION)
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("`<ipam_pool_allocation_id>_<ipam_pool_id>`, the form `terraform import` takes."))
            .attributes_of(request_attributes)
            .attribute(description("allocation").requires_replace())
            .attribute(tag_map("tags", "Tags of the allocation."))
            .attribute(tags_all_attribute())
            .attribute(region_argument())
            .attribute(Attribute::computed("ipam_pool_allocation_id", Type::String).use_state_for_unknown().description("The allocation id, `ipam-pool-alloc-` and 17 hex digits."))
            .attribute(Attribute::computed("resource_id", Type::String).use_state_for_unknown().description("Always null: a custom allocation is for no particular resource."))
            .attribute(Attribute::computed("resource_owner", Type::String).use_state_for_unknown().description("The account that made the allocation."))
            .attribute(Attribute::computed("resource_type", Type::String).use_state_for_unknown().description("Always `custom`."))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_cidr_and_netmask(config, diags);
    }

    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        if !plan.is_create() {
            return;
        }
        plan.set("resource_owner", Value::string(&call.actor.account_id));
        plan.set(
            "resource_type",
            Value::string(AllocationKind::Custom.as_str()),
        );
        plan.set("resource_id", Value::Null);
        let inputs = ["ipam_pool_id", "cidr", "netmask_length", "disallowed_cidrs"];
        if inputs.iter().any(|a| is_unknown(plan.config, a)) {
            return;
        }
        let Some(spec) = spec(plan.config) else {
            return;
        };
        plan_unnamed(call, plan, &spec, TYPE);
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let spec = spec(planned).ok_or_else(|| {
            Failure::plain(
                "Cannot allocate from the pool",
                "The planned allocation is incomplete.",
            )
        })?;
        let _gate = call.pending.gate();
        let a = call
            .store
            .allocate(&call.actor, &spec)
            .doing("Cannot allocate from the pool", &blame(&spec.request))?;
        call.pending
            .remove(&a.pool_id, &PendingEntry::of(&spec.request, &a.cidr));
        Ok(a)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        let Some((allocation, pool)) = id.split_once('_') else {
            return Err(Failure::at("id", "Cannot read the allocation", format!("{id:?} is not an allocation id: write `<ipam_pool_allocation_id>_<ipam_pool_id>`, such as ipam-pool-alloc-0123456789abcdef0_ipam-pool-0123456789abcdef0.")));
        };
        let a = call
            .store
            .get_allocation(allocation)
            .doing("Cannot read the allocation", &WHOLE)?;
        Ok(a.filter(|a| is_custom_allocation(a) && a.pool_id == pool))
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        let allocation = id.split_once('_').map(|(a, _)| a).unwrap_or(id);
        call.store
            .update_allocation(
                &call.actor,
                allocation,
                string(planned, "description"),
                tags(planned, "tags"),
            )
            .doing("Cannot update the allocation", &ALLOCATION)
    }

    fn releases(&self, _call: &Call<'_>, prior: &Value) -> Option<String> {
        let id = prior.get("id").and_then(Value::as_str)?;
        Some(id.split_once('_').map(|(a, _)| a).unwrap_or(id).to_string())
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        let allocation = id.split_once('_').map(|(a, _)| a).unwrap_or(id);
        call.store
            .release(&call.actor, allocation)
            .doing("Cannot release the allocation", &WHOLE)
    }

    fn identity(&self) -> tfplug::IdentitySchema {
        super::allocation::allocation_identity(
            "`<ipam_pool_allocation_id>_<ipam_pool_id>`, as `terraform import` takes it",
        )
    }

    fn find(&self, call: &Call<'_>, identity: &Value) -> Result<Option<String>, Failure> {
        let found = super::allocation::find_allocation(
            call,
            identity,
            super::allocation::is_custom_allocation,
        )?;
        Ok(found.map(|a| format!("{}_{}", a.id, a.pool_id)))
    }

    fn state(&self, a: &Record) -> Value {
        let disallowed = Value::set(a.disallowed.iter().map(|c| Value::string(c.to_string())));
        Value::object([
            ("id", Value::string(format!("{}_{}", a.id, a.pool_id))),
            ("ipam_pool_id", Value::string(&a.pool_id)),
            ("cidr", Value::string(a.cidr.to_string())),
            ("netmask_length", Value::number(a.cidr.prefix_len())),
            ("disallowed_cidrs", disallowed),
            ("description", opt_string(&a.description)),
            ("tags", tags_value(&a.tags)),
            ("tags_all", tags_value(&a.tags)),
            ("ipam_pool_allocation_id", Value::string(&a.id)),
            ("resource_id", opt_string(&a.resource_id)),
            ("resource_owner", Value::string(&a.owner_id)),
            ("resource_type", Value::string(a.kind.as_str())),
        ])
    }
}

fn spec(v: &Value) -> Option<AllocationSpec> {
    spec_of(v, AllocationKind::Custom)
}
