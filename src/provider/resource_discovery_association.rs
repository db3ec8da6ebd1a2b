//! `ipam_resource_discovery_association`: an IPAM whose pools a discovery's CIDRs are compared
//! with (and adopted into, by pools with `auto_import`).

use super::attrs::string;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::DiscoveryAssociation as Record;
use tfplug::{Attribute, Schema, Type, Value};

pub struct ResourceDiscoveryAssociation;

/// A refusal at create is about the pair: the discovery or the IPAM named.
const PAIR: Blame = Blame {
    pool: "ipam_resource_discovery_id",
    refused: "ipam_id",
    ..WHOLE
};

impl Crud for ResourceDiscoveryAssociation {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_resource_discovery_association";

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Associates a resource discovery with an IPAM: the discovered CIDRs are compared with the pools of the IPAM's default private scope.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The association id, `ipam-res-disc-assoc-` and 17 hex digits."))
            .attribute(Attribute::required("ipam_id", Type::String).requires_replace().description("The IPAM."))
            .attribute(Attribute::required("ipam_resource_discovery_id", Type::String).requires_replace().description("The resource discovery."))
            .attribute(Attribute::computed("owner_id", Type::String).use_state_for_unknown().description("The account that made the association."))
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        call.store
            .associate_discovery(
                &call.actor,
                &string(planned, "ipam_resource_discovery_id").unwrap_or_default(),
                &string(planned, "ipam_id").unwrap_or_default(),
            )
            .doing("Cannot associate the resource discovery", &PAIR)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_discovery_association(id)
            .doing("Cannot read the resource discovery association", &WHOLE)
    }

    fn update(&self, call: &Call<'_>, id: &str, _planned: &Value) -> Result<Record, Failure> {
        // Both arguments force replacement: nothing changes in place.
        self.read(call, id, &Value::Null)?.ok_or_else(|| {
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

    fn state(&self, a: &Record) -> Value {
        Value::object([
            ("id", Value::string(&a.id)),
            ("ipam_id", Value::string(&a.ipam_id)),
            ("ipam_resource_discovery_id", Value::string(&a.discovery_id)),
            ("owner_id", Value::string(&a.owner_id)),
        ])
    }
}
