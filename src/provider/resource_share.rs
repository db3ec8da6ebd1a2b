//! `ipam_resource_share`: shares pools with accounts, organizational units or the whole
//! organization (as AWS RAM shares IPAM pools). Whom a share reaches may allocate from its
//! pools; removing it keeps their allocations and refuses new ones.

use super::attrs::{boolean, string, strings, tag_map, tags, tags_value};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use crate::store::{id_of, ResourceShare as Stored, ShareSpec};
use tfplug::{Attribute, Check, Schema, Type, Value};

pub struct ResourceShare;

/// A share with the spellings (ids or ARNs) its configuration used, which state keeps.
pub struct Record {
    share: Stored,
    resources: Vec<String>,
    principals: Vec<String>,
}

/// Store refusals about the share's contents name their attribute themselves.
const SHARE: Blame = WHOLE;

/// `given` when it names exactly `stored` (the ids the store keeps), else `stored`: the user's
/// spelling survives while it means the same.
fn spelled(given: Vec<String>, stored: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = given.iter().map(|g| id_of(g)).collect();
    ids.sort();
    ids.dedup();
    if ids == stored {
        given
    } else {
        stored.to_vec()
    }
}

fn record(share: Stored, spelling: &Value) -> Record {
    Record {
        resources: spelled(strings(spelling, "resource_arns"), &share.pool_ids),
        principals: spelled(strings(spelling, "principals"), &share.principals),
        share,
    }
}

fn spec(planned: &Value) -> ShareSpec {
    ShareSpec {
        name: string(planned, "name").unwrap_or_default(),
        resources: strings(planned, "resource_arns"),
        principals: strings(planned, "principals"),
        allow_external_principals: boolean(planned, "allow_external_principals").unwrap_or(false),
        tags: tags(planned, "tags"),
    }
}

fn string_set(values: &[String]) -> Value {
    Value::set(values.iter().map(Value::string))
}

impl Crud for ResourceShare {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_resource_share";
    const GUARD: Guard = Guard::IpamAdmin;

    fn schema(&self) -> Schema {
        let non_empty = |name: &str, what: &str| {
            Attribute::required(name, Type::set(Type::String))
                .check(Check::Size { min: 1, max: 1000 })
                .description(what)
        };
        Schema::new()
            .description("Shares IPAM pools with accounts, organizational units or the whole organization (as an AWS RAM resource share with its associations). Every account a share reaches, directly or through a unit at any depth, may allocate from its pools. Only the IPAM admin account manages shares.")
            .attribute(
                Attribute::computed("id", Type::String)
                    .use_state_for_unknown()
                    .description("The share id, `rs-` and 17 hex digits."),
            )
            .attribute(Attribute::required("name", Type::String).description("The share's name."))
            .attribute(non_empty("resource_arns", "The pools shared: pool ids or ARNs."))
            .attribute(non_empty(
                "principals",
                "Who the pools are shared with: 12-digit account ids, organizational unit ids or ARNs, or the organization's id or ARN (every account).",
            ))
            .attribute(
                Attribute::optional("allow_external_principals", Type::Bool)
                    .default(Value::Bool(false))
                    .description("Whether `principals` may name accounts outside the organization."),
            )
            .attribute(tag_map("tags", "Tags of the share."))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .use_state_for_unknown()
                    .description("The share's ARN, `arn:aws:ram::<owner account>:resource-share/<id>`."),
            )
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        let s = call
            .store
            .put_resource_share(&call.actor, None, &spec(planned))
            .doing("Cannot create the resource share", &SHARE)?;
        Ok(record(s, planned))
    }

    fn read(&self, call: &Call<'_>, id: &str, prior: &Value) -> Result<Option<Record>, Failure> {
        Ok(call
            .store
            .get_resource_share(id)
            .doing("Cannot read the resource share", &WHOLE)?
            .map(|s| record(s, prior)))
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        let s = call
            .store
            .put_resource_share(&call.actor, Some(id), &spec(planned))
            .doing("Cannot update the resource share", &SHARE)?;
        Ok(record(s, planned))
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_resource_share(&call.actor, id)
            .doing("Cannot delete the resource share", &WHOLE)
    }

    fn state(&self, r: &Record) -> Value {
        let s = &r.share;
        Value::object([
            ("id", Value::string(&s.id)),
            ("name", Value::string(&s.name)),
            ("resource_arns", string_set(&r.resources)),
            ("principals", string_set(&r.principals)),
            (
                "allow_external_principals",
                Value::Bool(s.allow_external_principals),
            ),
            ("tags", tags_value(&s.tags)),
            (
                "arn",
                Value::string(format!(
                    "arn:aws:ram::{}:resource-share/{}",
                    s.owner_id, s.id
                )),
            ),
        ])
    }
}

/// The `shares` attribute of the `ipam_pool` data source: whom the pool is shared with.
pub fn shares_attribute() -> Attribute {
    let share = Type::object([
        ("id", Type::String),
        ("name", Type::String),
        ("principals", Type::list(Type::String)),
    ]);
    Attribute::computed("shares", Type::list(share)).description(
        "The resource shares holding the pool: each share's `id`, `name` and `principals` (account, organizational unit and organization ids). Empty without shares.",
    )
}

/// The pool's shares as the `shares` attribute's value.
pub fn shares_value(call_store: &crate::store::Store, pool_id: &str) -> Result<Value, Failure> {
    let shares = call_store
        .pool_shares(pool_id)
        .doing("Cannot read the pool's shares", &WHOLE)?;
    Ok(Value::list(shares.iter().map(|s| {
        Value::object([
            ("id", Value::string(&s.id)),
            ("name", Value::string(&s.name)),
            (
                "principals",
                Value::list(s.principals.iter().map(Value::string)),
            ),
        ])
    })))
}
