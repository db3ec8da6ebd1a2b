//! `ipam_pool` data source: one pool, by `id` or `ipam_pool_id`, or found by AWS-style
//! `filter` blocks (`description`, `address-family`, `ipam-scope-id`, `locale`, `tag:<key>`,
//! …; values take `*` and `?` wildcards). The pool attributes and filter names are shared with
//! `ipam_pools`.

use super::attrs::string;
use super::aws::region_data_argument;
use super::context::Context;
use super::errors::{Doing, Failure, WHOLE};
use super::filter::{check_names, filter_block, filters, matches, tag_field, Names};
use super::lookup::Lookup;
use super::pool::{pool_attributes, pool_values};
use crate::store::Pool;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct PoolData;

/// Filter names for pools, as `describe-ipam-pools` takes them.
pub const POOL_FILTERS: Names = Names {
    plain: &[
        "description",
        "address-family",
        "ipam-scope-id",
        "ipam-scope-type",
        "ipam-id",
        "ipam-pool-id",
        "locale",
        "owner-id",
        "source-ipam-pool-id",
        "pool-depth",
        "state",
        "aws-service",
    ],
    tags: true,
};

/// The values a pool has for a filter name; `None` for a name that is not a filter.
pub fn pool_field(p: &Pool, name: &str) -> Option<Vec<String>> {
    let one = |s: &str| Some(vec![s.to_string()]);
    let opt = |s: &Option<String>| Some(s.iter().cloned().collect());
    match name {
        "description" => opt(&p.description),
        "address-family" => one(p.family.as_str()),
        "ipam-scope-id" => one(&p.scope_id),
        "ipam-scope-type" => one(p.scope_type.as_str()),
        "ipam-id" => one(&p.ipam_id),
        "ipam-pool-id" => one(&p.id),
        "locale" => opt(&p.locale),
        "owner-id" => one(&p.owner_id),
        "source-ipam-pool-id" => opt(&p.parent_id),
        "pool-depth" => one(&p.depth.to_string()),
        "state" => one(p.state()),
        "aws-service" => opt(&p.aws_service),
        _ => tag_field(name, &p.tags),
    }
}

/// A pool's attributes as a data source reports them (`id` given by the caller).
pub fn pool_data_attributes(s: Schema) -> Schema {
    let s = s
        .attribute(
            Attribute::computed("ipam_scope_id", Type::String).description("The pool's scope."),
        )
        .attribute(
            Attribute::computed("address_family", Type::String).description("`ipv4` or `ipv6`."),
        )
        .attribute(Attribute::computed("auto_import", Type::Bool).description(
            "Whether allocations found in a provisioned CIDR are adopted as imported allocations.",
        ));
    pool_attributes(s, true)
}

/// Every filter name is one pools have.
pub fn check_pool_filters(config: &Value, diags: &mut Diagnostics) {
    check_names(config, &POOL_FILTERS, diags);
}

/// Every pool matching `ids` (when given) and the configuration's filters.
pub fn find(ctx: &Context, config: &Value, ids: Option<Vec<String>>) -> Result<Vec<Pool>, Failure> {
    let all = ctx
        .store
        .find_pools(None, &[], None)
        .doing("Cannot look up pools", &WHOLE)?;
    let fs = filters(config);
    Ok(all
        .into_iter()
        .filter(|p| ids.as_ref().is_none_or(|i| i.contains(&p.id)))
        .filter(|p| matches(&fs, |n| pool_field(p, n)))
        .collect())
}

impl Lookup for PoolData {
    const TYPE_NAME: &'static str = "ipam_pool";

    fn schema(&self) -> Schema {
        pool_data_attributes(
            Schema::new()
                .description("Looks up one pool: by `id` or `ipam_pool_id`, or by `filter` blocks as in the AWS provider's `aws_vpc_ipam_pool` data source. Exactly one pool must match.")
                .attribute(Attribute::optional_computed("id", Type::String).description("The pool id."))
                .attribute(Attribute::optional_computed("ipam_pool_id", Type::String).description("The pool id (the AWS provider's name for it)."))
                .attribute(Attribute::computed("cidrs", Type::list(Type::String)).description("The pool's provisioned CIDRs."))
                .attribute(super::resource_share::shares_attribute())
                .block(filter_block(&POOL_FILTERS))
.attribute(region_data_argument()),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_pool_filters(config, diags);
        if let (Some(a), Some(b)) = (string(config, "id"), string(config, "ipam_pool_id")) {
            if a != b {
                Failure::at(
                    "ipam_pool_id",
                    "Conflicting pool ids",
                    format!("id is {a:?} but ipam_pool_id is {b:?}; give one of them."),
                )
                .report(diags);
            }
        }
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let ids = string(config, "id")
            .or_else(|| string(config, "ipam_pool_id"))
            .map(|i| vec![i]);
        let pools = find(ctx, config, ids)?;
        let p = match pools.as_slice() {
            [p] => p,
            [] => {
                return Err(Failure::plain(
                    "No matching pool",
                    "No IPAM pool in this database matches the id and filters given; check the id, or loosen the filters.",
                ));
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|p| p.id.as_str()).collect();
                return Err(Failure::plain(
                    "More than one pool matches",
                    format!(
                        "{} pools match ({}); add filters so that exactly one does.",
                        many.len(),
                        ids.join(", ")
                    ),
                ));
            }
        };
        let cidrs = ctx
            .store
            .pool_cidrs(&p.id)
            .doing("Cannot read the pool's CIDRs", &WHOLE)?;
        let mut v = config.clone();
        for (k, val) in pool_values(p) {
            v.set_attr(k, val);
        }
        v.set_attr("ipam_pool_id", Value::string(&p.id));
        v.set_attr(
            "shares",
            super::resource_share::shares_value(&ctx.store, &p.id)?,
        );
        v.set_attr(
            "cidrs",
            Value::list(cidrs.iter().map(|c| Value::string(c.cidr.to_string()))),
        );
        Ok(v)
    }
}
