//! `ipam_pool`: a pool of addresses with guardrails, top-level or carved from a parent pool.

use super::attrs::{boolean, integer, opt_number, opt_string, string, tags, tags_value};
use super::errors::{deleted, found, report, Paths};
use super::Shared;
use crate::engine::{AddressFamily, PoolRules};
use crate::store::{Pool, PoolSpec, PoolUpdate};
use std::collections::BTreeMap;
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, Plan, Resource, Schema, Type, Value};

pub struct PoolResource(pub Arc<Shared>);

const PATHS: Paths = Paths {
    cidr: "",
    netmask: "allocation_default_netmask_length",
    pool: "source_ipam_pool_id",
    tags: "allocation_resource_tags",
};

/// The attributes a pool has as a resource and as a data source.
pub fn pool_attributes(s: Schema, computed: bool) -> Schema {
    let arg = |name: &str, ty: Type, desc: &str, force: bool| {
        let a = if computed {
            Attribute::computed(name, ty)
        } else {
            Attribute::optional(name, ty)
        };
        let a = a.description(desc);
        if force && !computed {
            a.requires_replace()
        } else {
            a
        }
    };
    s.attribute(arg("source_ipam_pool_id", Type::String, "The parent pool; same scope, same address family.", true))
        .attribute(arg("locale", Type::String, "One of the IPAM's operating regions; a child's locale must equal its parent's when the parent has one.", true))
        .attribute(arg("description", Type::String, "A description of the pool.", false))
        .attribute(arg("allocation_min_netmask_length", Type::Number, "The smallest prefix length (largest block) an allocation may have.", false))
        .attribute(arg("allocation_max_netmask_length", Type::Number, "The largest prefix length (smallest block) an allocation may have.", false))
        .attribute(arg("allocation_default_netmask_length", Type::Number, "The prefix length of an allocation that names neither `cidr` nor `netmask_length`.", false))
        .attribute(arg("allocation_resource_tags", Type::map(Type::String), "Tags every allocation from the pool must carry.", false))
        .attribute(arg("publicly_advertisable", Type::Bool, "Whether the pool's IPv6 space is advertised (public-scope IPv6 pools only).", false))
        .attribute(arg("aws_service", Type::String, "`ec2`, for public-scope IPv6 pools.", true))
        .attribute(arg("tags", Type::map(Type::String), "Tags of the pool.", false))
        .attribute(Attribute::computed("ipam_id", Type::String).use_state_for_unknown().description("The IPAM the pool belongs to."))
        .attribute(Attribute::computed("ipam_scope_type", Type::String).use_state_for_unknown().description("`private` or `public`."))
        .attribute(Attribute::computed("pool_depth", Type::Number).use_state_for_unknown().description("1 for a top-level pool, 2 for its children, and so on."))
        .attribute(Attribute::computed("state", Type::String).use_state_for_unknown().description("`create-complete` once the pool exists."))
}

/// A pool's attributes as Terraform values (shared with the `ipam_pool` data source).
pub fn pool_values(p: &Pool, like: &Value) -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::string(&p.id)),
        ("ipam_scope_id", Value::string(&p.scope_id)),
        ("address_family", Value::string(p.family.as_str())),
        ("source_ipam_pool_id", opt_string(&p.parent_id)),
        ("locale", opt_string(&p.locale)),
        ("description", opt_string(&p.description)),
        ("allocation_min_netmask_length", opt_number(p.rules.min_len)),
        ("allocation_max_netmask_length", opt_number(p.rules.max_len)),
        (
            "allocation_default_netmask_length",
            opt_number(p.rules.default_len),
        ),
        (
            "allocation_resource_tags",
            tags_value(&p.rules.required_tags, like.get("allocation_resource_tags")),
        ),
        ("auto_import", Value::Bool(p.auto_import)),
        (
            "publicly_advertisable",
            p.publicly_advertisable
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("aws_service", opt_string(&p.aws_service)),
        ("tags", tags_value(&p.tags, like.get("tags"))),
        ("ipam_id", Value::string(&p.ipam_id)),
        ("ipam_scope_type", Value::string(p.scope_type.as_str())),
        ("pool_depth", Value::number(p.depth)),
        ("state", Value::string(p.state())),
    ]
}

fn state(p: &Pool, like: &Value) -> Value {
    let mut v = pool_values(p, like);
    v.push((
        "cascade",
        Value::Bool(boolean(like, "cascade").unwrap_or(false)),
    ));
    Value::object(v)
}

fn netmasks(v: &Value, diags: &mut Diagnostics) -> (Option<i64>, Option<i64>, Option<i64>) {
    let mut get = |name: &'static str| match integer(v, name) {
        Ok(n) => n,
        Err(text) => {
            diags.error_at(
                name,
                "Invalid netmask length",
                format!("{text} is not a whole number."),
            );
            None
        }
    };
    (
        get("allocation_min_netmask_length"),
        get("allocation_max_netmask_length"),
        get("allocation_default_netmask_length"),
    )
}

fn family(v: &Value) -> Option<AddressFamily> {
    string(v, "address_family").and_then(|f| AddressFamily::parse(&f))
}

