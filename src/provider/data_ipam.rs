//! `ipam` data source (AWS's `aws_vpc_ipam` data source): one IPAM by id. Its attribute set is
//! shared with `ipam_ipams`.

use super::aws::region_data_argument;
use super::context::Context;
use super::errors::{Doing, Failure, WHOLE};
use super::filter::{tag_field, Names};
use super::ipam::{counted, ipam_values, Record, NO_DEFAULT_DISCOVERY};
use super::lookup::Lookup;
use crate::store::Ipam;
use std::collections::BTreeMap;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct IpamData;

/// What a data source says of an IPAM (all computed, `id` aside).
pub fn ipam_attributes(s: Schema) -> Schema {
    let region = Type::Object(BTreeMap::from([("region_name".to_string(), Type::String)]));
    let c = |n: &str, t: Type, d: &str| Attribute::computed(n, t).description(d);
    s.attribute(c("arn", Type::String, "The IPAM's ARN."))
        .attribute(c(
            "owner_id",
            Type::String,
            "The account that owns the IPAM.",
        ))
        .attribute(c("description", Type::String, "The IPAM's description."))
        .attribute(c(
            "operating_regions",
            Type::set(region),
            "The IPAM's operating regions, each as `{ region_name }`.",
        ))
        .attribute(c("tags", Type::map(Type::String), "The IPAM's tags."))
        .attribute(c(
            "private_default_scope_id",
            Type::String,
            "The default private scope.",
        ))
        .attribute(c(
            "public_default_scope_id",
            Type::String,
            "The default public scope.",
        ))
        .attribute(c(
            "scope_count",
            Type::Number,
            "How many scopes the IPAM has.",
        ))
        .attribute(c(
            "tier",
            Type::String,
            "Always `advanced`: this provider has one tier with every feature.",
        ))
        .attribute(c(
            "enable_private_gua",
            Type::Bool,
            "Always false: there is no separate switch for private global unicast addresses here.",
        ))
        .attribute(c(
            "state",
            Type::String,
            "`create-complete`: IPAMs exist only once created.",
        ))
        .attribute(c(
            "state_message",
            Type::String,
            "Always null: AWS explains a failed state here, and IPAMs here are never in one.",
        ))
        .attribute(c(
            "ipam_region",
            Type::String,
            "Always null: an IPAM here belongs to a database, not to a region (AWS: the region it was created in). Its regions are its `operating_regions`.",
        ))
        .attribute(c(
            "resource_discovery_association_count",
            Type::Number,
            "How many resource discoveries are associated with the IPAM.",
        ))
        .attribute(c(
            "default_resource_discovery_id",
            Type::String,
            NO_DEFAULT_DISCOVERY,
        ))
        .attribute(c(
            "default_resource_discovery_association_id",
            Type::String,
            NO_DEFAULT_DISCOVERY,
        ))
}

/// An IPAM as a data source object (the resource's values without its arguments-only parts).
pub fn ipam_object(r: &Record) -> Value {
    let mut v = ipam_values(r);
    if let Value::Object(m) = &mut v {
        m.insert("ipam_region".into(), Value::Null);
        m.insert("state_message".into(), Value::Null);
        m.remove("tags_all");
        m.insert("tier".into(), Value::string("advanced"));
        m.insert("enable_private_gua".into(), Value::Bool(false));
        m.insert("state".into(), Value::string("create-complete"));
    }
    v
}

/// Filter names for IPAMs, with the values an IPAM has for each.
pub fn ipam_field(i: &Ipam, name: &str) -> Option<Vec<String>> {
    let one = |s: &str| Some(vec![s.to_string()]);
    match name {
        "ipam-id" => one(&i.id),
        "description" => Some(i.description.iter().cloned().collect()),
        "owner-id" => one(&i.owner_id),
        "tier" => one("advanced"),
        "state" => one("create-complete"),
        "operating-regions.region-name" => Some(i.operating_regions.clone()),
        _ => tag_field(name, &i.tags),
    }
}

pub const IPAM_FILTERS: Names = Names {
    plain: &[
        "ipam-id",
        "description",
        "owner-id",
        "tier",
        "state",
        "operating-regions.region-name",
    ],
    tags: true,
};

impl Lookup for IpamData {
    const TYPE_NAME: &'static str = "ipam";

    fn schema(&self) -> Schema {
        ipam_attributes(
            Schema::new()
                .description(
                    "Looks up one IPAM by id, as the AWS provider's `aws_vpc_ipam` data source.",
                )
                .attribute(Attribute::required("id", Type::String).description("The IPAM id."))
                .attribute(region_data_argument()),
        )
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let id = config.get("id").and_then(Value::as_str).unwrap_or_default();
        let found = ctx
            .store
            .get_ipam(id)
            .doing("Cannot read the IPAM", &WHOLE)?;
        let Some(i) = found else {
            return Err(Failure::at(
                "id",
                "No such IPAM",
                format!("No IPAM with id {id:?} exists in this database; check the id."),
            ));
        };
        Ok(ipam_object(&counted(&ctx.store, i)?))
    }
}
