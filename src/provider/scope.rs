//! `ipam_scope`: a private scope of an IPAM, beside the two default ones.

use super::attrs::{opt_string, string, tags, tags_value};
use super::errors::{deleted, found, report_plain};
use super::Shared;
use crate::store::Scope;
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, Plan, Resource, Schema, Type, Value};

pub struct ScopeResource(pub Arc<Shared>);

fn state(s: &Scope, like: &Value) -> Value {
    Value::object([
        ("id", Value::string(&s.id)),
        ("ipam_id", Value::string(&s.ipam_id)),
        ("description", opt_string(&s.description)),
        ("tags", tags_value(&s.tags, like.get("tags"))),
        ("ipam_scope_type", Value::string(s.scope_type.as_str())),
        ("is_default", Value::Bool(s.is_default)),
        ("pool_count", Value::number(s.pool_count)),
    ])
}

impl Resource for ScopeResource {
    fn type_name(&self) -> &'static str {
        "ipam_scope"
    }

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
            .attribute(
                Attribute::optional("description", Type::String)
                    .description("A description of the scope."),
            )
            .attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .description("Tags of the scope."),
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
                    .description("How many pools the scope holds."),
            )
    }

    fn modify_plan(&self, plan: &mut Plan<'_>) {
        let Some(ctx) = self.0.try_ctx() else { return };
        if plan.is_create() {
            if let Some(id) = string(&plan.planned, "ipam_id") {
                if let Ok(None) = ctx.store.get_ipam(&id) {
                    plan.diagnostics.error_at(
                        "ipam_id",
                        "Unknown IPAM",
                        format!("No IPAM with id {id:?} exists in this database."),
                    );
                }
            }
        }
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let ipam_id = string(planned, "ipam_id")?;
        match ctx.store.create_scope(
            &ctx.actor,
            &ipam_id,
            string(planned, "description"),
            tags(planned, "tags"),
        ) {
            Ok(s) => Some(state(&s, planned)),
            Err(e) => {
                diags.error_at("ipam_id", "Cannot create the scope", e.to_string());
                None
            }
        }
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(prior, "id")?;
        let s = found(ctx.store.get_scope(&id), diags, "Cannot read the scope")?;
        Some(state(&s, prior))
    }

    fn update(&self, _prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(planned, "id")?;
        match ctx.store.update_scope(
            &ctx.actor,
            &id,
            string(planned, "description"),
            tags(planned, "tags"),
        ) {
            Ok(s) => Some(state(&s, planned)),
            Err(e) => {
                report_plain(diags, "Cannot update the scope", e);
                None
            }
        }
    }

    fn delete(&self, prior: &Value, diags: &mut Diagnostics) {
        let Some(ctx) = self.0.ctx(diags) else { return };
        let Some(id) = string(prior, "id") else {
            return;
        };
        deleted(
            ctx.store.delete_scope(&ctx.actor, &id),
            diags,
            "",
            "Cannot delete the scope",
        );
    }
}
