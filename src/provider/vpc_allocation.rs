//! `ipam_vpc_allocation`: a VPC's CIDR from a pool. Checked against the pool at plan time;
//! a named allocation is reserved at plan time so its CIDR is known in the plan.

use super::attrs::{integer, opt_string, string, strings, tags, tags_value};
use super::errors::{deleted, found, report, report_plain, ALLOCATION};
use super::{PendingEntry, Shared};
use crate::engine::{AllocationKind, AllocationRequest, Cidr};
use crate::store::{new_id, Allocation, AllocationSpec};
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, Plan, Resource, Schema, Type, Value};

pub struct VpcAllocationResource(pub Arc<Shared>);

const DESCRIPTION: &str = "The CIDR of a VPC, allocated from a pool (what `create-vpc --ipv4-ipam-pool-id` does).

Every new allocation is checked at `terraform plan`: an explicit `cidr` outside the pool, overlapping an existing allocation (the error names it: id, CIDR, description) or breaking the pool's netmask rules fails the plan, and so does a set of new allocations the pool cannot hold together (every allocation pending in the same plan counts). An exhausted pool's error lists the largest blocks still free. Destroying an allocation frees its block at once.

## Named allocations: the CIDR is known at plan time

Without `name`, the CIDR of a new allocation is *(known after apply)*. With `name`, `terraform plan` reserves the block in the database under (pool, name), in one transaction, and shows the CIDR in the plan, so `for_each` over subnets carved from it (`cidrsubnets()`, `provider::ipam::subnets()`) works in the same apply. Every later plan of the same name shows the same block, and apply turns the reservation into the allocation; a saved plan (`plan -out`) applies exactly the planned block. Reservations count as used space for every other request (`ipam_utilization` includes them). A reservation that is never applied expires after the provider's `reservation_ttl` (default 24h) and its space returns to the pool; if a saved plan is applied after that and the block was taken meanwhile, apply fails and asks you to plan again. A name is unique among the pool's allocations: planning a name another allocation has fails on `name`.";

fn state(a: &Allocation, like: &Value) -> Value {
    Value::object([
        ("id", Value::string(&a.id)),
        ("ipam_pool_id", Value::string(&a.pool_id)),
        ("cidr", Value::string(a.cidr.to_string())),
        ("netmask_length", Value::number(a.cidr.prefix_len())),
        ("disallowed_cidrs", disallowed_value(a, like)),
        ("name", opt_string(&a.name)),
        ("description", opt_string(&a.description)),
        ("tags", tags_value(&a.tags, like.get("tags"))),
        ("vpc_id", opt_string(&a.resource_id)),
        ("owner_id", Value::string(&a.owner_id)),
        ("region", Value::string(&a.region)),
    ])
}

/// The configuration's own form when it has one; after an import, what the database recorded.
fn disallowed_value(a: &Allocation, like: &Value) -> Value {
    match like.get("disallowed_cidrs") {
        Some(v) if !v.is_null() => v.clone(),
        _ if a.disallowed.is_empty() => Value::Null,
        _ => Value::set(a.disallowed.iter().map(|c| Value::string(c.to_string()))),
    }
}

/// The request the configuration makes; `Err` when a value is malformed (validate reports it).
fn request(v: &Value) -> Result<AllocationRequest, ()> {
    if let Some(c) = string(v, "cidr") {
        return Cidr::parse(&c)
            .map(AllocationRequest::Explicit)
            .map_err(|_| ());
    }
    match integer(v, "netmask_length") {
        Ok(Some(n)) => u8::try_from(n)
            .map(AllocationRequest::Netmask)
            .map_err(|_| ()),
        Ok(None) => Ok(AllocationRequest::PoolDefault),
        Err(_) => Err(()),
    }
}

fn disallowed(v: &Value) -> Vec<Cidr> {
    strings(v, "disallowed_cidrs")
        .iter()
        .filter_map(|c| Cidr::parse(c).ok())
        .collect()
}

fn spec(v: &Value) -> Option<AllocationSpec> {
    Some(AllocationSpec {
        pool_id: string(v, "ipam_pool_id")?,
        request: request(v).ok()?,
        disallowed: disallowed(v),
        name: string(v, "name"),
        description: string(v, "description"),
        tags: tags(v, "tags"),
        kind: AllocationKind::Vpc,
        resource_id: None,
    })
}

