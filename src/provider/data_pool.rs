//! `ipam_pool` data source: a pool by id, or found by description and tags.

use super::attrs::string;
use super::context::Shared;
use super::errors::{Doing, Failure, WHOLE};
use super::pool::{pool_attributes, pool_values};
use std::sync::Arc;
use tfplug::{Attribute, Block, DataSource, Diagnostics, Schema, Type, Value};

pub struct PoolData(pub Arc<Shared>);

impl DataSource for PoolData {
    fn type_name(&self) -> &'static str {
        "ipam_pool"
    }

    fn schema(&self) -> Schema {
        let s = Schema::new()
            .description("Looks up one pool, by id or by filters on its description and tags.")
            .attribute(Attribute::optional_computed("id", Type::String).description("The pool id."))
            .attribute(
                Attribute::computed("ipam_scope_id", Type::String).description("The pool's scope."),
            )
            .attribute(
                Attribute::computed("address_family", Type::String)
                    .description("`ipv4` or `ipv6`."),
            )
            .attribute(
                Attribute::computed("auto_import", Type::Bool)
                    .description("Whether allocations found in a provisioned CIDR are adopted as imported allocations."),
            )
            .attribute(
                Attribute::computed("cidrs", Type::list(Type::String))
                    .description("The pool's provisioned CIDRs."),
            )
            .block(Block::list(
                "filter",
                Schema::new()
                    .attribute(
                        Attribute::required("name", Type::String)
                            .description("`description`, `ipam-pool-id`, or `tag:<key>`."),
                    )
                    .attribute(
                        Attribute::required("values", Type::set(Type::String))
                            .description("Any of these values matches."),
                    ),
            ));
        pool_attributes(s, true)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for f in config.get("filter").and_then(Value::as_list).unwrap_or(&[]) {
            if let Some(n) = string(f, "name") {
                if n != "description" && n != "ipam-pool-id" && !n.starts_with("tag:") {
                    Failure::at("filter", "Unknown filter", format!("{n:?} is not a filter name: use \"description\", \"ipam-pool-id\" or \"tag:<key>\".")).report(diags);
                }
            }
        }
    }

    fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let mut descriptions: Option<Vec<String>> = None;
        let mut ids: Option<Vec<String>> = string(config, "id").map(|i| vec![i]);
        let mut tags = Vec::new();
        for f in config.get("filter").and_then(Value::as_list).unwrap_or(&[]) {
            let name = string(f, "name").unwrap_or_default();
            let values = super::attrs::strings(f, "values");
            if name == "description" {
                descriptions = Some(values);
            } else if name == "ipam-pool-id" {
                ids = Some(values);
            } else if let Some(k) = name.strip_prefix("tag:") {
                tags.push((k.to_string(), values));
            }
        }
        let pools = ctx
            .store
            .find_pools(descriptions.as_deref(), &tags, ids.as_deref())
            .doing("Cannot look up pools", &WHOLE)
            .map_err(|f| f.report(diags))
            .ok()?;
        let p = match pools.as_slice() {
            [p] => p,
            [] => {
                Failure::plain(
                    "No matching pool",
                    "No IPAM pool in this database matches the id and filters given; check the id, or loosen the filters.",
                )
                .report(diags);
                return None;
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|p| p.id.as_str()).collect();
                Failure::plain(
                    "More than one pool matches",
                    format!(
                        "{} pools match ({}); add filters so that exactly one does.",
                        many.len(),
                        ids.join(", ")
                    ),
                )
                .report(diags);
                return None;
            }
        };
        let cidrs = ctx
            .store
            .pool_cidrs(&p.id)
            .doing("Cannot read the pool's CIDRs", &WHOLE)
            .map_err(|f| f.report(diags))
            .ok()?;
        let mut v = config.clone();
        for (k, val) in pool_values(p) {
            v.set_attr(k, val);
        }
        v.set_attr(
            "cidrs",
            Value::list(cidrs.iter().map(|c| Value::string(c.cidr.to_string()))),
        );
        Some(v)
    }
}
