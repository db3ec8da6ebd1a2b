//! `ipam_preview_next_cidr`: the block the next allocation would get, without taking it.

use super::attrs::{integer, string, strings};
use super::errors::{report, ALLOCATION};
use super::Shared;
use crate::engine::Cidr;
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
            .attribute(Attribute::optional("netmask_length", Type::Number).description("The prefix length; default: the pool's default."))
            .attribute(Attribute::optional("disallowed_cidrs", Type::set(Type::String)).description("Blocks to skip."))
            .attribute(Attribute::computed("cidr", Type::String).description("The block the next allocation would get."))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for d in strings(config, "disallowed_cidrs") {
            if let Err(e) = Cidr::parse(&d) {
                diags.error_at("disallowed_cidrs", "Invalid disallowed CIDR", e.to_string());
            }
        }
        if let Ok(Some(n)) = integer(config, "netmask_length") {
            if !(0..=128).contains(&n) {
                diags.error_at(
                    "netmask_length",
                    "Invalid netmask_length",
                    format!("{n} is not a prefix length."),
                );
            }
        }
    }

    fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let pool = string(config, "ipam_pool_id")?;
        let len = integer(config, "netmask_length")
            .ok()
            .flatten()
            .and_then(|n| u8::try_from(n).ok());
        let disallowed: Vec<Cidr> = strings(config, "disallowed_cidrs")
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .collect();
        match ctx.store.preview_next(&pool, len, &disallowed) {
            Ok(c) => {
                let mut v = config.clone();
                v.set_attr("cidr", Value::string(c.to_string()));
                Some(v)
            }
            Err(e) => {
                report(diags, "No free block", e, &ALLOCATION);
                None
            }
        }
    }
}
