//! A tiny provider on tfplug, used by the SDK's own end-to-end tests: resource `demo_item`
//! stored as JSON files in the directory named by the provider's `dir` argument (Terraform
//! starts a new provider process per command, so state must outlive the process).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tfplug::{Attribute, Diagnostics, Plan, Provider, Resource, Schema, ServeConfig, Type, Value};

#[derive(Default)]
struct Demo {
    dir: Arc<Mutex<Option<PathBuf>>>,
}

impl Provider for Demo {
    fn schema(&self) -> Schema {
        Schema::new().attribute(Attribute::required("dir", Type::String))
    }

    fn configure(&self, config: &Value, _: &str, diags: &mut Diagnostics) {
        match config.get("dir").and_then(Value::as_str) {
            Some(d) => *self.dir.lock().unwrap() = Some(PathBuf::from(d)),
            None => diags.error_at("dir", "dir must be known", ""),
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Item {
            dir: self.dir.clone(),
        })]
    }
}

struct Item {
    dir: Arc<Mutex<Option<PathBuf>>>,
}

impl Item {
    fn file(&self, id: &str) -> PathBuf {
        self.dir
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_default()
            .join(format!("{id}.json"))
    }

    fn save(&self, v: &Value) -> Option<Value> {
        let id = v.get("id")?.as_str()?.to_string();
        let json = tfplug::value::to_json(v, &self.schema().value_type()).ok()?;
        std::fs::write(self.file(&id), json.to_string()).ok()?;
        Some(v.clone())
    }
}

impl Resource for Item {
    fn type_name(&self) -> &'static str {
        "demo_item"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("note", Type::String))
            .attribute(Attribute::optional_computed("size", Type::Number))
            .attribute(Attribute::computed("revision", Type::Number))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("name").and_then(Value::as_str) == Some("") {
            diags.error_at("name", "name must not be empty", "Give the item a name.");
        }
    }

    fn modify_plan(&self, plan: &mut Plan<'_>) {
        if plan.is_create() && plan.get("size").is_unknown() {
            plan.set("size", Value::number(42));
        }
    }

    fn create(&self, planned: &Value, _: &mut Diagnostics) -> Option<Value> {
        let mut v = planned.clone();
        let name = v.get("name")?.as_str()?.to_string();
        v.set_attr("id", Value::string(format!("item-{name}")));
        v.set_attr("revision", Value::number(1));
        self.save(&v)
    }

    fn read(&self, state: &Value, _: &mut Diagnostics) -> Option<Value> {
        let id = state.get("id")?.as_str()?;
        let text = std::fs::read_to_string(self.file(id)).ok()?;
        let json = serde_json::from_str(&text).ok()?;
        tfplug::value::from_json(&json, &self.schema().value_type()).ok()
    }

    fn update(&self, prior: &Value, planned: &Value, _: &mut Diagnostics) -> Option<Value> {
        let mut v = planned.clone();
        let rev = prior.get("revision")?.as_number()?.to_i64()? + 1;
        v.set_attr("revision", Value::number(rev));
        if v.get("size").is_some_and(Value::is_unknown) {
            v.set_attr("size", prior.get("size").cloned().unwrap_or(Value::Null));
        }
        self.save(&v)
    }

    fn delete(&self, prior: &Value, _: &mut Diagnostics) {
        if let Some(id) = prior.get("id").and_then(Value::as_str) {
            let _ = std::fs::remove_file(self.file(id));
        }
    }
}

fn main() -> std::process::ExitCode {
    tfplug::serve(
        Arc::new(Demo::default()),
        ServeConfig {
            address: "registry.terraform.io/local/demo".into(),
            debug: std::env::args().any(|a| a == "--debug"),
            hint: None,
        },
    )
}
