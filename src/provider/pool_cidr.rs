//! `ipam_pool_cidr`: space provisioned to a pool, explicit or the next free block of its parent.

use super::attrs::{cidr, integer, string, CIDR, NETMASK};
use super::aws::{check_region, region_argument};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{from_store, Blame, Doing, Failure, ALLOCATION, WHOLE};
use super::wait;
use crate::engine::{AllocationRequest, Cidr, Error as EngineError};
use crate::store::{Error as StoreError, PoolCidr as Record};
use tfplug::{Attribute, Block, Plan, Schema, Type, Value};

pub struct PoolCidr;

impl Crud for PoolCidr {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_pool_cidr";
    const GUARD: Guard = Guard::IpamAdmin;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("A CIDR provisioned to a pool. A child pool's CIDR is allocated from its parent. A new CIDR of an existing pool is checked at `terraform plan` (the pool's other CIDRs, the scope's top-level pools, the parent's free space and rules), together with the other new pool CIDRs of the same plan, so two that overlap fail the plan, not the apply. A CIDR of a pool created in the same plan is checked at apply (the pool's id, scope and parent are unknown until then); plan only warns, on `cidr`, when it overlaps an existing pool's CIDR in any IPAM or scope, naming that CIDR, its pool and scope. Destroying it releases first what the same run destroys anyway (the allocations and child pool CIDRs inside it: their destroy plans note them, audited as `plan-release`), so that the parallel destroys of a `terraform destroy` converge whatever `-parallelism`; anything else inside it (another configuration's allocations) it waits for, holding no lock, up to `timeouts.delete` (default 5m), then fails naming them. Plan-time reservations of named allocations never hold it, they are removed with it (audited as `drop-reservation-with-pool-cidr`).")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("`<cidr>_<pool id>`."))
            .attribute(Attribute::computed("ipam_pool_cidr_id", Type::String).use_state_for_unknown().description("The pool CIDR's own id, `ipam-pool-cidr-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_pool_id", Type::String).requires_replace().description("The pool to provision."))
            .attribute(Attribute::optional_computed("cidr", Type::String).requires_replace().use_state_for_unknown().meaning(CIDR).description("The CIDR to provision; computed when `netmask_length` is given."))
            .attribute(Attribute::optional_computed("netmask_length", Type::Number).requires_replace().use_state_for_unknown().check(NETMASK).description("Provision the next free block of this length from the parent pool (or the provider's IPv6 space)."))
            .attribute(region_argument())
            .block(Block::list("cidr_authorization_context", Schema::new()
                .description("No local effect (accepted for the AWS provider's examples): the AWS provider's proof that you may bring this range (BYOIP). The database holds whatever you provision; the block is kept in state as written.")
                .attribute(Attribute::optional("message", Type::String).description("The signed message, as for BYOIP."))
                .attribute(Attribute::optional("signature", Type::String).description("Its signature.")))
                .max_items(1)
                .config_only())
            .block(wait::timeouts_block("the allocations and child pool CIDRs inside this CIDR", &["create"]))
            .exactly_one_of(&["cidr", "netmask_length"])
    }

    /// What apply would refuse (overlap with another pool's CIDR in the scope, the wrong
    /// family, the parent's netmask rules, no space left), checked on a rolled-back provision.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        if plan.is_create()
            && plan
                .config
                .get("ipam_pool_id")
                .is_some_and(|p| !p.is_known())
        {
            return warn_overlaps_of_new_pool(call, plan);
        }
        if !plan.is_create() || !plan.config.is_wholly_known() {
            return;
        }
        let (Some(pool), Some(request)) =
            (string(plan.config, "ipam_pool_id"), request(plan.config))
        else {
            return;
        };
        if let Err(f) = not_a_planning_pool(call, &pool) {
            return f.report(&mut plan.diagnostics);
        }
        let blame = blame(&request);
        let _gate = call.pending.gate();
        let planned = call.pending.pool_cidrs();
        match call
            .store
            .check_provision(&call.actor, &pool, request.clone(), &planned)
        {
            Ok(()) => call.pending.add_pool_cidr(&pool, request),
            // The check writes what it checks and rolls it back: a database this process
            // cannot write still plans, and says what waits for apply.
            Err(crate::store::Error::Db(ipam_db::Error::ReadOnly)) => plan.diagnostics.warning(
                "The new CIDR is checked at apply",
                "The database is read-only for this process, so the CIDR's fit in its pool is not checked at plan; apply needs write access and checks it then.",
            ),
            Err(e) => {
                let mut f = from_store(e, "Cannot provision the CIDR", &blame);
                let alone = || {
                    call.store
                        .check_provision(&call.actor, &pool, request.clone(), &[])
                };
                if !planned.is_empty() && alone().is_ok() {
                    f.detail.push_str(&format!(
                        "\n\nThe conflict is with another ipam_pool_cidr in this same plan, not yet applied: {}. Change one of them.",
                        planned
                            .iter()
                            .map(|(p, r)| format!("{} in {p}", describe(r)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                f.report(&mut plan.diagnostics);
            }
        }
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let pool = string(planned, "ipam_pool_id").unwrap_or_default();
        let request = request(planned).ok_or_else(|| {
            Failure::plain(
                "Cannot provision the CIDR",
                "Set exactly one of cidr or netmask_length.",
            )
        })?;
        not_a_planning_pool(call, &pool)?;
        let blame = blame(&request);
        let _gate = call.pending.gate();
        let provisioned = call
            .store
            .provision_cidr(&call.actor, &pool, request.clone())
            .doing("Cannot provision the CIDR", &blame)?;
        call.pending.remove_pool_cidr(&pool, &request);
        Ok(provisioned)
    }

    fn read(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<Option<Record>, Failure> {
        let (pool, cidr) = match (string(prior, "ipam_pool_id"), cidr(prior, "cidr")) {
            (Some(p), Some(c)) => (p, c),
            // Imported: only the id "<cidr>_<pool id>" is known.
            _ => match split_id(id) {
                Some(x) => x,
                None => return Ok(None),
            },
        };
        call.store
            .get_pool_cidr(&pool, &cidr.to_string())
            .doing("Cannot read the pool CIDR", &WHOLE)
    }

    /// Every argument forces replacement, so an update is only a new spelling of the same CIDR
    /// (tfplug puts it in state): the record itself does not change.
    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        self.read(call, id, planned)?.ok_or_else(|| {
            Failure::plain(
                "Cannot update the pool CIDR",
                "The pool CIDR no longer exists.",
            )
        })
    }

    /// A child pool's CIDR gives its block back to the parent: the allocation it came from.
    fn releases(&self, call: &Call<'_>, prior: &Value) -> Option<String> {
        let (pool, cidr) = (string(prior, "ipam_pool_id")?, cidr(prior, "cidr")?);
        call.store
            .get_pool_cidr(&pool, &cidr.to_string())
            .ok()??
            .source_allocation_id
    }

    fn delete(&self, call: &Call<'_>, _id: &str, prior: &Value) -> Result<(), Failure> {
        let (Some(pool), Some(cidr)) = (string(prior, "ipam_pool_id"), cidr(prior, "cidr")) else {
            return Ok(());
        };
        // Allocations and child pool CIDRs inside it may be on their way out in this same
        // destroy (Terraform removes them in parallel): wait for them, holding nothing.
        let (result, waited) = wait::until_free(
            wait::delete_timeout(prior),
            || {
                call.store.deprovision_cidr_planned(
                    &call.actor,
                    &pool,
                    &cidr.to_string(),
                    call.plan.as_deref(),
                )
            },
            |e| matches!(e, StoreError::Engine(EngineError::HoldsAllocations { .. })),
        );
        result.map_err(|e| {
            let mut f = from_store(e, "Cannot deprovision the CIDR", &WHOLE);
            if let Some(w) = waited {
                f.detail.push_str(&wait::waited(w));
            }
            f
        })
    }

    fn import(&self, id: &str) -> Result<Value, Failure> {
        match split_id(id) {
            Some(_) => Ok(Value::object([("id", Value::string(id))])),
            None => Err(Failure::plain("Invalid import id", format!("{id:?} is not \"<cidr>_<pool id>\", such as 10.0.0.0/8_ipam-pool-0a1b2c3d4e5f60718."))),
        }
    }

    fn state(&self, c: &Record) -> Value {
        Value::object([
            ("id", Value::string(format!("{}_{}", c.cidr, c.pool_id))),
            ("ipam_pool_cidr_id", Value::string(&c.id)),
            ("ipam_pool_id", Value::string(&c.pool_id)),
            ("cidr", Value::string(c.cidr.to_string())),
            ("netmask_length", Value::number(c.cidr.prefix_len())),
        ])
    }
}

/// A CIDR for a pool created in the same plan cannot be checked at plan (the pool's id, so its
/// scope and parent, is unknown until apply), but an overlap with an existing pool's CIDR is
/// the mistake most worth knowing early: a warning on `cidr` names every such pool CIDR, its
/// pool and scope. Overlap is right for a child of that pool or a pool in another scope, so
/// this warns rather than refuses; apply decides.
fn warn_overlaps_of_new_pool(call: &Call<'_>, plan: &mut Plan<'_>) {
    let Some(c) = cidr(plan.config, "cidr") else {
        return;
    };
    let Ok(found) = call.store.view(|v| v.pool_cidrs_overlapping(&c)) else {
        return;
    };
    if found.is_empty() {
        return;
    }
    let listed = found
        .iter()
        .map(|h| {
            format!(
                "{} of pool {}{} in scope {} ({}, IPAM {})",
                h.pool_cidr,
                h.pool.id,
                h.pool
                    .description
                    .as_deref()
                    .map(|d| format!(" ({d:?})"))
                    .unwrap_or_default(),
                h.pool.scope_id,
                h.pool.scope_type.as_str(),
                h.pool.ipam_id
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    plan.diagnostics.warning_at(
        tfplug::AttributePath::attr("cidr"),
        "The new pool's CIDR overlaps an existing pool's",
        format!(
            "{c} overlaps {listed}.\n\nIts pool is created in this same plan, so its id, scope and parent are unknown until apply, and only apply can say whether this overlap is allowed: it is for a child of that pool (inside its CIDR) or a pool in another scope; otherwise apply refuses it. If this CIDR was meant for a fresh range, choose one that overlaps nothing."
        ),
    );
}

/// The provisioning the configuration asks for (tfplug has checked exactly one is set).
fn request(v: &Value) -> Option<AllocationRequest> {
    match (cidr(v, "cidr"), integer(v, "netmask_length").ok().flatten()) {
        (Some(c), _) => Some(AllocationRequest::Explicit(c)),
        (None, Some(n)) => u8::try_from(n).ok().map(AllocationRequest::Netmask),
        _ => None,
    }
}

/// A request as a plan shows it: the CIDR, or "a /N".
fn describe(r: &AllocationRequest) -> String {
    match r {
        AllocationRequest::Explicit(c) => c.to_string(),
        AllocationRequest::Netmask(n) => format!("a /{n}"),
        AllocationRequest::PoolDefault => "the pool's default size".into(),
    }
}

/// An explicit CIDR is at fault for everything about its block, its size included.
fn blame(request: &AllocationRequest) -> Blame {
    let at = match request {
        AllocationRequest::Explicit(_) => "cidr",
        _ => "netmask_length",
    };
    Blame {
        netmask: at,
        tags: "",
        refused: at,
        ..ALLOCATION
    }
}

/// `<cidr>_<pool id>`, the import id, as (pool id, block).
fn split_id(id: &str) -> Option<(String, Cidr)> {
    let (c, p) = id.split_once('_')?;
    let c = Cidr::parse(c).ok()?;
    p.starts_with("ipam-pool-").then(|| (p.to_string(), c))
}

/// A resource planning pool's space is its source VPC's CIDR, provisioned with the pool.
fn not_a_planning_pool(call: &Call<'_>, pool: &str) -> Result<(), Failure> {
    match call
        .store
        .pool_source(pool)
        .doing("Cannot provision the CIDR", &WHOLE)?
    {
        Some(src) => Err(Failure::at(
            "ipam_pool_id",
            "Cannot provision the CIDR",
            format!("the pool {pool} is a resource planning pool: its space is the CIDR of the VPC {} (its source_resource), provisioned with it; allocate from it with ipam_pool_cidr_allocation instead.", src.resource_id),
        )),
        None => Ok(()),
    }
}
