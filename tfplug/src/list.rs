//! List resources (Terraform 1.14 and later): `list "type" "name" { config { ... } }` blocks in
//! `.tfquery.hcl` files, answered by ListResource, a server stream of what exists. Each item
//! is a resource's state; tfplug derives its identity with the resource's identity schema, so
//! `terraform query -generate-config-out` writes import blocks that import exactly it.

use crate::diagnostics::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;

/// One object found: how `terraform query` shows it, and its state as the managed resource of
/// the same type name would read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    pub display_name: String,
    pub state: Value,
}

/// A list resource; its type name is that of a managed resource with an identity.
pub trait ListResource: Send + Sync {
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// Checks a configuration on its own (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// At most `limit` objects matching `config`, in a stable order.
    fn list(&self, config: &Value, limit: usize, diags: &mut Diagnostics) -> Vec<ListItem>;
}

use crate::identity::IdentitySchema;
use crate::proto::{self, tfplugin6 as pb};
use crate::value::{to_msgpack, Type};
use std::pin::Pin;
use tonic::Status;

/// The ListResource answer: a stream of events.
pub type EventStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::list_resource::Event, Status>> + Send>>;

pub(crate) fn stream(events: Vec<pb::list_resource::Event>) -> EventStream {
    Box::pin(tokio_stream::iter(events.into_iter().map(Ok)))
}

/// One event carrying only diagnostics (Terraform stops at an error).
pub(crate) fn failed(diags: &Diagnostics) -> Vec<pb::list_resource::Event> {
    vec![pb::list_resource::Event {
        identity: None,
        display_name: String::new(),
        resource_object: None,
        diagnostic: proto::diagnostics(diags),
    }]
}

/// The events for `items`: each with its identity, and its state when Terraform asked for
/// it (to generate configuration); diagnostics first, as their own event.
pub(crate) fn events(
    items: Vec<ListItem>,
    schema: &Schema,
    ty: &Type,
    identity: &IdentitySchema,
    include_object: bool,
    diags: &Diagnostics,
) -> Vec<pb::list_resource::Event> {
    let mut out = Vec::with_capacity(items.len() + 1);
    if !diags.0.is_empty() {
        out.extend(failed(diags));
        if diags.has_errors() {
            return out;
        }
    }
    for item in items {
        // As after an import: empty collections and config-only attributes as an import
        // leaves them, so configuration generated from the state imports without a change.
        let mut state = schema.complete(item.state);
        crate::rules::settle(schema, &mut state, &Value::Null);
        let object = if include_object {
            match to_msgpack(&state, ty) {
                Ok(msgpack) => Some(pb::DynamicValue {
                    msgpack,
                    json: Vec::new(),
                }),
                Err(e) => {
                    return failed(&Diagnostics::of_error(
                        "Provider bug: listed object does not match its schema",
                        format!("{}: {e}", item.display_name),
                    ))
                }
            }
        } else {
            None
        };
        out.push(pb::list_resource::Event {
            identity: identity.encode(&state),
            display_name: item.display_name,
            resource_object: object,
            diagnostic: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityAttribute;
    use crate::schema::Attribute;
    use crate::value::from_msgpack;

    fn schema() -> Schema {
        Schema::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::optional("name", Type::String))
    }

    #[test]
    fn each_item_is_an_event_with_its_identity_and_its_state_when_asked() {
        let s = schema();
        let ty = s.value_type();
        let ids = IdentitySchema::new(vec![IdentityAttribute::required("id", "The id.")]);
        let items = vec![
            ListItem {
                display_name: "first".into(),
                state: Value::object([("id", Value::string("a"))]),
            },
            ListItem {
                display_name: "second".into(),
                state: Value::object([("id", Value::string("b")), ("name", Value::string("n"))]),
            },
        ];
        let ev = events(items.clone(), &s, &ty, &ids, true, &Diagnostics::new());
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].display_name, "second");
        let id = ids.decode(ev[0].identity.as_ref()).unwrap();
        assert_eq!(id, Value::object([("id", Value::string("a"))]));
        let obj = from_msgpack(&ev[1].resource_object.as_ref().unwrap().msgpack, &ty).unwrap();
        assert_eq!(obj.get("name"), Some(&Value::string("n")));
        // The state is completed to the schema (absent attributes are null).
        let obj = from_msgpack(&ev[0].resource_object.as_ref().unwrap().msgpack, &ty).unwrap();
        assert_eq!(obj.get("name"), Some(&Value::Null));

        let ev = events(items, &s, &ty, &ids, false, &Diagnostics::new());
        assert!(ev.iter().all(|e| e.resource_object.is_none()));
    }

    #[test]
    fn an_error_is_one_event_and_nothing_else() {
        let s = schema();
        let ids = IdentitySchema::new(vec![IdentityAttribute::required("id", "The id.")]);
        let items = vec![ListItem {
            display_name: "x".into(),
            state: Value::object([("id", Value::string("a"))]),
        }];
        let d = Diagnostics::of_error("Bad filter", "no");
        let ev = events(items, &s, &s.value_type(), &ids, true, &d);
        assert_eq!(ev.len(), 1);
        assert!(ev[0].identity.is_none());
        assert_eq!(ev[0].diagnostic[0].summary, "Bad filter");
    }
}
