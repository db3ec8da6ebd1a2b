//! `ipam_preview_next_cidr` as a resource (AWS's `aws_vpc_ipam_preview_next_cidr`): the block
//! the next allocation from a pool would get, looked up once at create and kept in state, so
//! it does not move when later allocations take that block. It reserves nothing; to hold a
//! block, use a named `ipam_vpc_allocation` or an `ipam_pool_cidr_allocation`.

use super::attrs::{cidrs, integer, string, CIDR, NETMASK};
use super::aws::{check_region, region_argument};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Doing, Failure, ALLOCATION, WHOLE};
use crate::store::new_id;
use tfplug::{Attribute, Plan, Schema, Type, Value};

pub struct PreviewNextCidr;

/// A preview: no database row, only what state holds, checked against its pool on read.
pub struct Record {
    id: String,
    pool_id: String,
    netmask_length: Value,
    disallowed: Value,
    cidr: String,
}

impl Crud for PreviewNextCidr {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_preview_next_cidr";
    const GUARD: Guard = Guard::Open;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("The block the next allocation from a pool would get, looked up once when this resource is created and kept afterwards (it reserves nothing). The data source of the same name looks again on every plan.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The preview's id, `ipam-preview-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_pool_id", Type::String).requires_replace().description("The pool."))
            .attribute(Attribute::optional("netmask_length", Type::Number).requires_replace().check(NETMASK).description("The prefix length; default: the pool's default."))
            .attribute(Attribute::optional("disallowed_cidrs", Type::set(Type::String)).requires_replace().meaning(CIDR).description("Blocks to skip."))
            .attribute(Attribute::computed("cidr", Type::String).use_state_for_unknown().description("The previewed block, as it was at create."))
            .attribute(region_argument())
    }

    /// A pool that is unknown or has no such block fails the plan, not the apply.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        if !plan.is_create() || !plan.config.is_wholly_known() {
            return;
        }
        if let Err(f) = preview(call, plan.config) {
            f.report(&mut plan.diagnostics);
        }
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let pool_id = string(planned, "ipam_pool_id").unwrap_or_default();
        let c = preview(call, planned)?;
        Ok(Record {
            id: new_id("ipam-preview"),
            pool_id,
            netmask_length: planned
                .get("netmask_length")
                .cloned()
                .unwrap_or(Value::Null),
            disallowed: planned
                .get("disallowed_cidrs")
                .cloned()
                .unwrap_or(Value::Null),
            cidr: c.to_string(),
        })
    }

    /// Kept as created while its pool exists; gone (created again) when the pool is.
    fn read(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<Option<Record>, Failure> {
        let (Some(pool_id), Some(cidr)) = (string(prior, "ipam_pool_id"), string(prior, "cidr"))
        else {
            return Ok(None);
        };
        let pool = call
            .store
            .get_pool(&pool_id)
            .doing("Cannot read the pool", &WHOLE)?;
        Ok(pool.map(|_| Record {
            id: id.to_string(),
            pool_id,
            netmask_length: prior.get("netmask_length").cloned().unwrap_or(Value::Null),
            disallowed: prior
                .get("disallowed_cidrs")
                .cloned()
                .unwrap_or(Value::Null),
            cidr,
        }))
    }

    /// Every argument forces replacement: nothing changes in place.
    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        self.read(call, id, planned)?.ok_or_else(|| {
            Failure::at(
                "ipam_pool_id",
                "Cannot update the preview",
                "The pool no longer exists.",
            )
        })
    }

    /// A preview holds nothing: deleting it only forgets it.
    fn delete(&self, _call: &Call<'_>, _id: &str, _prior: &Value) -> Result<(), Failure> {
        Ok(())
    }

    /// A preview exists only in state: there is nothing in the database to import.
    fn import(&self, id: &str) -> Result<Value, Failure> {
        Err(Failure::plain(
            "Cannot import a preview",
            format!("{id:?}: a preview is not stored anywhere but in state; declare the resource and let Terraform create it."),
        ))
    }

    fn state(&self, r: &Record) -> Value {
        Value::object([
            ("id", Value::string(&r.id)),
            ("ipam_pool_id", Value::string(&r.pool_id)),
            ("netmask_length", r.netmask_length.clone()),
            ("disallowed_cidrs", r.disallowed.clone()),
            ("cidr", Value::string(&r.cidr)),
        ])
    }
}

/// The block the next allocation the configuration describes would get.
fn preview(call: &Call<'_>, v: &Value) -> Result<crate::engine::Cidr, Failure> {
    let pool_id = string(v, "ipam_pool_id").unwrap_or_default();
    let len = integer(v, "netmask_length")
        .ok()
        .flatten()
        .and_then(|n| u8::try_from(n).ok());
    call.store
        .preview_next(&pool_id, len, &cidrs(v, "disallowed_cidrs"))
        .doing("Cannot preview the next CIDR", &ALLOCATION)
}
