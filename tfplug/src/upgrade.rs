//! UpgradeResourceState: bringing a state written under an older schema version forward.
//!
//! Terraform stores each resource's state as JSON together with the schema version that wrote
//! it, and before any other call on that state asks the provider to upgrade it. A resource
//! whose schema changed shape (an attribute became a block, say) bumps [`Schema::version`] and
//! rewrites older JSON in [`Resource::upgrade_state`]; tfplug does the rest: it refuses states
//! from a newer schema, runs the resource's rewrite only for older ones, drops attributes the
//! current schema no longer has, and checks that the result fits the current schema.

use crate::diagnostics::Diagnostics;
use crate::provider::Resource;
use crate::schema::Schema;
use crate::value::{from_json, Value};

const SUMMARY: &str = "Cannot upgrade resource state";

/// The state `json`, written by schema `version`, as a value of the current `schema`.
/// `None` with an error in `diags` when it cannot be read or upgraded.
pub fn upgrade_json(
    schema: &Schema,
    resource: &dyn Resource,
    version: i64,
    json: &[u8],
    diags: &mut Diagnostics,
) -> Option<Value> {
    let type_name = resource.type_name();
    if version > schema.version {
        diags.error(
            SUMMARY,
            format!(
                "The state of this {type_name} was written by a newer version of the provider (schema version {version}; this one knows up to {}). Use that provider version or a newer one.",
                schema.version
            ),
        );
        return None;
    }
    let mut j: serde_json::Value = match serde_json::from_slice(json) {
        Ok(j) => j,
        Err(e) => {
            diags.error(SUMMARY, format!("The stored state is not JSON: {e}"));
            return None;
        }
    };
    if version < schema.version {
        j = match resource.upgrade_state(version, j) {
            Ok(j) => j,
            Err(why) => {
                diags.error(
                    SUMMARY,
                    format!("The state of this {type_name} (schema version {version}) cannot be brought to version {}: {why}", schema.version),
                );
                return None;
            }
        };
    }
    drop_unknown_attributes(schema, &mut j);
    match from_json(&j, &schema.value_type()) {
        Ok(v) => Some(schema.complete(v)),
        Err(e) => {
            diags.error(
                SUMMARY,
                format!("The stored state of this {type_name} (schema version {version}) does not fit the current schema: {e}"),
            );
            None
        }
    }
}

/// Attributes an older schema had and the current one lacks are dropped, as Terraform's own
/// SDKs do: removing an attribute needs no upgrade function.
fn drop_unknown_attributes(schema: &Schema, j: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = j {
        m.retain(|k, _| {
            schema.attributes.iter().any(|a| &a.name == k)
                || schema.blocks.iter().any(|b| &b.name == k)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block};
    use crate::value::Type;
    use serde_json::json;

    /// Version 0 kept `names` as a list of strings; version 1 as `name { value = ... }` blocks.
    struct Named;

    impl Resource for Named {
        fn type_name(&self) -> &'static str {
            "test_named"
        }
        fn schema(&self) -> Schema {
            schema()
        }
        fn create(&self, _: &Value, _: &mut Diagnostics) -> Option<Value> {
            None
        }
        fn read(&self, _: &Value, _: &mut Diagnostics) -> Option<Value> {
            None
        }
        fn update(&self, _: &Value, _: &Value, _: &mut Diagnostics) -> Option<Value> {
            None
        }
        fn delete(&self, _: &Value, _: &mut Diagnostics) {}
        fn upgrade_state(
            &self,
            version: i64,
            mut state: serde_json::Value,
        ) -> Result<serde_json::Value, String> {
            if version == 0 {
                let names = state.get("names").cloned().unwrap_or(json!([]));
                let Some(list) = names.as_array() else {
                    return Err("names is not a list".into());
                };
                let blocks: Vec<_> = list.iter().map(|n| json!({ "value": n })).collect();
                state["name"] = json!(blocks);
            }
            Ok(state)
        }
    }

    fn schema() -> Schema {
        Schema::new()
            .version(1)
            .attribute(Attribute::computed("id", Type::String))
            .block(Block::set(
                "name",
                Schema::new().attribute(Attribute::required("value", Type::String)),
            ))
    }

    fn upgrade(version: i64, j: serde_json::Value) -> (Option<Value>, String) {
        let mut d = Diagnostics::new();
        let v = upgrade_json(&schema(), &Named, version, j.to_string().as_bytes(), &mut d);
        (v, format!("{d:?}"))
    }

    #[test]
    fn an_old_state_is_rewritten_and_unknown_attributes_dropped() {
        let (v, d) = upgrade(0, json!({"id": "x", "names": ["a", "b"]}));
        let v = v.unwrap_or_else(|| panic!("{d}"));
        assert_eq!(v.get("id"), Some(&Value::string("x")));
        let block = |s: &str| Value::object([("value", Value::string(s))]);
        assert_eq!(v.get("name"), Some(&Value::set([block("a"), block("b")])));
        assert_eq!(v.get("names"), None);
    }

    #[test]
    fn a_current_state_is_not_rewritten() {
        let (v, d) = upgrade(1, json!({"id": "x", "name": [{"value": "c"}]}));
        let v = v.unwrap_or_else(|| panic!("{d}"));
        let c = Value::object([("value", Value::string("c"))]);
        assert_eq!(v.get("name"), Some(&Value::set([c])));
    }

    #[test]
    fn newer_and_malformed_states_are_refused() {
        let (v, d) = upgrade(2, json!({"id": "x"}));
        assert!(v.is_none());
        assert!(d.contains("newer version of the provider"), "{d}");
        let (v, d) = upgrade(0, json!({"id": "x", "names": "a"}));
        assert!(v.is_none());
        assert!(d.contains("names is not a list"), "{d}");
        let (v, d) = upgrade(1, json!({"id": 3}));
        assert!(v.is_none());
        assert!(d.contains("does not fit the current schema"), "{d}");
    }
}
