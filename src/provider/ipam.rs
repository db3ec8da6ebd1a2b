//! `ipam`: the top of the hierarchy, with its default private and public scopes.
//!
//! `operating_regions` are blocks, as in the AWS provider (schema version 1); version 0 kept
//! them as a set of strings, and [`Crud::upgrade`] rewrites such states.

use super::attrs::{description, opt_string, string, tag_map, tags, tags_value};
use super::aws::{
    arn, arn_attribute, block_regions, check_region, no_local_effect, operating_regions_block,
    owner_attribute, region_argument, regions_value, tags_all_attribute,
};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::Ipam as Stored;
use tfplug::{Attribute, Check, Plan, Schema, Type, Value};

pub struct Ipam;

/// An IPAM with what AWS reports beside it: how many resource discoveries are associated.
pub struct Record {
    pub ipam: crate::store::Ipam,
    pub associations: i64,
}

/// `ipam` with its association count, read from the store.
pub fn counted(store: &crate::store::Store, ipam: crate::store::Ipam) -> Result<Record, Failure> {
    let associations = store
        .count_discovery_associations(&ipam.id)
        .doing("Cannot read the IPAM", &WHOLE)?;
    Ok(Record { ipam, associations })
}

/// Why an IPAM here has no default resource discovery (AWS creates one with every IPAM).
pub const NO_DEFAULT_DISCOVERY: &str = "Always null: this provider creates no default resource discovery with an IPAM, because a discovery here finds networks only in the `source` files it is given. Create an `ipam_resource_discovery` and associate it (`ipam_resource_discovery_association`); `resource_discovery_association_count` counts the associations.";

/// The only update the store refuses: a region still used as a pool's locale.
const REGIONS: Blame = Blame {
    refused: "operating_regions",
    ..WHOLE
};

/// A destroy refused while pools remain: `cascade` lets it through.
const CASCADE: Blame = Blame {
    refused: "cascade",
    ..WHOLE
};

