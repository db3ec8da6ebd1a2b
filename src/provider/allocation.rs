//! What the two allocation resources share (`ipam_vpc_allocation` and
//! `ipam_pool_cidr_allocation`): the request attributes and how a configuration becomes a
//! request, the plan-time check of an unnamed request, which allocations each resource
//! manages, and import by identity.

use super::attrs::{cidr, cidrs, integer, string, tags, CIDR, NETMASK};
use super::crud::Call;
use super::errors::{from_store, Blame, Doing, Failure, ALLOCATION, WHOLE};
use super::pending::PendingEntry;
use crate::engine::{AllocationKind, AllocationRequest, Cidr};
use crate::store::{Allocation, AllocationSpec, AllocationState};
use tfplug::{
    Attribute, Diagnostics, IdentityAttribute, IdentitySchema, Plan, Schema, Type, Value,
};

/// Plan-time check of a new allocation without a name: it must fit together with every other
/// allocation from the same pool pending in this plan (`pending.rs`), and an
/// explicit `cidr` must not overlap another pending one. `kind` names the resource type.
pub fn plan_unnamed(call: &Call<'_>, plan: &mut Plan<'_>, spec: &AllocationSpec, kind: &str) {
    let blame = blame(&spec.request);
    let _gate = call.pending.gate();
    let pending = call.pending.list(&spec.pool_id);
    if let AllocationRequest::Explicit(c) = &spec.request {
        if let Some(p) = pending
            .iter()
            .find_map(|p| p.explicit.filter(|x| x.overlaps(c)))
        {
            return Failure::at("cidr", "Overlapping allocations in this plan", format!("{c} overlaps {p}, which another {kind} in this plan also allocates; give one of them another block.")).report(&mut plan.diagnostics);
        }
    }
    let lens: Vec<u8> = pending.iter().map(|p| p.len).collect();
    match call.store.check_request(&call.actor, spec, &lens) {
        Ok(len) => {
            plan.set("netmask_length", Value::number(len));
            let explicit = match spec.request {
                AllocationRequest::Explicit(c) => Some(c),
                _ => None,
            };
            call.pending
                .add(&spec.pool_id, PendingEntry { len, explicit });
        }
        Err(e) => {
            from_store(e, "Cannot allocate from the pool", &blame).report(&mut plan.diagnostics)
        }
    }
}

/// What every allocation asks for: the pool, and the block (explicit, by size or the pool's
/// default) with the blocks to avoid. All force a new allocation.
pub fn request_attributes(s: Schema) -> Schema {
    s.attribute(
        Attribute::required("ipam_pool_id", Type::String)
            .requires_replace()
            .description("The pool to allocate from."),
    )
    .attribute(
        Attribute::optional_computed("netmask_length", Type::Number)
            .requires_replace()
            .use_state_for_unknown()
            .check(NETMASK)
            .description(
                "The prefix length to allocate. Default: the pool's default netmask length.",
            ),
    )
    .attribute(
        Attribute::optional_computed("cidr", Type::String)
            .requires_replace()
            .use_state_for_unknown()
            .meaning(CIDR)
            .description("An explicit block instead of the next free one."),
    )
    .attribute(
        Attribute::optional("disallowed_cidrs", Type::set(Type::String))
            .requires_replace()
            .meaning(CIDR)
            .description("Blocks the allocator must not hand out."),
    )
}

/// `cidr` and `netmask_length` together must agree.
pub fn check_cidr_and_netmask(config: &Value, diags: &mut Diagnostics) {
    if let (Some(c), Ok(Some(n))) = (cidr(config, "cidr"), integer(config, "netmask_length")) {
        let len = c.prefix_len();
        if i64::from(len) != n {
            Failure::at(
                "netmask_length",
                "Conflicting netmask_length",
                format!("cidr {c} is a /{len}, but netmask_length is {n}; set one of them."),
            )
            .report(diags);
        }
    }
}

/// An explicit CIDR is at fault for everything about its block, its size included.
pub fn blame(request: &AllocationRequest) -> Blame {
    match request {
        AllocationRequest::Explicit(_) => Blame {
            netmask: "cidr",
            ..ALLOCATION
        },
        _ => ALLOCATION,
    }
}

/// The request the configuration makes; `None` when a value is malformed (validate reports it).
pub fn request(v: &Value) -> Option<AllocationRequest> {
    if let Some(c) = string(v, "cidr") {
        return crate::engine::Cidr::parse(&c)
            .ok()
            .map(AllocationRequest::Explicit);
    }
    match integer(v, "netmask_length") {
        Ok(Some(n)) => u8::try_from(n).ok().map(AllocationRequest::Netmask),
        Ok(None) => Some(AllocationRequest::PoolDefault),
        Err(_) => None,
    }
}

/// The allocation a configuration or plan asks for; `None` when a value is malformed.
pub fn spec_of(v: &Value, kind: AllocationKind) -> Option<AllocationSpec> {
    Some(AllocationSpec {
        pool_id: string(v, "ipam_pool_id")?,
        request: request(v)?,
        disallowed: cidrs(v, "disallowed_cidrs"),
        name: string(v, "name"),
        description: string(v, "description"),
        tags: tags(v, "tags"),
        kind,
        resource_id: None,
    })
}

/// An allocation's identity: its `id` (`id_doc` says its form), or its pool and CIDR.
pub fn allocation_identity(id_doc: &str) -> IdentitySchema {
    IdentitySchema::new(vec![
        IdentityAttribute::optional(
            "id",
            &format!("{id_doc}; or give `ipam_pool_id` and `cidr` instead"),
        ),
        IdentityAttribute::optional("ipam_pool_id", "the pool the CIDR is allocated from"),
        IdentityAttribute::optional("cidr", "the allocated CIDR"),
    ])
}

/// The allocation of a pool holding exactly a CIDR (by meaning) that `keep` accepts, for
/// import by identity.
pub fn find_allocation(
    call: &Call<'_>,
    identity: &Value,
    keep: fn(&Allocation) -> bool,
) -> Result<Option<Allocation>, Failure> {
    let (Some(pool), Some(cidr)) = (string(identity, "ipam_pool_id"), string(identity, "cidr"))
    else {
        return Ok(None);
    };
    let Ok(cidr) = Cidr::parse(&cidr) else {
        return Err(Failure::plain(
            "Cannot import by identity",
            format!("{cidr:?} is not a CIDR block; write it as the allocation's state shows it."),
        ));
    };
    let list = call
        .store
        .list_allocations(&pool)
        .doing("Cannot import by identity", &WHOLE)?;
    Ok(list.into_iter().find(|a| a.cidr == cidr && keep(a)))
}

/// What `ipam_vpc_allocation` manages: applied allocations that are neither a child pool's
/// CIDR nor a custom allocation (`ipam_pool_cidr_allocation`'s).
pub fn is_vpc_allocation(a: &Allocation) -> bool {
    !matches!(a.kind, AllocationKind::IpamPool | AllocationKind::Custom)
        && a.state == AllocationState::Allocated
}

/// What `ipam_pool_cidr_allocation` manages: applied custom allocations.
pub fn is_custom_allocation(a: &Allocation) -> bool {
    a.kind == AllocationKind::Custom && a.state == AllocationState::Allocated
}
