//! `ipam_preview_next_cidr`: the block the next allocation would get, without taking it.

use super::attrs::{cidrs, integer, string, CIDR, NETMASK};
use super::aws::region_data_argument;
use super::context::Context;
use super::errors::{Doing, Failure, ALLOCATION};
use super::lookup::Lookup;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct PreviewNextCidr;

impl Lookup for PreviewNextCidr {
    const TYPE_NAME: &'static str = "ipam_preview_next_cidr";

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

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let pool = string(config, "ipam_pool_id").unwrap_or_default();
        let len = integer(config, "netmask_length")
            .ok()
            .flatten()
            .and_then(|n| u8::try_from(n).ok());
        let disallowed = cidrs(config, "disallowed_cidrs");
        let c = ctx
            .store
            .preview_next(&pool, len, &disallowed)
            .doing("No free block", &ALLOCATION)?;
        let mut v = config.clone();
        v.set_attr("cidr", Value::string(c.to_string()));
        v.set_attr("id", Value::string(&pool));
        Ok(v)
    }
}
