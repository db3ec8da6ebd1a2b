//! `ipam_resource_discovery_association`: an IPAM whose pools a discovery's CIDRs are compared
//! with (and adopted into, by pools with `auto_import`). The AWS provider's `tags` are kept
//! in Terraform state only: the database stores no tags for an association.

use super::attrs::{string, tag_map, tags, tags_value};
use super::aws::{arn, check_region, region_argument, tags_all_attribute};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::{DiscoveryAssociation, Tags};
use tfplug::{Attribute, Plan, Schema, Type, Value};

pub struct ResourceDiscoveryAssociation;

/// An association with what its state shows beside it: the IPAM's owner (for `ipam_arn`) and
/// the tags the configuration (or the prior state) gives.
pub struct Record {
    association: DiscoveryAssociation,
    ipam_owner: String,
    tags: Tags,
}

/// `a` with its IPAM's owner, and `tags`.
fn record(call: &Call<'_>, a: DiscoveryAssociation, tags: Tags) -> Result<Record, Failure> {
    let ipam = call
        .store
        .get_ipam(&a.ipam_id)
        .doing("Cannot read the associated IPAM", &WHOLE)?;
    Ok(Record {
        ipam_owner: ipam
            .map(|i| i.owner_id)
            .unwrap_or_else(|| a.owner_id.clone()),
        association: a,
        tags,
    })
}

/// A refusal at create is about the pair: the discovery or the IPAM named.
const PAIR: Blame = Blame {
    pool: "ipam_resource_discovery_id",
    refused: "ipam_id",
    ..WHOLE
};

impl Crud for ResourceDiscoveryAssociation {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_resource_discovery_association";
    const GUARD: Guard = Guard::IpamAdmin;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Associates a resource discovery with an IPAM: the discovered CIDRs are compared with the pools of the IPAM's default private scope.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The association id, `ipam-res-disc-assoc-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_id", Type::String).requires_replace().description("The IPAM."))
            .attribute(Attribute::required("ipam_resource_discovery_id", Type::String).requires_replace().description("The resource discovery."))
            .attribute(Attribute::computed("owner_id", Type::String).use_state_for_unknown().description("The account that made the association."))
            .attribute(tag_map("tags", "Tags of the association, as in the AWS provider. Kept in Terraform state only (the database stores no tags for an association, so an import reads none)."))
            .attribute(tags_all_attribute())
            .attribute(Attribute::computed("arn", Type::String).use_state_for_unknown().description("`arn:aws:ec2::<owner>:ipam-resource-discovery-association/<id>`."))
            .attribute(Attribute::computed("ipam_arn", Type::String).use_state_for_unknown().description("The IPAM's ARN, `arn:aws:ec2::<IPAM owner>:ipam/<ipam_id>`."))
            .attribute(Attribute::computed("ipam_region", Type::String).use_state_for_unknown().description("Always null: an IPAM here belongs to a database, not to a region (AWS: the IPAM's home region)."))
            .attribute(Attribute::computed("is_default", Type::Bool).use_state_for_unknown().description("Always false: this provider creates no default resource discovery or association (see `ipam`'s `default_resource_discovery_id`)."))
            .attribute(Attribute::computed("state", Type::String).use_state_for_unknown().description("`associated`: an association exists here only once made."))
            .attribute(region_argument())
    }

    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let a = call
            .store
            .associate_discovery(
                &call.actor,
                &string(planned, "ipam_resource_discovery_id").unwrap_or_default(),
                &string(planned, "ipam_id").unwrap_or_default(),
            )
            .doing("Cannot associate the resource discovery", &PAIR)?;
        record(call, a, tags(planned, "tags"))
    }

    fn read(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_discovery_association(id)
            .doing("Cannot read the resource discovery association", &WHOLE)?
            .map(|a| record(call, a, tags(prior, "tags")))
            .transpose()
    }

    /// Both arguments force replacement: only `tags` (kept in state) change in place.
    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        self.read(call, id, planned)?.ok_or_else(|| {
            Failure::plain(
                "Cannot update the resource discovery association",
                format!("{id} no longer exists; run terraform apply again to recreate it."),
            )
        })
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .disassociate_discovery(&call.actor, id)
            .doing("Cannot delete the resource discovery association", &WHOLE)
    }

    fn state(&self, r: &Record) -> Value {
        let a = &r.association;
        Value::object([
            ("id", Value::string(&a.id)),
            ("ipam_id", Value::string(&a.ipam_id)),
            ("ipam_resource_discovery_id", Value::string(&a.discovery_id)),
            ("owner_id", Value::string(&a.owner_id)),
            ("tags", tags_value(&r.tags)),
            ("tags_all", tags_value(&r.tags)),
            (
                "arn",
                arn("ipam-resource-discovery-association", &a.owner_id, &a.id),
            ),
            ("ipam_arn", arn("ipam", &r.ipam_owner, &a.ipam_id)),
            ("ipam_region", Value::Null),
            ("is_default", Value::Bool(false)),
            ("state", Value::string("associated")),
        ])
    }
}
