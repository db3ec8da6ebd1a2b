//! `ipam_pool_cidrs` data source (AWS's `aws_vpc_ipam_pool_cidrs`): a pool's provisioned CIDRs,
//! optionally filtered by `cidr` (with wildcards, `10.*`) or `state`.

use super::attrs::string;
use super::aws::region_data_argument;
use super::context::Context;
use super::errors::{Doing, Failure, WHOLE};
use super::filter::{check_names, filter_block, filters, matches, Names};
use super::lookup::Lookup;
use crate::store::PoolCidr;
use std::collections::BTreeMap;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct PoolCidrs;

const FILTERS: Names = Names {
    plain: &["cidr", "state", "ipam-pool-cidr-id"],
    tags: false,
};

/// Provisioned CIDRs exist only once provisioned, so their state is always this.
const PROVISIONED: &str = "provisioned";

fn field(c: &PoolCidr, name: &str) -> Option<Vec<String>> {
    match name {
        "cidr" => Some(vec![c.cidr.to_string()]),
        "state" => Some(vec![PROVISIONED.to_string()]),
        "ipam-pool-cidr-id" => Some(vec![c.id.clone()]),
        _ => None,
    }
}

impl Lookup for PoolCidrs {
    const TYPE_NAME: &'static str = "ipam_pool_cidrs";

    fn schema(&self) -> Schema {
        let item = Type::Object(BTreeMap::from([
            ("cidr".to_string(), Type::String),
            ("state".to_string(), Type::String),
        ]));
        Schema::new()
            .description("Lists a pool's provisioned CIDRs, as the AWS provider's `aws_vpc_ipam_pool_cidrs` data source.")
            .attribute(Attribute::required("ipam_pool_id", Type::String).description("The pool."))
            .attribute(Attribute::optional_computed("id", Type::String).description("The pool id."))
            .attribute(Attribute::computed("ipam_pool_cidrs", Type::list(item)).description("The pool's CIDRs, each with `cidr` and `state` (always `provisioned`)."))
            .block(filter_block(&FILTERS))
.attribute(region_data_argument())
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_names(config, &FILTERS, diags);
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let pool = string(config, "ipam_pool_id").unwrap_or_default();
        let exists = ctx
            .store
            .get_pool(&pool)
            .doing("Cannot read the pool", &WHOLE)?;
        if exists.is_none() {
            return Err(Failure::at(
                "ipam_pool_id",
                "Unknown IPAM pool",
                format!("No IPAM pool with id {pool:?} exists in this database; check the id."),
            ));
        }
        let cidrs = ctx
            .store
            .pool_cidrs(&pool)
            .doing("Cannot read the pool's CIDRs", &WHOLE)?;
        let fs = filters(config);
        let list = cidrs
            .iter()
            .filter(|c| matches(&fs, |n| field(c, n)))
            .map(|c| {
                Value::object([
                    ("cidr", Value::string(c.cidr.to_string())),
                    ("state", Value::string(PROVISIONED)),
                ])
            });
        let mut v = config.clone();
        v.set_attr("id", Value::string(&pool));
        v.set_attr("ipam_pool_cidrs", Value::list(list));
        Ok(v)
    }
}
