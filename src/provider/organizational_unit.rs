//! `ipam_organizational_unit`: a unit of the organization, under the root or another unit. A
//! share with a unit reaches every account inside it, at any depth.

use super::attrs::string;
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Doing, Failure, WHOLE};
use super::organization::{in_org, org_arn, InOrg, PARENT};
use crate::store::OrganizationalUnit;
use tfplug::{Attribute, Schema, Type, Value};

pub struct Unit;

impl Crud for Unit {
    type Record = InOrg<OrganizationalUnit>;
    const TYPE_NAME: &'static str = "ipam_organizational_unit";
    const GUARD: Guard = Guard::Management;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("An organizational unit: a group of accounts (and units) a resource share can name as one principal. Only the management account creates, moves or removes units.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The unit id, `ou-`, the root's 4 characters, `-` and 8 lowercase letters or digits."),
            )
            .attribute(Attribute::required("name", Type::String).description("The unit's name."))
            .attribute(Attribute::required("parent_id", Type::String).description(
                "The root (`ipam_organization.root_id`) or another unit's id. Changing it moves the unit, with everything inside it.",
            ))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .use_state_for_unknown()
                    .description("The unit's ARN, `arn:aws:organizations::<management account>:ou/<organization id>/<id>`."),
            )
    }

    fn create(
        &self,
        call: &Call<'_>,
        planned: &Value,
    ) -> Result<InOrg<OrganizationalUnit>, Failure> {
        let u = call
            .store
            .create_organizational_unit(
                &call.actor,
                &string(planned, "name").unwrap_or_default(),
                &string(planned, "parent_id").unwrap_or_default(),
            )
            .doing("Cannot create the organizational unit", &PARENT)?;
        in_org(call, u)
    }

    fn read(
        &self,
        call: &Call<'_>,
        id: &str,
        _prior: &Value,
    ) -> Result<Option<InOrg<OrganizationalUnit>>, Failure> {
        call.store
            .get_organizational_unit(id)
            .doing("Cannot read the organizational unit", &WHOLE)?
            .map(|u| in_org(call, u))
            .transpose()
    }

    fn update(
        &self,
        call: &Call<'_>,
        id: &str,
        planned: &Value,
    ) -> Result<InOrg<OrganizationalUnit>, Failure> {
        let u = call
            .store
            .update_organizational_unit(
                &call.actor,
                id,
                &string(planned, "name").unwrap_or_default(),
                &string(planned, "parent_id").unwrap_or_default(),
            )
            .doing("Cannot update the organizational unit", &PARENT)?;
        in_org(call, u)
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_organizational_unit(&call.actor, id)
            .doing("Cannot delete the organizational unit", &WHOLE)
    }

    fn state(&self, r: &InOrg<OrganizationalUnit>) -> Value {
        let u = &r.item;
        Value::object([
            ("id", Value::string(&u.id)),
            ("name", Value::string(&u.name)),
            ("parent_id", Value::string(&u.parent_id)),
            (
                "arn",
                org_arn(
                    &r.org.management_account_id,
                    &format!("ou/{}/{}", r.org.id, u.id),
                ),
            ),
        ])
    }
}
