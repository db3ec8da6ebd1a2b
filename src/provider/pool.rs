//! `ipam_pool`: a pool of addresses with guardrails, top-level or carved from a parent pool.

use super::attrs::{
    boolean, description, integer, opt_number, opt_string, string, tag_map, tags, tags_value,
    NETMASK, REGION,
};
use super::crud::{Call, Crud};
use super::errors::{engine, from_store, Blame, Doing, Failure, WHOLE};
use crate::engine::{AddressFamily, Error as EngineError, PoolRules};
use crate::store::{Pool as Record, PoolSpec, PoolUpdate};
use std::collections::BTreeMap;
use tfplug::{Attribute, Check, Diagnostics, Plan, Schema, Type, Value};

pub struct Pool;

/// A pool's refusals: its rules, its parent, its allocation tags.
const POOL: Blame = Blame {
    netmask: "allocation_default_netmask_length",
    pool: "source_ipam_pool_id",
    tags: "allocation_resource_tags",
    ..WHOLE
};

/// A destroy refused while the pool holds space: `cascade` lets it through.
const CASCADE: Blame = Blame {
    refused: "cascade",
    ..WHOLE
};

/// The attributes a pool has as a resource and as a data source.
pub fn pool_attributes(s: Schema, computed: bool) -> Schema {
    let arg = |a: Attribute, force: bool| {
        if computed {
            Attribute::computed(&a.name, a.ty.clone()).description(&a.description)
        } else if force {
            a.requires_replace()
        } else {
            a
        }
    };
    let netmask = |name: &str, desc: &str| {
        Attribute::optional(name, Type::Number)
            .check(NETMASK)
            .description(desc)
    };
    s.attribute(arg(Attribute::optional("source_ipam_pool_id", Type::String).description("The parent pool; same scope, same address family."), true))
        .attribute(arg(Attribute::optional("locale", Type::String).check(REGION).description("One of the IPAM's operating regions; a child's locale must equal its parent's when the parent has one."), true))
        .attribute(arg(description("pool"), false))
        .attribute(arg(netmask("allocation_min_netmask_length", "The smallest prefix length (largest block) an allocation may have."), false))
        .attribute(arg(netmask("allocation_max_netmask_length", "The largest prefix length (smallest block) an allocation may have."), false))
        .attribute(arg(netmask("allocation_default_netmask_length", "The prefix length of an allocation that names neither `cidr` nor `netmask_length`."), false))
        .attribute(arg(tag_map("allocation_resource_tags", "Tags every allocation from the pool must carry."), false))
        .attribute(arg(Attribute::optional("publicly_advertisable", Type::Bool).description("Whether the pool's IPv6 space is advertised (public-scope IPv6 pools only)."), false))
        .attribute(arg(Attribute::optional("aws_service", Type::String).check(Check::OneOf { allowed: &["ec2"], what: "a supported service" }).description("`ec2`, for public-scope IPv6 pools."), true))
        .attribute(arg(tag_map("tags", "Tags of the pool."), false))
        .attribute(Attribute::computed("ipam_id", Type::String).use_state_for_unknown().description("The IPAM the pool belongs to."))
        .attribute(Attribute::computed("ipam_scope_type", Type::String).use_state_for_unknown().description("`private` or `public`."))
        .attribute(Attribute::computed("pool_depth", Type::Number).use_state_for_unknown().description("1 for a top-level pool, 2 for its children, and so on."))
        .attribute(Attribute::computed("state", Type::String).use_state_for_unknown().description("`create-complete` once the pool exists."))
}

impl Crud for Pool {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_pool";

