//! `ipam`: the top of the hierarchy, with its default private and public scopes.

use super::attrs::{description, opt_string, string, strings, tag_map, tags, tags_value, REGION};
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::Ipam as Record;
use tfplug::{Attribute, Check, Plan, Schema, Type, Value};

pub struct Ipam;

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

    fn schema(&self) -> Schema {
        Schema::new()
            .description("An IPAM: the top of an IP address plan, with a default private and a default public scope.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The IPAM id, `ipam-` and 17 hex digits."))
            .attribute(description("IPAM"))
            .attribute(Attribute::optional_computed("operating_regions", Type::set(Type::String)).use_state_for_unknown().check(REGION).check(Check::Size { min: 1, max: usize::MAX }).description("Regions pools of this IPAM may have as locale. Default: the provider's region (leave it out; an empty set is an error)."))
            .attribute(tag_map("tags", "Tags of the IPAM."))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)).config_only().description("On destroy, also delete every scope, pool, pool CIDR and allocation under the IPAM."))
            .attribute(Attribute::computed("private_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default private scope."))
            .attribute(Attribute::computed("public_default_scope_id", Type::String).use_state_for_unknown().description("The id of the default public scope."))
            .attribute(Attribute::computed("scope_count", Type::Number).description("How many scopes the IPAM has."))
    }

    /// Remembers the regions of a new IPAM for the pools planned beside it.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        if !plan.is_create() {
            return;
        }
        let regions = match plan.config.get("operating_regions") {
            None | Some(Value::Null) => Some(vec![call.actor.region.clone()]),
            Some(v) if v.is_wholly_known() => Some(strings(plan.config, "operating_regions")),
            Some(_) => None,
        };
        call.pending.add_ipam(regions);
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        call.store
            .create_ipam(
                &call.actor,
                string(planned, "description"),
                strings(planned, "operating_regions"),
                tags(planned, "tags"),
            )
            .doing("Cannot create the IPAM", &WHOLE)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_ipam(id)
            .doing("Cannot read the IPAM", &WHOLE)
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        call.store
            .update_ipam(
                &call.actor,
                id,
                string(planned, "description"),
                strings(planned, "operating_regions"),
                tags(planned, "tags"),
            )
            .doing("Cannot update the IPAM", &REGIONS)
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

    fn state(&self, i: &Record) -> Value {
        Value::object([
            ("id", Value::string(&i.id)),
            ("description", opt_string(&i.description)),
            (
                "operating_regions",
                Value::set(i.operating_regions.iter().map(Value::string)),
            ),
            ("tags", tags_value(&i.tags)),
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
}
