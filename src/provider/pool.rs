//! `ipam_pool`: a pool of addresses with guardrails, top-level or carved from a parent pool.

use super::attrs::{
    boolean, description, integer, opt_number, opt_string, string, tag_map, tags, tags_value,
    NETMASK, REGION,
};
use super::aws::{
    arn, arn_attribute, check_region, no_local_effect, owner_attribute, region_argument,
    tags_all_attribute,
};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{engine, from_store, Blame, Doing, Failure, WHOLE};
use super::wait;
use crate::engine::{AddressFamily, Error as EngineError, PoolRules};
use crate::store::{Error as StoreError, Pool as StoredPool, PoolSpec, PoolUpdate, SourceResource};
use std::collections::BTreeMap;
use tfplug::{Attribute, AttributePath, Block, Check, Diagnostics, Plan, Schema, Type, Value};

/// A pool with the resource it draws from, when it is a resource planning pool.
pub struct Record {
    pool: StoredPool,
    source: Option<SourceResource>,
}

pub(super) fn with_source(call: &Call<'_>, pool: StoredPool) -> Result<Record, Failure> {
    let source = call
        .store
        .pool_source(&pool.id)
        .doing("Cannot read the pool", &WHOLE)?;
    Ok(Record { pool, source })
}

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
        .attribute(arn_attribute("pool"))
        .attribute(owner_attribute("pool"))
        .attribute(Attribute::computed("ipam_id", Type::String).use_state_for_unknown().description("The IPAM the pool belongs to."))
        .attribute(Attribute::computed("ipam_scope_type", Type::String).use_state_for_unknown().description("`private` or `public`."))
        .attribute(Attribute::computed("pool_depth", Type::Number).use_state_for_unknown().description("1 for a top-level pool, 2 for its children, and so on."))
        .attribute(Attribute::computed("state", Type::String).use_state_for_unknown().description("`create-complete` once the pool exists."))
}

impl Crud for Pool {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_pool";
    const GUARD: Guard = Guard::IpamAdmin;

