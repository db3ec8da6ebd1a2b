//! `ipam_organization_account`: an account of the organization and where it sits (the root or
//! a unit), which decides the shares that reach it. `database_role` names the PostgreSQL login
//! role that acts as the account (on SQLite the provider block's `account_id` does).

use super::attrs::{opt_string, string};
use super::config::ACCOUNT_ID;
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Doing, Failure, WHOLE};
use super::organization::{in_org, org_arn, InOrg, PARENT};
use crate::store::OrganizationAccount as Stored;
use tfplug::{Attribute, Schema, Type, Value};

pub struct OrganizationAccount;

fn planned_account(planned: &Value, id: Option<&str>) -> Stored {
    Stored {
        account_id: id
            .map(String::from)
            .or_else(|| string(planned, "account_id"))
            .unwrap_or_default(),
        name: string(planned, "name").unwrap_or_default(),
        parent_id: string(planned, "parent_id").unwrap_or_default(),
        database_role: string(planned, "database_role"),
    }
}

impl Crud for OrganizationAccount {
    type Record = InOrg<Stored>;
    const TYPE_NAME: &'static str = "ipam_organization_account";
    const GUARD: Guard = Guard::Management;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("An account of the organization: a team's identity, placed in the root or an organizational unit. Only the management account adds, moves or removes accounts. The `id` is the account id.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The account id (as `account_id`)."),
            )
            .attribute(
                Attribute::required("account_id", Type::String)
                    .requires_replace()
                    .check(ACCOUNT_ID)
                    .description("The account's 12-digit id: what its team writes as `account_id` in the provider block."),
            )
            .attribute(Attribute::required("name", Type::String).description("The account's name."))
            .attribute(Attribute::required("parent_id", Type::String).description(
                "The root (`ipam_organization.root_id`) or a unit's id; shares with that unit, or any unit above it, reach the account.",
            ))
            .attribute(Attribute::optional("database_role", Type::String).description(
                "The PostgreSQL login role that acts as this account. Unused on SQLite, where the provider block's `account_id` is trusted.",
            ))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .use_state_for_unknown()
                    .description("The account's ARN, `arn:aws:organizations::<management account>:account/<organization id>/<account id>`."),
            )
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<InOrg<Stored>, Failure> {
        let a = call
            .store
            .put_organization_account(&call.actor, &planned_account(planned, None), true)
            .doing("Cannot add the account to the organization", &PARENT)?;
        in_org(call, a)
    }

    fn read(
        &self,
        call: &Call<'_>,
        id: &str,
        _prior: &Value,
    ) -> Result<Option<InOrg<Stored>>, Failure> {
        call.store
            .get_organization_account(id)
            .doing("Cannot read the organization account", &WHOLE)?
            .map(|a| in_org(call, a))
            .transpose()
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<InOrg<Stored>, Failure> {
        let a = call
            .store
            .put_organization_account(&call.actor, &planned_account(planned, Some(id)), false)
            .doing("Cannot update the organization account", &PARENT)?;
        in_org(call, a)
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_organization_account(&call.actor, id)
            .doing("Cannot remove the account from the organization", &WHOLE)
    }

    fn state(&self, r: &InOrg<Stored>) -> Value {
        let a = &r.item;
        Value::object([
            ("id", Value::string(&a.account_id)),
            ("account_id", Value::string(&a.account_id)),
            ("name", Value::string(&a.name)),
            ("parent_id", Value::string(&a.parent_id)),
            ("database_role", opt_string(&a.database_role)),
            (
                "arn",
                org_arn(
                    &r.org.management_account_id,
                    &format!("account/{}/{}", r.org.id, a.account_id),
                ),
            ),
        ])
    }
}
