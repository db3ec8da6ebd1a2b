//! Resource identity (Terraform 1.12 and later): a small, permanent object that names one
//! remote object, so `import { to = ..., identity = {...} }` works and `terraform query` can
//! say what it found.
//!
//! A resource declares its identity as a few of its own attributes; tfplug derives the
//! identity from the state on every read, plan, apply and import, so a resource never builds
//! one by hand and it cannot disagree with the state.

use crate::proto::tfplugin6 as pb;
use crate::value::{from_json, from_msgpack, to_msgpack, Type, Value};
use std::collections::BTreeMap;

/// One attribute of an identity.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    /// Must be given to import by identity.
    pub required_for_import: bool,
    /// May be given to import by identity; the provider can find the object without it.
    pub optional_for_import: bool,
    pub description: String,
}

impl IdentityAttribute {
    /// A string attribute an import must give.
    pub fn required(name: &str, description: &str) -> Self {
        IdentityAttribute {
            name: name.into(),
            ty: Type::String,
            required_for_import: true,
            optional_for_import: false,
            description: description.into(),
        }
    }

    /// A string attribute an import may leave out.
    pub fn optional(name: &str, description: &str) -> Self {
        IdentityAttribute {
            required_for_import: false,
            optional_for_import: true,
            ..Self::required(name, description)
        }
    }
}

/// The identity of a resource type: attributes of its state, named the same.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentitySchema {
    /// Bump when the attributes change (compared by Terraform with the stored version).
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    pub fn new(attributes: Vec<IdentityAttribute>) -> Self {
        IdentitySchema {
            version: 0,
            attributes,
        }
    }

    /// The object type identities of this schema have.
    pub fn value_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    /// The identity of an object in `state`: its identity attributes, as the state has them
    /// (unknown while they are unknown); null for a null state.
    pub fn of_state(&self, state: &Value) -> Value {
        if state.is_null() {
            return Value::Null;
        }
        Value::Object(
            self.attributes
                .iter()
                .map(|a| {
                    let v = state.get(&a.name).cloned().unwrap_or(Value::Null);
                    (a.name.clone(), v)
                })
                .collect(),
        )
    }

    /// The identity of `state` as the protocol carries it; `None` for a null state, and while
    /// any identity attribute is unknown (a create's plan): Terraform accepts a null planned
    /// identity, but cannot show a plan whose identity holds unknown values.
    pub fn encode(&self, state: &Value) -> Option<pb::ResourceIdentityData> {
        let id = self.of_state(state);
        if id.is_null() || !id.is_wholly_known() {
            return None;
        }
        let msgpack = to_msgpack(&id, &self.value_type()).ok()?;
        Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
        })
    }

    /// An identity Terraform sent (msgpack or JSON); null when there is none.
    pub fn decode(&self, data: Option<&pb::ResourceIdentityData>) -> Result<Value, String> {
        let Some(dv) = data.and_then(|d| d.identity_data.as_ref()) else {
            return Ok(Value::Null);
        };
        let ty = self.value_type();
        if !dv.msgpack.is_empty() {
            from_msgpack(&dv.msgpack, &ty).map_err(|e| e.to_string())
        } else if !dv.json.is_empty() {
            let j: serde_json::Value =
                serde_json::from_slice(&dv.json).map_err(|e| e.to_string())?;
            from_json(&j, &ty).map_err(|e| e.to_string())
        } else {
            Ok(Value::Null)
        }
    }

    /// The schema as GetResourceIdentitySchemas describes it.
    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: a.optional_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}

/// The identity schema of every resource that has one, by type name.
pub(crate) fn of_resources<T>(
    resources: &std::collections::HashMap<&'static str, T>,
) -> std::collections::HashMap<&'static str, IdentitySchema>
where
    T: HasResource,
{
    resources
        .iter()
        .filter_map(|(n, r)| Some((*n, r.resource().identity_schema()?)))
        .collect()
}

/// What the server's resource table holds: a resource.
pub(crate) trait HasResource {
    fn resource(&self) -> &dyn crate::provider::Resource;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> IdentitySchema {
        IdentitySchema::new(vec![
            IdentityAttribute::optional("id", "The id."),
            IdentityAttribute::required("pool", "The pool."),
        ])
    }

    #[test]
    fn identity_is_the_states_identity_attributes() {
        let state = Value::object([
            ("id", Value::string("a-1")),
            ("pool", Value::string("p-1")),
            ("tags", Value::Null),
        ]);
        assert_eq!(
            schema().of_state(&state),
            Value::object([("id", Value::string("a-1")), ("pool", Value::string("p-1"))])
        );
        assert_eq!(schema().of_state(&Value::Null), Value::Null);
        // While planning a create, an unknown id stays unknown.
        let planned = Value::object([("id", Value::Unknown), ("pool", Value::string("p-1"))]);
        assert!(!schema().of_state(&planned).is_wholly_known());
    }

    #[test]
    fn encode_and_decode_round_trip() {
        let s = schema();
        let state = Value::object([("id", Value::string("a-1")), ("pool", Value::string("p-1"))]);
        let wire = s.encode(&state).expect("an identity");
        assert_eq!(s.decode(Some(&wire)).unwrap(), state);
        assert_eq!(s.encode(&Value::Null), None);
        let planned = Value::object([("id", Value::Unknown), ("pool", Value::string("p-1"))]);
        assert_eq!(s.encode(&planned), None);
        assert_eq!(s.decode(None).unwrap(), Value::Null);
        let json = pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: Vec::new(),
                json: br#"{"id": null, "pool": "p-2"}"#.to_vec(),
            }),
        };
        assert_eq!(
            s.decode(Some(&json)).unwrap(),
            Value::object([("id", Value::Null), ("pool", Value::string("p-2"))])
        );
    }

    #[test]
    fn the_protocol_schema_lists_each_attribute_with_its_import_role() {
        let p = schema().to_proto();
        assert_eq!(p.identity_attributes.len(), 2);
        assert_eq!(p.identity_attributes[0].name, "id");
        assert!(p.identity_attributes[0].optional_for_import);
        assert!(p.identity_attributes[1].required_for_import);
        assert_eq!(p.identity_attributes[1].r#type, b"\"string\"".to_vec());
    }
}