    fn schema(&self) -> Schema {
        let s = Schema::new()
            .description("A pool of IP addresses with guardrails on what it hands out. Destroying it (without `cascade`) waits, holding no lock, for its child pools, CIDRs and allocations to go up to `timeouts.delete` (default 5m), then fails naming them; plan-time reservations never hold it.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The pool id, `ipam-pool-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_scope_id", Type::String).requires_replace().description("The scope the pool belongs to."))
            .attribute(Attribute::required("address_family", Type::String).requires_replace().check(Check::OneOf { allowed: &["ipv4", "ipv6"], what: "an address family" }).description("`ipv4` or `ipv6`."))
            .attribute(Attribute::optional("auto_import", Type::Bool).default(Value::Bool(false)).description("When a CIDR is provisioned to this pool, allocations its parent already holds inside that CIDR move into this pool as `imported` allocations (same ids) instead of blocking it."))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).config_only().description("On destroy, also deprovision the pool's CIDRs and release its allocations and child pools."))
            .attribute(tags_all_attribute())
            .attribute(region_argument())
            .attribute(no_local_effect("public_ip_source", Type::String, Some(Value::string("byoip")), "a public-scope pool here takes either an explicit `cidr` (as with `byoip`) or a `netmask_length` from the provider's `provided_ipv6_cidr` (as with `amazon`), whichever `ipam_pool_cidr` names.").check(Check::OneOf { allowed: &["byoip", "amazon"], what: "a public IP source" }))
            .block(Block::list("source_resource", Schema::new()
                .description("Makes this a resource planning pool: its space is the CIDR of a VPC allocated from `source_ipam_pool_id` (an `ipam_vpc_allocation`), and its allocations (`ipam_pool_cidr_allocation`) plan that VPC's subnets. Changing it replaces the pool.")
                .attribute(Attribute::required("resource_id", Type::String).description("The VPC: the `vpc_id` of an `ipam_vpc_allocation`."))
                .attribute(Attribute::required("resource_type", Type::String).check(Check::OneOf { allowed: &["vpc"], what: "a resource type that can source a pool" }).description("`vpc`."))
                .attribute(Attribute::required("resource_owner", Type::String).description("The account that owns the VPC (its allocation's `owner_id`)."))
                .attribute(Attribute::required("resource_region", Type::String).check(REGION).description("The VPC's region (its allocation's `region`).")))
                .max_items(1))
            .block(super::wait::timeouts_block("the pool's child pools, CIDRs and allocations", &["create", "update"]));
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
        check_region(call, plan);
        if !plan.is_create() {
            // A block cannot be marked "forces replacement" in the schema: the pool draws its
            // space from its source once, at create.
            if plan.config.get("source_resource") != plan.prior.get("source_resource") {
                plan.requires_replace
                    .push(AttributePath::attr("source_resource"));
            }
            return;
        }
        if !plan.config.is_wholly_known() {
            return check_locale_of_new_ipam(call, plan);
        }
        let spec = spec(plan.config);
        if let Some(src) = source(plan.config) {
            if let Err(e) = call.store.check_source_resource(&spec, &src) {
                from_store(e, "Invalid source_resource", &POOL).report(&mut plan.diagnostics);
            }
        }
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
        let pool = match source(planned) {
            Some(src) => call
                .store
                .create_planning_pool(&call.actor, spec(planned), &src),
            None => call.store.create_pool(&call.actor, spec(planned)),
        }
        .doing("Cannot create the pool", &POOL)?;
        with_source(call, pool)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_pool(id)
            .doing("Cannot read the pool", &WHOLE)?
            .map(|p| with_source(call, p))
            .transpose()
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
        let pool = call
            .store
            .update_pool(&call.actor, id, u)
            .doing("Cannot update the pool", &POOL)?;
        with_source(call, pool)
    }

    fn delete(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<(), Failure> {
        let cascade = boolean(prior, "cascade").unwrap_or(false);
        let planning = prior
            .get("source_resource")
            .and_then(Value::as_list)
            .is_some_and(|l| !l.is_empty());
        if planning {
            return call
                .store
                .delete_planning_pool(&call.actor, id, cascade)
                .doing("Cannot delete the pool", &CASCADE);
        }
        // Child pools, CIDRs and allocations may be on their way out in this same destroy:
        // wait for them, holding nothing.
        let (result, waited) = wait::until_free(
            wait::delete_timeout(prior),
            || call.store.delete_pool(&call.actor, id, cascade),
            |e| matches!(e, StoreError::PoolInUse { .. }),
        );
        result.map_err(|e| {
            let mut f = from_store(e, "Cannot delete the pool", &CASCADE);
            if let Some(w) = waited {
                f.detail.push_str(&wait::waited(w));
            }
            f
        })
    }

    fn state(&self, r: &Record) -> Value {
        let mut v = pool_values(&r.pool);
        v.push(("tags_all", tags_value(&r.pool.tags)));
        let source = r.source.iter().map(|s| {
            Value::object([
                ("resource_id", Value::string(&s.resource_id)),
                ("resource_type", Value::string(&s.resource_type)),
                ("resource_owner", Value::string(&s.resource_owner)),
                ("resource_region", Value::string(&s.resource_region)),
            ])
        });
        v.push(("source_resource", Value::list(source)));
        Value::object(v)
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
pub fn pool_values(p: &StoredPool) -> Vec<(&'static str, Value)> {
    vec![
        ("id", Value::string(&p.id)),
        ("arn", arn("ipam-pool", &p.owner_id, &p.id)),
        ("owner_id", Value::string(&p.owner_id)),
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

/// The `source_resource` block, when given.
fn source(v: &Value) -> Option<SourceResource> {
    let b = v.get("source_resource")?.as_list()?.first()?;
    Some(SourceResource {
        resource_id: string(b, "resource_id")?,
        resource_type: string(b, "resource_type")?,
        resource_owner: string(b, "resource_owner")?,
        resource_region: string(b, "resource_region")?,
    })
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
