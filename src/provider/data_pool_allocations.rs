//! `ipam_pool_allocations`: what a pool has handed out.

use super::attrs::{opt_string, string};
use super::context::Context;
use super::errors::{Blame, Doing, Failure, WHOLE};
use super::lookup::Lookup;
use crate::store::AllocationState;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct PoolAllocations;

impl Lookup for PoolAllocations {
    const TYPE_NAME: &'static str = "ipam_pool_allocations";

    fn schema(&self) -> Schema {
        let alloc = Type::object([
            ("id", Type::String),
            ("cidr", Type::String),
            ("resource_type", Type::String),
            ("resource_id", Type::String),
            ("description", Type::String),
            ("owner_id", Type::String),
        ]);
        Schema::new()
            .description("The allocations of a pool, in address order.")
            .attribute(Attribute::required("ipam_pool_id", Type::String).description("The pool."))
            .attribute(Attribute::computed("allocations", Type::list(alloc)).description("Each allocation: id, cidr, resource_type (`vpc`, `ipam-pool`, `imported`, `custom`), resource_id, description, owner_id."))
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let pool = string(config, "ipam_pool_id").unwrap_or_default();
        let pool_at_fault = Blame {
            pool: "ipam_pool_id",
            ..WHOLE
        };
        let list = ctx
            .store
            .list_allocations(&pool)
            .doing("Cannot list allocations", &pool_at_fault)?;
        let mut v = config.clone();
        v.set_attr(
            "allocations",
            Value::list(
                list.iter()
                    .filter(|a| a.state == AllocationState::Allocated)
                    .map(|a| {
                        Value::object([
                            ("id", Value::string(&a.id)),
                            ("cidr", Value::string(a.cidr.to_string())),
                            ("resource_type", Value::string(a.kind.as_str())),
                            ("resource_id", opt_string(&a.resource_id)),
                            ("description", opt_string(&a.description)),
                            ("owner_id", Value::string(&a.owner_id)),
                        ])
                    }),
            ),
        );
        Ok(v)
    }
}
