//! `ipam_preview_next_cidr`: the block the next allocation would get, without taking it.

use super::attrs::{cidrs, integer, string, CIDR, NETMASK};
use super::aws::{data_ctx, region_data_argument};
use super::context::Shared;
use super::errors::{Doing, ALLOCATION};
use std::sync::Arc;
use tfplug::{Attribute, DataSource, Diagnostics, Schema, Type, Value};

pub struct PreviewNextCidr(pub Arc<Shared>);

impl DataSource for PreviewNextCidr {
    fn type_name(&self) -> &'static str {
        "ipam_preview_next_cidr"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Previews the next free block of a pool without reserving it. To hold a block across plans, use a named ipam_vpc_allocation.")
            .attribute(Attribute::required("ipam_pool_id", Type::String).description("The pool."))
            .attribute(Attribute::optional("netmask_length", Type::Number).check(NETMASK).description("The prefix length; default: the pool's default."))
            .attribute(Attribute::optional("disallowed_cidrs", Type::set(Type::String)).meaning(CIDR).description("Blocks to skip."))
            .attribute(Attribute::computed("cidr", Type::String).description("The block the next allocation would get."))
            .attribute(region_data_argument())
            .attribute(Attribute::computed("id", Type::String).description("The pool id (the AWS provider's data source has an `id` too)."))
    }

    fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = data_ctx(&self.0, config, diags)?;
        let pool = string(config, "ipam_pool_id")?;
        let len = integer(config, "netmask_length")
            .ok()
            .flatten()
            .and_then(|n| u8::try_from(n).ok());
        let disallowed = cidrs(config, "disallowed_cidrs");
        let c = ctx
            .store
            .preview_next(&pool, len, &disallowed)
            .doing("No free block", &ALLOCATION)
            .map_err(|f| f.report(diags))
            .ok()?;
        let mut v = config.clone();
        v.set_attr("cidr", Value::string(c.to_string()));
        v.set_attr("id", Value::string(&pool));
        Some(v)
    }
}
