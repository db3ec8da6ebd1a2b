//! `ipam_vpc_allocation`: a VPC's CIDR from a pool. Checked against the pool at plan time;
//! a named allocation is reserved at plan time so its CIDR is known in the plan.

use super::allocation::{
    blame, check_cidr_and_netmask, is_vpc_allocation, plan_unnamed, request_attributes, spec_of,
};
use super::attrs::{cidr, description, is_unknown, opt_string, string, tag_map, tags, tags_value};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{from_store, Doing, Failure, ALLOCATION, WHOLE};
use super::pending::PendingEntry;
use crate::engine::AllocationKind;
use crate::store::{new_id, Allocation as Record, AllocationSpec};
use tfplug::{Attribute, Check, Diagnostics, Pattern, Plan, Schema, Type, Value};

pub struct VpcAllocation;

/// A name is how later plans find their reservation: spaces alone would be easy to mistake.
const NOT_BLANK: Check = Check::Matches(Pattern {
    looks_like: "a name (it is blank)",
    test: |s| !s.trim().is_empty(),
});

const DESCRIPTION: &str = "The CIDR of a VPC, allocated from a pool (what `create-vpc --ipv4-ipam-pool-id` does).

Every new allocation is checked at `terraform plan`: an explicit `cidr` outside the pool, overlapping an existing allocation (the error names it: id, CIDR, description) or breaking the pool's netmask rules fails the plan, and so does a set of new allocations the pool cannot hold together (every allocation pending in the same plan counts). A `netmask_length` longer than the pool's family allows (a /33 of IPv4) fails the plan too. An exhausted pool's error says how many of the plan's new allocations from it fit, lists the largest blocks still free, and suggests a smaller block only when one is free and the pool's rules allow it. Destroying an allocation frees its block at once.

CIDRs are compared by meaning: `cidr` and `disallowed_cidrs` stay in state as written (`FD00:0:0:100::/56`), the database holds the canonical form, and a spelling that is ambiguous (`010.0.1.0/24`, a CIDR with spaces around it) is refused at validate with the form to write instead.

## Named allocations: the CIDR is known at plan time

Without `name`, the CIDR of a new allocation is *(known after apply)*. With `name`, `terraform plan` reserves the block in the database under (pool, name), in one transaction, and shows the CIDR in the plan, so `for_each` over subnets carved from it (`cidrsubnets()`, `provider::ipam::subnets()`) works in the same apply. Every later plan of the same name shows the same block, and apply turns the reservation into the allocation; a saved plan (`plan -out`) applies exactly the planned block. Reservations count as used space for every other request (`ipam_utilization` includes them). A reservation that is never applied expires after the provider's `reservation_ttl` (default 24h) and its space returns to the pool; if a saved plan is applied after that and the block was taken meanwhile, apply fails and asks you to plan again. A name is unique among the pool's allocations: planning a name another allocation has fails on `name`.";

const TYPE: &str = "ipam_vpc_allocation";

impl Crud for VpcAllocation {
    type Record = Record;
    const TYPE_NAME: &'static str = TYPE;
    const GUARD: Guard = Guard::PoolUse;

    fn schema(&self) -> Schema {
        Schema::new()
            .description(DESCRIPTION)
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The allocation id, `ipam-pool-alloc-` and 17 hex digits."))
            .attributes_of(request_attributes)
            .attribute(Attribute::optional("name", Type::String).requires_replace().check(Check::Length { min: 1, max: 255 }).check(NOT_BLANK).description("Unique among the pool's allocations. When set, the CIDR is reserved at plan time and shown in the plan."))
            .attribute(description("allocation"))
            .attribute(tag_map("tags", "Tags; must include the pool's allocation_resource_tags."))
            .attribute(Attribute::computed("vpc_id", Type::String).use_state_for_unknown().description("The id of the VPC the CIDR is for, `vpc-` and 17 hex digits."))
            .attribute(Attribute::computed("owner_id", Type::String).use_state_for_unknown().description("The account that made the allocation."))
            .attribute(Attribute::computed("region", Type::String).use_state_for_unknown().description("The region the allocation was made in."))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_cidr_and_netmask(config, diags);
    }

