//! `ipam_organization`: the database's one organization, whose management account is the
//! caller. With it, the IPAM admin and the resource shares decide who may do what.

use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::Organization as Stored;
use tfplug::{Attribute, Schema, Type, Value};

pub struct Organization;

/// An organization ARN as AWS writes it: `arn:aws:organizations::<management>:<path>`.
pub fn org_arn(management: &str, path: &str) -> Value {
    Value::string(format!("arn:aws:organizations::{management}:{path}"))
}

fn computed(name: &str, description: &str) -> Attribute {
    Attribute::computed(name, Type::String)
        .use_state_for_unknown()
        .description(description)
}

/// The organization, which must exist for units, accounts and the admin to be created.
pub fn required(call: &Call<'_>) -> Result<Stored, Failure> {
    call.store
        .organization()
        .doing("Cannot read the organization", &WHOLE)?
        .ok_or_else(|| {
            Failure::plain(
                "No organization",
                "This database has no organization; create an ipam_organization first (and reference its root_id).",
            )
        })
}

/// A unit or account with its organization, from which its ARN follows.
pub struct InOrg<T> {
    pub item: T,
    pub org: Stored,
}

/// `item` with the organization it belongs to.
pub fn in_org<T>(call: &Call<'_>, item: T) -> Result<InOrg<T>, Failure> {
    Ok(InOrg {
        item,
        org: required(call)?,
    })
}

/// Refusals about where a unit or account sits are on `parent_id`.
pub const PARENT: Blame = Blame {
    pool: "parent_id",
    refused: "parent_id",
    ..WHOLE
};

impl Crud for Organization {
    type Record = Stored;
    const TYPE_NAME: &'static str = "ipam_organization";
    const GUARD: Guard = Guard::Management;

    fn schema(&self) -> Schema {
        Schema::new()
            .description("The database's organization (one at most). The account that creates it (the provider block's `account_id`) is its management account; from then on only the IPAM admin account changes IPAMs, scopes, pools and shares, and other accounts allocate only from pools shared with them. See the organizations guide.")
            .attribute(computed("id", "The organization id, `o-` and 10 lowercase letters or digits."))
            .attribute(computed("arn", "The organization's ARN, `arn:aws:organizations::<management account>:organization/<id>`."))
            .attribute(computed("management_account_id", "The management account: the caller that created the organization."))
            .attribute(computed("root_id", "The root's id, `r-` and 4 lowercase letters or digits: the parent of top-level units and accounts."))
    }

    fn create(&self, call: &Call<'_>, _planned: &Value) -> Result<Stored, Failure> {
        call.store
            .create_organization(&call.actor)
            .doing("Cannot create the organization", &WHOLE)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Stored>, Failure> {
        Ok(call
            .store
            .organization()
            .doing("Cannot read the organization", &WHOLE)?
            .filter(|o| o.id == id))
    }

    fn update(&self, call: &Call<'_>, id: &str, _planned: &Value) -> Result<Stored, Failure> {
        self.read(call, id, &Value::Null)?.ok_or_else(|| {
            Failure::plain(
                "Cannot update the organization",
                format!("The organization {id} no longer exists."),
            )
        })
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_organization(&call.actor, id)
            .doing("Cannot delete the organization", &WHOLE)
    }

    fn state(&self, o: &Stored) -> Value {
        Value::object([
            ("id", Value::string(&o.id)),
            (
                "arn",
                org_arn(&o.management_account_id, &format!("organization/{}", o.id)),
            ),
            (
                "management_account_id",
                Value::string(&o.management_account_id),
            ),
            ("root_id", Value::string(&o.root_id)),
        ])
    }
}
