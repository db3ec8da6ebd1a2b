//! `ipam_pools` data source (AWS's `aws_vpc_ipam_pools`): every pool matching `filter` blocks.

use super::aws::region_data_argument;
use super::context::Context;
use super::data_pool::{check_pool_filters, find, pool_data_attributes, POOL_FILTERS};
use super::errors::{Doing, Failure, WHOLE};
use super::filter::filter_block;
use super::lookup::Lookup;
use super::pool::pool_values;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct Pools;

impl Lookup for Pools {
    const TYPE_NAME: &'static str = "ipam_pools";

    fn schema(&self) -> Schema {
        let item =
            pool_data_attributes(Schema::new().attribute(Attribute::computed("id", Type::String)));
        Schema::new()
            .description("Lists the pools matching `filter` blocks, as the AWS provider's `aws_vpc_ipam_pools` data source.")
            .attribute(Attribute::computed("ipam_pools", Type::list(item.value_type())).description("The matching pools, by id, each with the attributes of the `ipam_pool` data source (`cidrs` aside)."))
            .attribute(Attribute::optional("shared_with_me", Type::Bool).description("When true, only the pools a resource share reaches the caller's account with (directly, through an organizational unit, or through the organization)."))
            .block(filter_block(&POOL_FILTERS))
.attribute(region_data_argument())
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_pool_filters(config, diags);
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let pools = find(ctx, config, None)?;
        let pools = if config.get("shared_with_me").and_then(Value::as_bool) == Some(true) {
            let account = &ctx.actor.account_id;
            let mut shared = Vec::new();
            for p in pools {
                if ctx
                    .store
                    .pool_shared_with(account, &p.id)
                    .doing("Cannot read the pool's shares", &WHOLE)?
                {
                    shared.push(p);
                }
            }
            shared
        } else {
            pools
        };
        let mut v = config.clone();
        v.set_attr(
            "ipam_pools",
            Value::list(pools.iter().map(|p| Value::object(pool_values(p)))),
        );
        Ok(v)
    }
}
