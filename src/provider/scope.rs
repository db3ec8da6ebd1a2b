//! `ipam_scope`: a private scope of an IPAM, beside the two default ones.

use super::attrs::{description, opt_string, string, tag_map, tags, tags_value};
use super::aws::{
    arn, arn_attribute, check_region, owner_attribute, region_argument, tags_all_attribute,
};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::Scope as StoredScope;
use tfplug::{Attribute, Plan, Schema, Type, Value};

/// A scope with its owner (its IPAM's), from which its ARN and its IPAM's ARN follow.
pub struct Record {
    scope: StoredScope,
    owner_id: String,
}

/// The scope with its owner, read from its IPAM.
fn owned(call: &Call<'_>, scope: StoredScope) -> Result<Record, Failure> {
    let owner_id = call
        .store
        .ipam_owner(&scope.ipam_id)
        .doing("Cannot read the scope's IPAM", &WHOLE)?
        .unwrap_or_else(|| call.actor.account_id.clone());
    Ok(Record { scope, owner_id })
}

pub struct Scope;

/// Refusals at create are about the IPAM the scope would join.
const IPAM: Blame = Blame {
    pool: "ipam_id",
    refused: "ipam_id",
    ..WHOLE
};

impl Crud for Scope {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_scope";
    const GUARD: Guard = Guard::IpamAdmin;
    const KEPT_ON_UPDATE: &'static [&'static str] = &["pool_count"];

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "A private scope: a separate IP space (pools in different scopes may overlap).",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The scope id, `ipam-scope-` and 17 hex digits."),
            )
            .attribute(
                Attribute::required("ipam_id", Type::String)
                    .requires_replace()
                    .description("The IPAM the scope belongs to."),
            )
            .attribute(description("scope"))
            .attribute(tag_map("tags", "Tags of the scope."))
            .attribute(tags_all_attribute())
            .attribute(region_argument())
            .attribute(arn_attribute("scope"))
            .attribute(owner_attribute("scope (its IPAM's owner)"))
            .attribute(
                Attribute::computed("ipam_arn", Type::String)
                    .use_state_for_unknown()
                    .description("The ARN of the IPAM the scope belongs to."),
            )
            .attribute(
                Attribute::computed("ipam_scope_type", Type::String)
                    .use_state_for_unknown()
                    .description("Always `private` for scopes created here."),
            )
            .attribute(
                Attribute::computed("is_default", Type::Bool)
                    .use_state_for_unknown()
                    .description("Always false for scopes created here."),
            )
            .attribute(
                Attribute::computed("pool_count", Type::Number)
                    .use_state_for_unknown()
                    .description("How many pools the scope holds."),
            )
    }

    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        if !plan.is_create() {
            return;
        }
        if let Some(id) = string(&plan.planned, "ipam_id") {
            if let Ok(None) = call.store.get_ipam(&id) {
                Failure::at(
                    "ipam_id",
                    "Unknown IPAM",
                    format!("No IPAM with id {id:?} exists in this database; check the id, or create the IPAM first."),
                )
                .report(&mut plan.diagnostics);
            }
        }
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let ipam_id = string(planned, "ipam_id").unwrap_or_default();
        let s = call
            .store
            .create_scope(
                &call.actor,
                &ipam_id,
                string(planned, "description"),
                tags(planned, "tags"),
            )
            .doing("Cannot create the scope", &IPAM)?;
        owned(call, s)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_scope(id)
            .doing("Cannot read the scope", &WHOLE)?
            .map(|s| owned(call, s))
            .transpose()
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        let s = call
            .store
            .update_scope(
                &call.actor,
                id,
                string(planned, "description"),
                tags(planned, "tags"),
            )
            .doing("Cannot update the scope", &WHOLE)?;
        owned(call, s)
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_scope(&call.actor, id)
            .doing("Cannot delete the scope", &WHOLE)
    }

    fn state(&self, r: &Record) -> Value {
        let s = &r.scope;
        Value::object([
            ("arn", arn("ipam-scope", &r.owner_id, &s.id)),
            ("ipam_arn", arn("ipam", &r.owner_id, &s.ipam_id)),
            ("owner_id", Value::string(&r.owner_id)),
            ("tags_all", tags_value(&s.tags)),
            ("id", Value::string(&s.id)),
            ("ipam_id", Value::string(&s.ipam_id)),
            ("description", opt_string(&s.description)),
            ("tags", tags_value(&s.tags)),
            ("ipam_scope_type", Value::string(s.scope_type.as_str())),
            ("is_default", Value::Bool(s.is_default)),
            ("pool_count", Value::number(s.pool_count)),
        ])
    }
}
