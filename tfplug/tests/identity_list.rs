//! The identity and list-resource RPCs through the gRPC service, without Terraform: identity
//! schemas, identities in read, plan, apply and import (by id and by identity), and
//! ListResource's stream with ValidateListResourceConfig.

use std::sync::{Arc, Mutex};
use tfplug::proto::tfplugin6 as pb;
use tfplug::proto::tfplugin6::provider_server::Provider as _;
use tfplug::server::ProviderService;
use tfplug::value::{from_msgpack, to_msgpack};
use tfplug::{
    Attribute, Diagnostics, IdentityAttribute, IdentitySchema, ListItem, ListResource, Provider,
    Resource, Schema, Type, Value,
};
use tokio_stream::StreamExt;

/// Named things kept in memory: id = "thing-" + name.
#[derive(Default)]
struct Things(Mutex<Vec<String>>);

fn thing_schema() -> Schema {
    Schema::new()
        .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
        .attribute(Attribute::required("name", Type::String).requires_replace())
}

fn state(name: &str) -> Value {
    Value::object([
        ("id", Value::string(format!("thing-{name}"))),
        ("name", Value::string(name)),
    ])
}

struct Thing(Arc<Things>);

impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "demo_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    fn create(&self, planned: &Value, _: &mut Diagnostics) -> Option<Value> {
        let name = planned.get("name")?.as_str()?.to_string();
        self.0 .0.lock().unwrap().push(name.clone());
        Some(state(&name))
    }
    fn read(&self, prior: &Value, _: &mut Diagnostics) -> Option<Value> {
        let id = prior.get("id")?.as_str()?;
        let name = id.strip_prefix("thing-")?;
        self.0
             .0
            .lock()
            .unwrap()
            .iter()
            .any(|n| n == name)
            .then(|| state(name))
    }
    fn update(&self, _: &Value, planned: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(planned.clone())
    }
    fn delete(&self, _: &Value, _: &mut Diagnostics) {}
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(vec![IdentityAttribute::required(
            "id", "The id.",
        )]))
    }
}

struct ThingList(Arc<Things>);

impl ListResource for ThingList {
    fn type_name(&self) -> &'static str {
        "demo_thing"
    }
    fn schema(&self) -> Schema {
        Schema::new().attribute(Attribute::optional("prefix", Type::String))
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("prefix").and_then(Value::as_str) == Some("") {
            diags.error_at("prefix", "Empty prefix", "Leave prefix out instead.");
        }
    }
    fn list(&self, config: &Value, limit: usize, _: &mut Diagnostics) -> Vec<ListItem> {
        let prefix = config.get("prefix").and_then(Value::as_str).unwrap_or("");
        let things = self.0 .0.lock().unwrap();
        things
            .iter()
            .filter(|n| n.starts_with(prefix))
            .take(limit)
            .map(|n| ListItem {
                display_name: n.clone(),
                state: state(n),
            })
            .collect()
    }
}

struct Demo(Arc<Things>);

impl Provider for Demo {
    fn schema(&self) -> Schema {
        Schema::new()
    }
    fn configure(&self, _: &Value, _: &str, _: &mut Diagnostics) {}
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing(self.0.clone()))]
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(ThingList(self.0.clone()))]
    }
}

fn service() -> (ProviderService, Arc<Things>) {
    let things = Arc::new(Things::default());
    for n in ["alpha", "beta", "alder"] {
        things.0.lock().unwrap().push(n.into());
    }
    (ProviderService::new(Arc::new(Demo(things.clone()))), things)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: to_msgpack(v, ty).unwrap(),
        json: Vec::new(),
    })
}

fn id_type() -> Type {
    Type::object([("id", Type::String)])
}

fn identity_of(d: Option<&pb::ResourceIdentityData>) -> Value {
    let dv = d
        .and_then(|d| d.identity_data.as_ref())
        .expect("an identity");
    from_msgpack(&dv.msgpack, &id_type()).unwrap()
}