impl Crud for Ipam {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam";
    const GUARD: Guard = Guard::IpamAdmin;
    const KEPT_ON_UPDATE: &'static [&'static str] =
        &["scope_count", "resource_discovery_association_count"];

    fn schema(&self) -> Schema {
        Schema::new()
            .version(1)
            .description("An IPAM: the top of an IP address plan, with a default private and a default public scope.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The IPAM id, `ipam-` and 17 hex digits."))
            .attribute(arn_attribute("IPAM"))
            .attribute(owner_attribute("IPAM"))
            .attribute(description("IPAM"))
            .block(operating_regions_block("A region pools of this IPAM may have as `locale`, one block each, as in the AWS provider. None given: the provider's region. (Before schema version 1 this was a list, `operating_regions = [\"us-east-1\"]`; Terraform now refuses that form and points at the block; states written by the list form are upgraded.)"))
            .attribute(tag_map("tags", "Tags of the IPAM."))
            .attribute(tags_all_attribute())
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).config_only().description("On destroy, also delete every scope, pool, pool CIDR and allocation under the IPAM."))
            .attribute(no_local_effect("tier", Type::String, Some(Value::string("advanced")), "this provider has one tier with every feature (AWS's `advanced`).").check(Check::OneOf { allowed: &["free", "advanced"], what: "an IPAM tier" }))
            .attribute(no_local_effect("enable_private_gua", Type::Bool, Some(Value::Bool(false)), "any IPv6 CIDR may be provisioned to a private-scope pool here; there is no separate switch for global unicast addresses."))
            .attribute(no_local_effect("metered_account", Type::String, None, "no one is billed for addresses here.").check(Check::OneOf { allowed: &["ipam-owner", "resource-owner"], what: "a metered account" }))
            .attribute(region_argument())
            .attribute(Attribute::computed("private_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default private scope."))
            .attribute(Attribute::computed("public_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default public scope."))
            .attribute(Attribute::computed("scope_count", Type::Number).use_state_for_unknown().description("How many scopes the IPAM has."))
            .attribute(Attribute::computed("resource_discovery_association_count", Type::Number).use_state_for_unknown().description("How many resource discoveries are associated with the IPAM (`ipam_resource_discovery_association`)."))
            .attribute(Attribute::computed("default_resource_discovery_id", Type::String).use_state_for_unknown().description(NO_DEFAULT_DISCOVERY))
            .attribute(Attribute::computed("default_resource_discovery_association_id", Type::String).use_state_for_unknown().description(NO_DEFAULT_DISCOVERY))
    }

    /// Remembers the regions of a new IPAM for the pools planned beside it.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        if !plan.is_create() {
            return;
        }
        let regions = match plan.config.get("operating_regions") {
            Some(v) if !v.is_wholly_known() => None,
            _ => {
                let r = block_regions(plan.config);
                Some(if r.is_empty() {
                    vec![call.actor.region.clone()]
                } else {
                    r
                })
            }
        };
        call.pending.add_ipam(regions);
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let given = block_regions(planned);
        let i = call
            .store
            .create_ipam(
                &call.actor,
                string(planned, "description"),
                given.clone(),
                tags(planned, "tags"),
            )
            .doing("Cannot create the IPAM", &WHOLE)?;
        counted(&call.store, as_written(call, i, &given))
    }

    fn read(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<Option<Record>, Failure> {
        let i = call
            .store
            .get_ipam(id)
            .doing("Cannot read the IPAM", &WHOLE)?;
        // Null (an import) shows the regions; an empty set means they were left out.
        let left_out =
            matches!(prior.get("operating_regions"), Some(Value::Set(s)) if s.is_empty());
        i.map(|i| {
            let i = if left_out {
                as_written(call, i, &[])
            } else {
                i
            };
            counted(&call.store, i)
        })
        .transpose()
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        let given = block_regions(planned);
        let i = call
            .store
            .update_ipam(
                &call.actor,
                id,
                string(planned, "description"),
                given.clone(),
                tags(planned, "tags"),
            )
            .doing("Cannot update the IPAM", &REGIONS)?;
        counted(&call.store, as_written(call, i, &given))
    }

    fn delete(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<(), Failure> {
        let cascade = prior
            .get("cascade")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        call.store
            .delete_ipam(&call.actor, id, cascade)
            .doing("Cannot delete the IPAM", &CASCADE)
    }

    /// An import starts with `operating_regions` null, so the first read shows the IPAM's
    /// regions (an empty set would mean "left out").
    fn import(&self, id: &str) -> Result<Value, Failure> {
        Ok(Value::object([
            ("id", Value::string(id)),
            ("operating_regions", Value::Null),
        ]))
    }

    /// Version 0 held `operating_regions` as a set of region names; version 1 as blocks.
    fn upgrade(
        &self,
        version: i64,
        mut state: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        if version == 0 {
            let regions = match state.get("operating_regions") {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::Array(a)) => a.clone(),
                Some(other) => {
                    return Err(format!(
                        "operating_regions is {other}, not a list of region names"
                    ))
                }
            };
            let blocks: Vec<serde_json::Value> = regions
                .into_iter()
                .map(|r| serde_json::json!({ "region_name": r }))
                .collect();
            state["operating_regions"] = serde_json::Value::Array(blocks);
        }
        Ok(state)
    }

    fn state(&self, r: &Record) -> Value {
        ipam_values(r)
    }
}

/// An IPAM's attributes as Terraform values (shared with the `ipam` data sources).
pub fn ipam_values(r: &Record) -> Value {
    let i = &r.ipam;
    Value::object([
        ("default_resource_discovery_id", Value::Null),
        ("default_resource_discovery_association_id", Value::Null),
        (
            "resource_discovery_association_count",
            Value::number(r.associations),
        ),
        ("id", Value::string(&i.id)),
        ("arn", arn("ipam", &i.owner_id, &i.id)),
        ("owner_id", Value::string(&i.owner_id)),
        ("description", opt_string(&i.description)),
        ("operating_regions", regions_value(&i.operating_regions)),
        ("tags", tags_value(&i.tags)),
        ("tags_all", tags_value(&i.tags)),
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

/// Blocks are never computed: when the configuration gives no `operating_regions`, the IPAM
/// operates in the provider's region and state keeps the blocks left out. Regions changed
/// outside this configuration still show (and plan back).
fn as_written(call: &Call<'_>, mut i: Stored, given: &[String]) -> Stored {
    if given.is_empty() && i.operating_regions == [call.actor.region.clone()] {
        i.operating_regions.clear();
    }
    i
}