impl VpcAllocationResource {
    /// Plan-time checks and reservation for a new allocation.
    fn plan_create(&self, plan: &mut Plan<'_>) {
        let Some(ctx) = self.0.try_ctx() else { return };
        // Who allocates and where is the provider's configuration: known now, shown in the plan.
        plan.set("owner_id", Value::string(&ctx.actor.account_id));
        plan.set("region", Value::string(&ctx.actor.region));
        let config = plan.config;
        // Values known only after other resources apply: nothing to check yet.
        if [
            "ipam_pool_id",
            "cidr",
            "netmask_length",
            "disallowed_cidrs",
            "name",
            "tags",
        ]
        .iter()
        .any(|a| super::attrs::is_unknown(config, a))
        {
            return;
        }
        let Some(spec) = spec(config) else { return };
        let pool = match ctx.store.get_pool(&spec.pool_id) {
            Ok(Some(p)) => p,
            Ok(None) => {
                plan.diagnostics.error_at(
                    "ipam_pool_id",
                    "Unknown IPAM pool",
                    format!(
                        "No IPAM pool with id {:?} exists in this database.",
                        spec.pool_id
                    ),
                );
                return;
            }
            Err(e) => return report_plain(&mut plan.diagnostics, "Cannot read the pool", e),
        };
        if let Some(locale) = &pool.locale {
            if *locale != ctx.actor.region {
                plan.diagnostics.error_at(
                    "ipam_pool_id",
                    "Pool locale does not match the provider region",
                    format!("The pool {} has locale {locale:?}, but this provider allocates for the region {:?}: a VPC may only take a CIDR from a pool of its own region.", pool.id, ctx.actor.region),
                );
                return;
            }
        }
        if spec.name.is_some() {
            match ctx
                .store
                .reserve(&ctx.actor, &spec, ctx.reservation_ttl_secs)
            {
                Ok(r) => {
                    plan.set("cidr", Value::string(r.cidr.to_string()));
                    plan.set("netmask_length", Value::number(r.cidr.prefix_len()));
                }
                Err(e) => {
                    let paths = if matches!(e, crate::store::Error::Refused(ref m) if m.contains("already used"))
                    {
                        super::errors::Paths {
                            cidr: "name",
                            ..ALLOCATION
                        }
                    } else {
                        ALLOCATION
                    };
                    report(&mut plan.diagnostics, "Cannot reserve a CIDR", e, &paths);
                }
            }
            return;
        }
        let _gate = self.0.pending.gate();
        let pending = self.0.pending.list(&spec.pool_id);
        if let AllocationRequest::Explicit(c) = &spec.request {
            if let Some(p) = pending
                .iter()
                .find_map(|p| p.explicit.filter(|x| x.overlaps(c)))
            {
                plan.diagnostics.error_at("cidr", "Overlapping allocations in this plan", format!("{c} overlaps {p}, which another ipam_vpc_allocation in this plan also allocates."));
                return;
            }
        }
        let lens: Vec<u8> = pending.iter().map(|p| p.len).collect();
        match ctx.store.check_request(&spec, &lens) {
            Ok(len) => {
                plan.set("netmask_length", Value::number(len));
                let explicit = match spec.request {
                    AllocationRequest::Explicit(c) => Some(c),
                    _ => None,
                };
                self.0
                    .pending
                    .add(&spec.pool_id, PendingEntry { len, explicit });
            }
            Err(e) => report(
                &mut plan.diagnostics,
                "Cannot allocate from the pool",
                e,
                &ALLOCATION,
            ),
        }
    }
}