fn spec(v: &Value, diags: &mut Diagnostics) -> PoolSpec {
    let (min, max, default) = netmasks(v, diags);
    PoolSpec {
        scope_id: string(v, "ipam_scope_id").unwrap_or_default(),
        family: family(v),
        parent_id: string(v, "source_ipam_pool_id"),
        locale: string(v, "locale"),
        description: string(v, "description"),
        min_len: min,
        max_len: max,
        default_len: default,
        allocation_tags: tags(v, "allocation_resource_tags"),
        auto_import: boolean(v, "auto_import").unwrap_or(false),
        publicly_advertisable: boolean(v, "publicly_advertisable"),
        aws_service: string(v, "aws_service"),
        tags: tags(v, "tags"),
    }
}

impl Resource for PoolResource {
    fn type_name(&self) -> &'static str {
        "ipam_pool"
    }

    fn schema(&self) -> Schema {
        let s = Schema::new()
            .description("A pool of IP addresses with guardrails on what it hands out.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The pool id, `ipam-pool-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_scope_id", Type::String).requires_replace().description("The scope the pool belongs to."))
            .attribute(Attribute::required("address_family", Type::String).requires_replace().description("`ipv4` or `ipv6`."))
            .attribute(Attribute::optional("auto_import", Type::Bool).default(Value::Bool(false)).description("When a CIDR is provisioned to this pool, allocations its parent already holds inside that CIDR move into this pool as `imported` allocations (same ids) instead of blocking it."))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).description("On destroy, also deprovision the pool's CIDRs and release its allocations and child pools."));
        pool_attributes(s, false)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(f) = string(config, "address_family") {
            if AddressFamily::parse(&f).is_none() {
                diags.error_at(
                    "address_family",
                    "Invalid address_family",
                    format!("{f:?} is not an address family: use \"ipv4\" or \"ipv6\"."),
                );
                return;
            }
        }
        if let Some(s) = string(config, "aws_service") {
            if s != "ec2" {
                diags.error_at(
                    "aws_service",
                    "Invalid aws_service",
                    format!("{s:?} is not supported: the only service is \"ec2\"."),
                );
            }
        }
        let (min, max, default) = netmasks(config, diags);
        let fam = family(config).unwrap_or(AddressFamily::Ipv6);
        if let Err(e) = PoolRules::new(fam, min, max, default, BTreeMap::new()) {
            let path = match &e {
                crate::engine::Error::NetmaskOutOfRange { len, .. } => {
                    if min == Some(*len) {
                        "allocation_min_netmask_length"
                    } else if max == Some(*len) {
                        "allocation_max_netmask_length"
                    } else {
                        "allocation_default_netmask_length"
                    }
                }
                crate::engine::Error::MinAboveMax { .. } => "allocation_min_netmask_length",
                _ => "allocation_default_netmask_length",
            };
            diags.error_at(path, "Invalid netmask rules", e.to_string());
        }
    }

    fn modify_plan(&self, plan: &mut Plan<'_>) {
        let Some(ctx) = self.0.try_ctx() else { return };
        if plan.is_create() && plan.config.is_wholly_known() {
            let mut diags = Diagnostics::new();
            let spec = spec(plan.config, &mut diags);
            if !diags.has_errors() {
                if let Err(e) = ctx.store.check_pool_spec(&spec) {
                    let paths = Paths {
                        pool: if matches!(
                            e,
                            crate::store::Error::NotFound {
                                kind: "IPAM scope",
                                ..
                            }
                        ) {
                            "ipam_scope_id"
                        } else {
                            "source_ipam_pool_id"
                        },
                        ..PATHS
                    };
                    report(&mut plan.diagnostics, "Invalid pool", e, &paths);
                }
            }
        }
    }

    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let spec = spec(planned, diags);
        match ctx.store.create_pool(&ctx.actor, spec) {
            Ok(p) => Some(state(&p, planned)),
            Err(e) => {
                report(diags, "Cannot create the pool", e, &PATHS);
                None
            }
        }
    }

    fn read(&self, prior: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(prior, "id")?;
        let p = found(ctx.store.get_pool(&id), diags, "Cannot read the pool")?;
        Some(state(&p, prior))
    }

    fn update(&self, _prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = self.0.ctx(diags)?;
        let id = string(planned, "id")?;
        let s = spec(planned, diags);
        let u = PoolUpdate {
            description: s.description,
            min_len: s.min_len,
            max_len: s.max_len,
            default_len: s.default_len,
            allocation_tags: s.allocation_tags,
            auto_import: s.auto_import,
            publicly_advertisable: s.publicly_advertisable,
            tags: s.tags,
        };
        match ctx.store.update_pool(&ctx.actor, &id, u) {
            Ok(p) => Some(state(&p, planned)),
            Err(e) => {
                report(diags, "Cannot update the pool", e, &PATHS);
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
        let r = ctx.store.delete_pool(&ctx.actor, &id, cascade);
        deleted(r, diags, "cascade", "Cannot delete the pool");
    }
}
