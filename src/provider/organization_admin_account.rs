//! `ipam_organization_admin_account`: the management account delegates IPAM administration
//! to a member account, which from then on alone changes IPAMs, scopes, pools and shares.

use super::attrs::string;
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use super::organization::required;
use tfplug::{Attribute, Schema, Type, Value};

pub struct OrganizationAdminAccount;

const ADMIN: Blame = Blame {
    pool: "delegated_admin_account_id",
    refused: "delegated_admin_account_id",
    ..WHOLE
};

impl Crud for OrganizationAdminAccount {
    /// The delegated account's id.
    type Record = String;
    const TYPE_NAME: &'static str = "ipam_organization_admin_account";
    const GUARD: Guard = Guard::Management;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Delegates IPAM administration to a member account (as `aws_vpc_ipam_organization_admin_account`). Without it the management account administers IPAM. Only the management account delegates.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The delegated account id."),
            )
            .attribute(
                Attribute::required("delegated_admin_account_id", Type::String)
                    .requires_replace()
                    .description("The member account (an `ipam_organization_account`) that administers IPAM."),
            )
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<String, Failure> {
        let id = string(planned, "delegated_admin_account_id").unwrap_or_default();
        call.store
            .set_delegated_admin(&call.actor, Some(&id))
            .doing("Cannot delegate IPAM administration", &ADMIN)?;
        Ok(id)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<String>, Failure> {
        let org = call
            .store
            .organization()
            .doing("Cannot read the organization", &WHOLE)?;
        Ok(org
            .and_then(|o| o.delegated_admin_account_id)
            .filter(|a| a == id))
    }

    fn update(&self, call: &Call<'_>, id: &str, _planned: &Value) -> Result<String, Failure> {
        required(call)?;
        Ok(id.to_string())
    }

    fn delete(&self, call: &Call<'_>, _id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .set_delegated_admin(&call.actor, None)
            .map(|_| ())
            .doing("Cannot take IPAM administration back", &WHOLE)
    }

    fn state(&self, id: &String) -> Value {
        Value::object([
            ("id", Value::string(id)),
            ("delegated_admin_account_id", Value::string(id)),
        ])
    }
}
