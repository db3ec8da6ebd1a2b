//! `ipam_pool_cidr`: space provisioned to a pool, explicit or the next free block of its parent.

use super::attrs::{integer, string};
use super::errors::{deleted, found, report, Paths};
use super::Shared;
use crate::engine::{AllocationRequest, Cidr};
use crate::store::PoolCidr;
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, Resource, Schema, Type, Value};

pub struct PoolCidrResource(pub Arc<Shared>);

const PATHS: Paths = Paths {
    cidr: "cidr",
    netmask: "netmask_length",
    pool: "ipam_pool_id",
    tags: "",
};

fn state(c: &PoolCidr) -> Value {
    Value::object([
        ("id", Value::string(format!("{}_{}", c.cidr, c.pool_id))),
        ("ipam_pool_cidr_id", Value::string(&c.id)),
        ("ipam_pool_id", Value::string(&c.pool_id)),
        ("cidr", Value::string(c.cidr.to_string())),
        ("netmask_length", Value::number(c.cidr.prefix_len())),
    ])
}

impl Resource for PoolCidrResource {
    fn type_name(&self) -> &'static str {
        "ipam_pool_cidr"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("A CIDR provisioned to a pool. A child pool's CIDR is allocated from its parent.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("`<cidr>_<pool id>`."))
            .attribute(Attribute::computed("ipam_pool_cidr_id", Type::String).use_state_for_unknown().description("The pool CIDR's own id, `ipam-pool-cidr-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_pool_id", Type::String).requires_replace().description("The pool to provision."))
            .attribute(Attribute::optional_computed("cidr", Type::String).requires_replace().use_state_for_unknown().description("The CIDR to provision; computed when `netmask_length` is given."))
            .attribute(Attribute::optional_computed("netmask_length", Type::Number).requires_replace().use_state_for_unknown().description("Provision the next free block of this length from the parent pool (or the provider's IPv6 space)."))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let cidr = config.get("cidr").unwrap_or(&Value::Null);
        let mask = config.get("netmask_length").unwrap_or(&Value::Null);
        if cidr.is_null() && mask.is_null() {
            diags.error("Missing cidr or netmask_length", "Set exactly one of cidr (an explicit block) or netmask_length (the next free block of that size).");
        }
        if !cidr.is_null() && !mask.is_null() {
            diags.error_at(
                "netmask_length",
                "Conflicting arguments",
                "Set either cidr or netmask_length, not both.",
            );
        }
        if let Some(c) = string(config, "cidr") {
            if let Err(e) = Cidr::parse(&c) {
                diags.error_at("cidr", "Invalid CIDR", e.to_string());
            }
        }
        match integer(config, "netmask_length") {
            Ok(Some(n)) if !(0..=128).contains(&n) => diags.error_at(
                "netmask_length",
                "Invalid netmask_length",
                format!("{n} is not a prefix length: use 0 to 32 for IPv4, 0 to 128 for IPv6."),
            ),
            Err(t) => diags.error_at(
                "netmask_length",
                "Invalid netmask_length",
                format!("{t} is not a whole number."),
            ),
            _ => {}
        }
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let pool = string(planned, "ipam_pool_id")?;
        let request = match (
            string(planned, "cidr"),
            integer(planned, "netmask_length").ok().flatten(),
        ) {
            (Some(c), _) => AllocationRequest::Explicit(Cidr::parse(&c).ok()?),
            (None, Some(n)) => AllocationRequest::Netmask(u8::try_from(n).ok()?),
            _ => return None,
        };
        match ctx.store.provision_cidr(&ctx.actor, &pool, request) {
            Ok(c) => Some(state(&c)),
            Err(e) => {
                report(diags, "Cannot provision the CIDR", e, &PATHS);
                None
            }
        }
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let (pool, cidr) = match (string(prior, "ipam_pool_id"), string(prior, "cidr")) {
            (Some(p), Some(c)) => (p, c),
            // Imported: only the id "<cidr>_<pool id>" is known.
            _ => {
                let id = string(prior, "id")?;
                let (c, p) = id.split_once('_')?;
                (p.to_string(), c.to_string())
            }
        };
        let c = found(
            ctx.store.get_pool_cidr(&pool, &cidr),
            diags,
            "Cannot read the pool CIDR",
        )?;
        Some(state(&c))
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        if id
            .split_once('_')
            .is_none_or(|(c, p)| Cidr::parse(c).is_err() || !p.starts_with("ipam-pool-"))
        {
            diags.error("Invalid import id", format!("{id:?} is not \"<cidr>_<pool id>\", such as 10.0.0.0/8_ipam-pool-0a1b2c3d4e5f60718."));
            return None;
        }
        Some(Value::object([("id", Value::string(id))]))
    }

    fn update(&self, _prior: &Value, planned: &Value, _diags: &mut Diagnostics) -> Option<Value> {
        // Every argument forces replacement: nothing to change in place.
        Some(planned.clone())
    }

    fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(ctx) = self.0.ctx(diags) else { return };
        let (Some(pool), Some(cidr)) = (string(prior, "ipam_pool_id"), string(prior, "cidr"))
        else {
            return;
        };
        let r = ctx.store.deprovision_cidr(&ctx.actor, &pool, &cidr);
        deleted(r, diags, "", "Cannot deprovision the CIDR");
    }
}