impl Resource for VpcAllocationResource {
    fn type_name(&self) -> &'static str {
        "ipam_vpc_allocation"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(DESCRIPTION)
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The allocation id, `ipam-pool-alloc-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_pool_id", Type::String).requires_replace().description("The pool to allocate from."))
            .attribute(Attribute::optional_computed("netmask_length", Type::Number).requires_replace().use_state_for_unknown().description("The prefix length to allocate. Default: the pool's default netmask length."))
            .attribute(Attribute::optional_computed("cidr", Type::String).requires_replace().use_state_for_unknown().description("An explicit block instead of the next free one."))
            .attribute(Attribute::optional("disallowed_cidrs", Type::set(Type::String)).requires_replace().description("Blocks the allocator must not hand out."))
            .attribute(Attribute::optional("name", Type::String).requires_replace().description("Unique among the pool's allocations. When set, the CIDR is reserved at plan time and shown in the plan."))
            .attribute(Attribute::optional("description", Type::String).description("A description of the allocation."))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).description("Tags; must include the pool's allocation_resource_tags."))
            .attribute(Attribute::computed("vpc_id", Type::String).use_state_for_unknown().description("The id of the VPC the CIDR is for, `vpc-` and 17 hex digits."))
            .attribute(Attribute::computed("owner_id", Type::String).use_state_for_unknown().description("The account that made the allocation."))
            .attribute(Attribute::computed("region", Type::String).use_state_for_unknown().description("The region the allocation was made in."))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let mut explicit = None;
        if let Some(c) = string(config, "cidr") {
            match Cidr::parse(&c) {
                Ok(c) => explicit = Some(c),
                Err(e) => diags.error_at("cidr", "Invalid CIDR", e.to_string()),
            }
        }
        match integer(config, "netmask_length") {
            Ok(Some(n)) if !(0..=128).contains(&n) => diags.error_at(
                "netmask_length",
                "Invalid netmask_length",
                format!("{n} is not a prefix length: use 0 to 32 for IPv4, 0 to 128 for IPv6."),
            ),
            Ok(Some(n)) => {
                if let Some(c) = explicit {
                    if i64::from(c.prefix_len()) != n {
                        diags.error_at(
                            "netmask_length",
                            "Conflicting netmask_length",
                            format!(
                                "cidr {c} is a /{}, but netmask_length is {n}; set one of them.",
                                c.prefix_len()
                            ),
                        );
                    }
                }
            }
            Err(t) => diags.error_at(
                "netmask_length",
                "Invalid netmask_length",
                format!("{t} is not a whole number."),
            ),
            _ => {}
        }
        for (i, d) in strings(config, "disallowed_cidrs").iter().enumerate() {
            if let Err(e) = Cidr::parse(d) {
                let _ = i;
                diags.error_at("disallowed_cidrs", "Invalid disallowed CIDR", e.to_string());
            }
        }
        if string(config, "name").is_some_and(|n| n.trim().is_empty()) {
            diags.error_at("name", "Invalid name", "A name must not be empty.");
        }
    }

    fn modify_plan(&self, plan: &mut Plan<'_>) {
        if plan.is_create() {
            self.plan_create(plan);
        }
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let mut spec = spec(planned)?;
        spec.resource_id = Some(new_id("vpc"));
        let _gate = self.0.pending.gate();
        let result = match (&spec.name, string(planned, "cidr")) {
            // Named: the plan reserved the block; take exactly that one.
            (Some(_), Some(c)) => {
                let cidr = Cidr::parse(&c).ok()?;
                ctx.store.claim(&ctx.actor, &spec, cidr)
            }
            _ => ctx.store.allocate(&ctx.actor, &spec),
        };
        match result {
            Ok(a) => {
                if spec.name.is_none() {
                    self.0.pending.remove(&a.pool_id, a.cidr.prefix_len());
                }
                Some(state(&a, planned))
            }
            Err(e) => {
                report(diags, "Cannot allocate from the pool", e, &ALLOCATION);
                None
            }
        }
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(prior, "id")?;
        let a = found(
            ctx.store.get_allocation(&id),
            diags,
            "Cannot read the allocation",
        )?;
        // A child pool's CIDR is an allocation too, but not a VPC's.
        (a.kind != AllocationKind::IpamPool).then(|| state(&a, prior))
    }

    fn update(&self, _prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(planned, "id")?;
        match ctx.store.update_allocation(
            &ctx.actor,
            &id,
            string(planned, "description"),
            tags(planned, "tags"),
        ) {
            Ok(a) => Some(state(&a, planned)),
            Err(e) => {
                report(diags, "Cannot update the allocation", e, &ALLOCATION);
                None
            }
        }
    }

    fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(ctx) = self.0.ctx(diags) else { return };
        let Some(id) = string(prior, "id") else {
            return;
        };
        deleted(
            ctx.store.release(&ctx.actor, &id),
            diags,
            "",
            "Cannot release the allocation",
        );
    }
}