    /// Plan-time checks and reservation for a new allocation.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        if !plan.is_create() {
            return;
        }
        // Who allocates and where is the provider's configuration: known now, shown in the plan.
        plan.set("owner_id", Value::string(&call.actor.account_id));
        plan.set("region", Value::string(&call.actor.region));
        let config = plan.config;
        // Values known only after other resources apply: nothing to check yet.
        let inputs = [
            "ipam_pool_id",
            "cidr",
            "netmask_length",
            "disallowed_cidrs",
            "name",
            "tags",
        ];
        if inputs.iter().any(|a| is_unknown(config, a)) {
            return;
        }
        let Some(spec) = spec(config) else { return };
        let blame = blame(&spec.request);
        if spec.name.is_some() {
            match call
                .store
                .reserve(&call.actor, &spec, call.reservation_ttl_secs)
            {
                Ok(r) => {
                    plan.set("cidr", Value::string(r.cidr.to_string()));
                    plan.set("netmask_length", Value::number(r.cidr.prefix_len()));
                }
                Err(e) => {
                    from_store(e, "Cannot reserve a CIDR", &blame).report(&mut plan.diagnostics)
                }
            }
            return;
        }
        plan_unnamed(call, plan, &spec, TYPE);
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let mut spec = spec(planned).ok_or_else(|| {
            Failure::plain(
                "Cannot allocate from the pool",
                "The planned allocation is incomplete.",
            )
        })?;
        spec.resource_id = Some(new_id("vpc"));
        let _gate = call.pending.gate();
        let result = match (&spec.name, cidr(planned, "cidr")) {
            // Named: the plan reserved the block; take exactly that one.
            (Some(_), Some(c)) => call.store.claim(&call.actor, &spec, c),
            _ => call.store.allocate(&call.actor, &spec),
        };
        let a = result.doing("Cannot allocate from the pool", &blame(&spec.request))?;
        if spec.name.is_none() {
            call.pending
                .remove(&a.pool_id, &PendingEntry::of(&spec.request, &a.cidr));
        }
        Ok(a)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        let a = call
            .store
            .get_allocation(id)
            .doing("Cannot read the allocation", &WHOLE)?;
        // A child pool's CIDR and a custom allocation are allocations too, but not a VPC's.
        Ok(a.filter(is_vpc_allocation))
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        call.store
            .update_allocation(
                &call.actor,
                id,
                string(planned, "description"),
                tags(planned, "tags"),
            )
            .doing("Cannot update the allocation", &ALLOCATION)
    }

    /// Its own allocation, unless a resource planning pool draws from it (that pool goes
    /// first, and a pool CIDR destroyed meanwhile waits for this allocation instead).
    fn releases(&self, call: &Call<'_>, prior: &Value) -> Option<String> {
        if let Some(vpc) = string(prior, "vpc_id") {
            if !call.store.planning_pools_of(&vpc).ok()?.is_empty() {
                return None;
            }
        }
        string(prior, "id")
    }

    /// Core refuses while a resource planning pool draws its space from this VPC.
    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .release(&call.actor, id)
            .doing("Cannot release the allocation", &WHOLE)
    }

    fn identity(&self) -> tfplug::IdentitySchema {
        super::allocation::allocation_identity(
            "the allocation id, `ipam-pool-alloc-` and 17 hex digits",
        )
    }

    fn find(&self, call: &Call<'_>, identity: &Value) -> Result<Option<String>, Failure> {
        let found = super::allocation::find_allocation(
            call,
            identity,
            super::allocation::is_vpc_allocation,
        )?;
        Ok(found.map(|a| a.id))
    }

    fn state(&self, a: &Record) -> Value {
        let disallowed = Value::set(a.disallowed.iter().map(|c| Value::string(c.to_string())));
        Value::object([
            ("id", Value::string(&a.id)),
            ("ipam_pool_id", Value::string(&a.pool_id)),
            ("cidr", Value::string(a.cidr.to_string())),
            ("netmask_length", Value::number(a.cidr.prefix_len())),
            ("disallowed_cidrs", disallowed),
            ("name", opt_string(&a.name)),
            ("description", opt_string(&a.description)),
            ("tags", tags_value(&a.tags)),
            ("vpc_id", opt_string(&a.resource_id)),
            ("owner_id", Value::string(&a.owner_id)),
            ("region", Value::string(&a.region)),
        ])
    }
}

fn spec(v: &Value) -> Option<AllocationSpec> {
    spec_of(v, AllocationKind::Vpc)
}