    fn schema(&self) -> Schema {
        let s = Schema::new()
            .description("A pool of IP addresses with guardrails on what it hands out.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The pool id, `ipam-pool-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_scope_id", Type::String).requires_replace().description("The scope the pool belongs to."))
            .attribute(Attribute::required("address_family", Type::String).requires_replace().check(Check::OneOf { allowed: &["ipv4", "ipv6"], what: "an address family" }).description("`ipv4` or `ipv6`."))
            .attribute(Attribute::optional("auto_import", Type::Bool).default(Value::Bool(false)).description("When a CIDR is provisioned to this pool, allocations its parent already holds inside that CIDR move into this pool as `imported` allocations (same ids) instead of blocking it."))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).config_only().description("On destroy, also deprovision the pool's CIDRs and release its allocations and child pools."));
        pool_attributes(s, false)
    }

    /// The netmask rules together: min <= default <= max within the family's bounds.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (min, max, default) = netmasks(config);
        let fam = family(config).unwrap_or(AddressFamily::Ipv6);
        if let Err(e) = PoolRules::new(fam, min, max, default, BTreeMap::new()) {
            let mut f = engine(e.clone(), "Invalid netmask rules", &POOL);
            if let EngineError::NetmaskOutOfRange { len, .. } = e {
                f.path = Some(if min == Some(len) {
                    "allocation_min_netmask_length"
                } else if max == Some(len) {
                    "allocation_max_netmask_length"
                } else {
                    "allocation_default_netmask_length"
                });
            }
            f.report(diags);
        }
    }

    /// Parent, scope, family and locale against the database, when every value is known.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        if !plan.is_create() {
            return;
        }
        if !plan.config.is_wholly_known() {
            return check_locale_of_new_ipam(call, plan);
        }
        let spec = spec(plan.config);
        if let Err(e) = call.store.check_pool_spec(&spec) {
            let scope_missing = matches!(
                e,
                crate::store::Error::NotFound {
                    kind: "IPAM scope",
                    ..
                }
            );
            let blame = Blame {
                pool: if scope_missing {
                    "ipam_scope_id"
                } else {
                    "source_ipam_pool_id"
                },
                ..POOL
            };
            from_store(e, "Invalid pool", &blame).report(&mut plan.diagnostics);
        }
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        call.store
            .create_pool(&call.actor, spec(planned))
            .doing("Cannot create the pool", &POOL)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_pool(id)
            .doing("Cannot read the pool", &WHOLE)
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        let s = spec(planned);
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
        call.store
            .update_pool(&call.actor, id, u)
            .doing("Cannot update the pool", &POOL)
    }

    fn delete(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<(), Failure> {
        let cascade = boolean(prior, "cascade").unwrap_or(false);
        call.store
            .delete_pool(&call.actor, id, cascade)
            .doing("Cannot delete the pool", &CASCADE)
    }

    fn state(&self, p: &Record) -> Value {
        Value::object(pool_values(p))
    }
}

/// A pool whose scope is created in the same plan: its locale must be a region of an IPAM
/// planned beside it or of one the database holds (which IPAM is not known until apply).
fn check_locale_of_new_ipam(call: &Call<'_>, plan: &mut Plan<'_>) {
    let (Some(locale), Some(Value::Unknown)) = (
        string(plan.config, "locale"),
        plan.config.get("ipam_scope_id"),
    ) else {
        return;
    };
    let Some(mut regions) = call.pending.new_ipam_regions() else {
        return;
    };
    if regions.is_empty() {
        return;
    }
    let Ok(existing) = call.store.all_operating_regions() else {
        return;
    };
    if regions.contains(&locale) || existing.contains(&locale) {
        return;
    }
    regions.sort();
    regions.dedup();
    Failure::at(
        "locale",
        "Invalid pool",
        format!("locale {locale:?} is not an operating region of the IPAM planned with this pool ({}): use one of them, or add {locale:?} to the IPAM's operating_regions.", regions.join(", ")),
    )
    .report(&mut plan.diagnostics);
}

/// A pool's attributes as Terraform values (shared with the `ipam_pool` data source).
pub fn pool_values(p: &Record) -> Vec<(&'static str, Value)> {
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
            tags_value(&p.rules.required_tags),
        ),
        ("auto_import", Value::Bool(p.auto_import)),
        (
            "publicly_advertisable",
            p.publicly_advertisable
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
        ("aws_service", opt_string(&p.aws_service)),
        ("tags", tags_value(&p.tags)),
        ("ipam_id", Value::string(&p.ipam_id)),
        ("ipam_scope_type", Value::string(p.scope_type.as_str())),
        ("pool_depth", Value::number(p.depth)),
        ("state", Value::string(p.state())),
    ]
}

/// The three netmask rules; tfplug has already refused values that are not whole numbers.
fn netmasks(v: &Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    let get = |name| integer(v, name).ok().flatten();
    (
        get("allocation_min_netmask_length"),
        get("allocation_max_netmask_length"),
        get("allocation_default_netmask_length"),
    )
}

fn family(v: &Value) -> Option<AddressFamily> {
    string(v, "address_family").and_then(|f| AddressFamily::parse(&f))
}

fn spec(v: &Value) -> PoolSpec {
    let (min, max, default) = netmasks(v);
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
