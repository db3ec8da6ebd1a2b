//! `ipam`: the top of the hierarchy, with its default private and public scopes.

use super::attrs::{boolean, opt_string, string, strings, tags, tags_value};
use super::errors::{deleted, found, report_plain};
use super::Shared;
use crate::store::Ipam;
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, Resource, Schema, Type, Value};

pub struct IpamResource(pub Arc<Shared>);

fn state(i: &Ipam, like: &Value) -> Value {
    Value::object([
        ("id", Value::string(&i.id)),
        ("description", opt_string(&i.description)),
        (
            "operating_regions",
            Value::set(i.operating_regions.iter().map(Value::string)),
        ),
        ("tags", tags_value(&i.tags, like.get("tags"))),
        (
            "cascade",
            Value::Bool(boolean(like, "cascade").unwrap_or(false)),
        ),
        (
            "private_default_scope_id",
            Value::string(&i.private_default_scope_id),
        ),
        (
            "public_default_scope_id",
            Value::string(&i.public_default_scope_id),
        ),
        ("scope_count", Value::number(i.scope_count)),
    ])
}

impl Resource for IpamResource {
    fn type_name(&self) -> &'static str {
        "ipam"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("An IPAM: the top of an IP address plan, with a default private and a default public scope.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The IPAM id, `ipam-` and 17 hex digits."))
            .attribute(Attribute::optional("description", Type::String).description("A description of the IPAM."))
            .attribute(Attribute::optional_computed("operating_regions", Type::set(Type::String)).use_state_for_unknown().description("Regions pools of this IPAM may have as locale. Default: the provider's region."))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).description("Tags of the IPAM."))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).description("On destroy, also delete every scope, pool, pool CIDR and allocation under the IPAM."))
            .attribute(Attribute::computed("private_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default private scope."))
            .attribute(Attribute::computed("public_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default public scope."))
            .attribute(Attribute::computed("scope_count", Type::Number).description("How many scopes the IPAM has."))
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        match ctx.store.create_ipam(
            &ctx.actor,
            string(planned, "description"),
            strings(planned, "operating_regions"),
            tags(planned, "tags"),
        ) {
            Ok(i) => Some(state(&i, planned)),
            Err(e) => {
                report_plain(diags, "Cannot create the IPAM", e);
                None
            }
        }
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(prior, "id")?;
        let i = found(ctx.store.get_ipam(&id), diags, "Cannot read the IPAM")?;
        Some(state(&i, prior))
    }

    fn update(&self, _prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(planned, "id")?;
        match ctx.store.update_ipam(
            &ctx.actor,
            &id,
            string(planned, "description"),
            strings(planned, "operating_regions"),
            tags(planned, "tags"),
        ) {
            Ok(i) => Some(state(&i, planned)),
            Err(e) => {
                diags.error_at("operating_regions", "Cannot update the IPAM", e.to_string());
                None
            }
        }
    }

    fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(ctx) = self.0.ctx(diags) else { return };
        let Some(id) = string(prior, "id") else {
            return;
        };
        let cascade = boolean(prior, "cascade").unwrap_or(false);
        let r = ctx.store.delete_ipam(&ctx.actor, &id, cascade);
        deleted(r, diags, "cascade", "Cannot delete the IPAM");
    }
}
