//! `ipam_utilization`: how full a pool, scope or IPAM is, exactly.

use super::attrs::string;
use super::context::Context;
use super::errors::{Blame, Doing, Failure, WHOLE};
use super::lookup::Lookup;
use crate::store::utilization_percent;
use crate::store::UtilizationTarget;
use tfplug::{Attribute, Check, Diagnostics, Schema, Type, Value};

pub struct Utilization;

const TARGETS: [&str; 3] = ["ipam_pool_id", "ipam_scope_id", "ipam_id"];

impl Lookup for Utilization {
    const TYPE_NAME: &'static str = "ipam_utilization";

    fn schema(&self) -> Schema {
        let cidr = Type::object([
            ("cidr", Type::String),
            ("total_addresses", Type::Number),
            ("allocated_addresses", Type::Number),
            ("utilization_percent", Type::Number),
        ]);
        Schema::new()
            .description("Utilization of a pool, a scope (its top-level pools) or an IPAM. Counts are exact, also past 2^64.")
            .attribute(Attribute::optional("ipam_pool_id", Type::String).description("The pool to measure."))
            .attribute(Attribute::optional("ipam_scope_id", Type::String).description("The scope to measure (its top-level pools)."))
            .attribute(Attribute::optional("ipam_id", Type::String).description("The IPAM to measure (its top-level pools)."))
            .attribute(Attribute::optional("warn_at_percent", Type::Number).check(Check::NumberRange { min: 0.0, max: 100.0, what: "a percentage" }).description("Emit a warning when utilization is above this percentage."))
            .attribute(Attribute::computed("address_family", Type::String).description("`ipv4` or `ipv6`."))
            .attribute(Attribute::computed("total_addresses", Type::Number).description("Addresses provisioned."))
            .attribute(Attribute::computed("allocated_addresses", Type::Number).description("Addresses allocated or reserved."))
            .attribute(Attribute::computed("reserved_addresses", Type::Number).description("Addresses held by plan-time reservations of named allocations not yet applied (included in allocated_addresses)."))
            .attribute(Attribute::computed("available_addresses", Type::Number).description("Addresses still free."))
            .attribute(Attribute::computed("utilization_percent", Type::Number).description("Allocated as a percentage of total, to two decimals."))
            .attribute(Attribute::computed("allocation_count", Type::Number).description("How many allocations there are."))
            .attribute(Attribute::computed("largest_free_netmask_length", Type::Number).description("The prefix length of the largest free block (null when full)."))
            .attribute(Attribute::computed("cidrs", Type::list(cidr)).description("Per provisioned CIDR: cidr, total_addresses, allocated_addresses, utilization_percent."))
            .exactly_one_of(&TARGETS)
            .attribute(Attribute::computed("available_blocks", Type::map(Type::Number)).description("For each netmask length the pool allows (as a string): how many blocks of that size can still be allocated."))
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let (attr, target) = if let Some(id) = string(config, "ipam_pool_id") {
            ("ipam_pool_id", id)
        } else if let Some(id) = string(config, "ipam_scope_id") {
            ("ipam_scope_id", id)
        } else {
            ("ipam_id", string(config, "ipam_id").unwrap_or_default())
        };
        let t = match attr {
            "ipam_pool_id" => UtilizationTarget::Pool(&target),
            "ipam_scope_id" => UtilizationTarget::Scope(&target),
            _ => UtilizationTarget::Ipam(&target),
        };
        let target_at_fault = Blame {
            cidr: attr,
            netmask: attr,
            pool: attr,
            tags: attr,
            ..WHOLE
        };
        let u = ctx
            .store
            .utilization(t)
            .doing("Cannot measure utilization", &target_at_fault)?;
        let pct = u.percent();
        if let Some(Value::Number(w)) = config.get("warn_at_percent") {
            if pct > w.to_f64() {
                diags.warning_at(
                    "warn_at_percent",
                    "Utilization above threshold",
                    format!("{target} is {pct}% used ({} of {} addresses), above warn_at_percent = {w}.", u.allocated, u.total),
                );
            }
        }
        let mut v = config.clone();
        v.set_attr(
            "address_family",
            Value::opt_string(u.family.map(|f| f.as_str())),
        );
        v.set_attr("total_addresses", Value::number(u.total));
        v.set_attr("allocated_addresses", Value::number(u.allocated));
        v.set_attr("reserved_addresses", Value::number(u.reserved));
        v.set_attr("available_addresses", Value::number(u.available()));
        v.set_attr(
            "utilization_percent",
            Value::Number(tfplug::Number::from_f64(pct).unwrap_or_default()),
        );
        v.set_attr("allocation_count", Value::number(u.allocation_count));
        v.set_attr(
            "largest_free_netmask_length",
            u.largest_free_len.map(Value::number).unwrap_or(Value::Null),
        );
        v.set_attr(
            "cidrs",
            Value::list(u.cidrs.iter().map(|c| {
                Value::object([
                    ("cidr", Value::string(c.cidr.to_string())),
                    ("total_addresses", Value::number(c.total)),
                    ("allocated_addresses", Value::number(c.allocated)),
                    (
                        "utilization_percent",
                        Value::Number(
                            tfplug::Number::from_f64(utilization_percent(c.allocated, c.total))
                                .unwrap_or_default(),
                        ),
                    ),
                ])
            })),
        );
        v.set_attr(
            "available_blocks",
            Value::map(
                u.available_blocks
                    .iter()
                    .map(|(l, n)| (l.to_string(), Value::number(*n))),
            ),
        );
        Ok(v)
    }
}