#[tokio::test]
async fn identities_flow_through_read_plan_apply_and_import() {
    let (s, _) = service();
    let schemas = s
        .get_resource_identity_schemas(tonic::Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let attrs = &schemas.identity_schemas["demo_thing"].identity_attributes;
    assert_eq!(attrs[0].name, "id");
    assert!(attrs[0].required_for_import);

    let ty = thing_schema().value_type();
    let read = s
        .read_resource(tonic::Request::new(pb::read_resource::Request {
            type_name: "demo_thing".into(),
            current_state: dv(&state("alpha"), &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let want = Value::object([("id", Value::string("thing-alpha"))]);
    assert_eq!(identity_of(read.new_identity.as_ref()), want);

    // A create's plan has no identity yet (its id is unknown); its apply has one.
    let config = Value::object([("id", Value::Null), ("name", Value::string("gamma"))]);
    let plan = s
        .plan_resource_change(tonic::Request::new(pb::plan_resource_change::Request {
            type_name: "demo_thing".into(),
            prior_state: dv(&Value::Null, &ty),
            proposed_new_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.planned_identity.is_none());
    let planned = from_msgpack(&plan.planned_state.unwrap().msgpack, &ty).unwrap();
    let apply = s
        .apply_resource_change(tonic::Request::new(pb::apply_resource_change::Request {
            type_name: "demo_thing".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        identity_of(apply.new_identity.as_ref()),
        Value::object([("id", Value::string("thing-gamma"))])
    );

    // Import by identity answers with that identity and the state to read from.
    let given = pb::ResourceIdentityData {
        identity_data: dv(&want, &id_type()),
    };
    let imported = s
        .import_resource_state(tonic::Request::new(pb::import_resource_state::Request {
            type_name: "demo_thing".into(),
            id: String::new(),
            identity: Some(given.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let r = &imported.imported_resources[0];
    assert_eq!(r.identity, Some(given));
    let st = from_msgpack(&r.state.as_ref().unwrap().msgpack, &ty).unwrap();
    assert_eq!(st.get("id"), Some(&Value::string("thing-alpha")));

    // Import by id: the identity of what the id names.
    let imported = s
        .import_resource_state(tonic::Request::new(pb::import_resource_state::Request {
            type_name: "demo_thing".into(),
            id: "thing-beta".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        identity_of(imported.imported_resources[0].identity.as_ref()),
        Value::object([("id", Value::string("thing-beta"))])
    );
}

#[tokio::test]
async fn list_resource_streams_identities_and_objects() {
    let (s, _) = service();
    let meta = s
        .get_metadata(tonic::Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.list_resources[0].type_name, "demo_thing");
    let schema = s
        .get_provider_schema(tonic::Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.list_resource_schemas.contains_key("demo_thing"));

    let cty = Type::object([("prefix", Type::String)]);
    let config = Value::object([("prefix", Value::string("al"))]);
    let mut stream = s
        .list_resource(tonic::Request::new(pb::list_resource::Request {
            type_name: "demo_thing".into(),
            config: dv(&config, &cty),
            include_resource_object: true,
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner();
    let mut names = Vec::new();
    while let Some(ev) = stream.next().await {
        let ev = ev.unwrap();
        assert!(ev.diagnostic.is_empty());
        let id = identity_of(ev.identity.as_ref());
        assert_eq!(
            id.get("id"),
            Some(&Value::string(format!("thing-{}", ev.display_name)))
        );
        assert!(ev.resource_object.is_some());
        names.push(ev.display_name);
    }
    assert_eq!(names, ["alpha", "alder"]);

    // The limit, and no objects unless asked.
    let mut stream = s
        .list_resource(tonic::Request::new(pb::list_resource::Request {
            type_name: "demo_thing".into(),
            config: dv(&Value::object([("prefix", Value::Null)]), &cty),
            include_resource_object: false,
            limit: 2,
        }))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(ev) = stream.next().await {
        assert!(ev.unwrap().resource_object.is_none());
        n += 1;
    }
    assert_eq!(n, 2);

    let bad = Value::object([("prefix", Value::string(""))]);
    let v = s
        .validate_list_resource_config(tonic::Request::new(
            pb::validate_list_resource_config::Request {
                type_name: "demo_thing".into(),
                config: dv(&bad, &cty),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics[0].summary, "Empty prefix");
    // Listing with a bad configuration is one event with the error, no objects.
    let mut stream = s
        .list_resource(tonic::Request::new(pb::list_resource::Request {
            type_name: "demo_thing".into(),
            config: dv(&bad, &cty),
            include_resource_object: true,
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner();
    let ev = stream.next().await.unwrap().unwrap();
    assert_eq!(ev.diagnostic[0].summary, "Empty prefix");
    assert!(stream.next().await.is_none());
}
