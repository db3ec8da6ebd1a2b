//! The provider driven in-process as Terraform drives it: through tfplug's gRPC service
//! (`ProviderService`), with msgpack values, so schema validation, plan modifiers, the plan and
//! apply consistency rules and diagnostics with attribute paths are exercised as Terraform sees
//! them, but without a Terraform binary or a plugin process.
//!
//! [`Db`] is a fresh database of this run's backend (`IPAM_TEST_BACKEND`); [`Tf`] is one
//! provider configured on it for one account, as a provider block would configure it. What
//! Terraform computes itself (the proposed new state, the no-op decision, the read after an
//! import) is done here, in the few lines Terraform's own rules need.

use crate::pg;
use ipam::engine::Cidr;
use ipam::provider::IpamProvider;
use ipam::store::{Actor, Store};
use std::sync::Arc;
use tfplug::proto::tfplugin6 as pb;
use tfplug::proto::tfplugin6::provider_server::Provider as _;
use tfplug::schema::{Nesting, Schema};
use tfplug::server::ProviderService;
use tfplug::value::{from_msgpack, to_msgpack};
use tfplug::{Provider, Type, Value};

/// The account a [`Db::provider`] acts as unless a test names another.
pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn n(v: i64) -> Value {
    Value::number(v)
}

pub fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

pub fn strings(items: &[&str]) -> Value {
    Value::set(items.iter().map(|i| s(i)))
}

/// `operating_regions` blocks naming `regions`.
pub fn regions(names: &[&str]) -> Value {
    Value::set(names.iter().map(|r| Value::object([("region_name", s(r))])))
}

/// An object with the given attributes (a configuration: the harness fills in the rest).
pub fn obj(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().cloned())
}

/// The string attribute `name` of `v`, which must be there.
#[track_caller]
pub fn get(v: &Value, name: &str) -> String {
    v.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {name} in {v:?}"))
        .to_string()
}

/// The whole-number attribute `name` of `v`.
#[track_caller]
pub fn num(v: &Value, name: &str) -> i64 {
    v.get(name)
        .and_then(Value::as_number)
        .and_then(|n| n.to_i64())
        .unwrap_or_else(|| panic!("no number {name} in {v:?}"))
}

/// One diagnostic as Terraform receives it: the attribute path rendered as Terraform shows it
/// (`tags["team"]`, `operating_regions[0].region_name`), empty when it is on the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub error: bool,
    pub summary: String,
    pub detail: String,
    pub path: String,
}

/// The diagnostics of one call.
#[derive(Clone, Debug, Default)]
pub struct Diags(pub Vec<Diag>);

impl Diags {
    fn of(list: Vec<pb::Diagnostic>) -> Diags {
        Diags(list.into_iter().map(diag).collect())
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.error)
    }

    pub fn warnings(&self) -> Vec<&Diag> {
        self.0.iter().filter(|d| !d.error).collect()
    }

    /// The one error, which must be on `path` and whose summary and detail together contain
    /// every needle.
    #[track_caller]
    pub fn error_on(&self, path: &str, needles: &[&str]) -> &Diag {
        let errors: Vec<&Diag> = self.0.iter().filter(|d| d.error).collect();
        assert!(
            !errors.is_empty(),
            "expected an error on {path:?}: {self:#?}"
        );
        let d = errors
            .iter()
            .find(|d| d.path == path)
            .unwrap_or_else(|| panic!("no error on {path:?}: {self:#?}"));
        let text = format!("{}: {}", d.summary, d.detail);
        for n in needles {
            assert!(
                text.contains(n),
                "{n:?} not in the error on {path:?}: {text}"
            );
        }
        d
    }

    /// The first error whose summary and detail together contain every needle, wherever it
    /// is; for refusals that are about the resource as a whole.
    #[track_caller]
    pub fn error_with(&self, needles: &[&str]) -> &Diag {
        self.0
            .iter()
            .filter(|d| d.error)
            .find(|d| {
                let text = format!("{}: {}", d.summary, d.detail);
                needles.iter().all(|n| text.contains(n))
            })
            .unwrap_or_else(|| panic!("no error with {needles:?}: {self:#?}"))
    }
}

fn diag(d: pb::Diagnostic) -> Diag {
    use pb::attribute_path::step::Selector;
    let mut path = String::new();
    for (i, step) in d.attribute.iter().flat_map(|a| &a.steps).enumerate() {
        match &step.selector {
            Some(Selector::AttributeName(a)) if i == 0 => path.push_str(a),
            Some(Selector::AttributeName(a)) => path.push_str(&format!(".{a}")),
            Some(Selector::ElementKeyString(k)) => path.push_str(&format!("[{k:?}]")),
            Some(Selector::ElementKeyInt(k)) => path.push_str(&format!("[{k}]")),
            None => {}
        }
    }
    Diag {
        error: d.severity == pb::diagnostic::Severity::Error as i32,
        summary: d.summary,
        detail: d.detail,
        path,
    }
}

/// A fresh, empty database of this run's backend: a SQLite file in a temporary directory, or
/// a new database on the test process's own PostgreSQL server.
pub struct Db {
    pub location: String,
    _dir: tempfile::TempDir,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = match pg::backend() {
            pg::Backend::Sqlite => dir.path().join("ipam.db").display().to_string(),
            pg::Backend::Postgres => pg::cluster().new_database(),
        };
        Db {
            location,
            _dir: dir,
        }
    }

    /// The store itself, to set up or inspect what a test cannot reach through the provider.
    pub fn store(&self) -> Store {
        Store::open_database(
            &self.location,
            Cidr::parse("2001:db8::/32").unwrap(),
            std::time::Duration::from_secs(60),
        )
        .expect("open the store")
    }

    /// The sequence number of the newest audit event: every change the store makes is audited,
    /// so a refusal that leaves it as it was wrote nothing.
    pub fn last_audit_seq(&self) -> i64 {
        self.store()
            .audit_events(None, 1)
            .expect("read the audit log")
            .first()
            .map_or(0, |e| e.seq)
    }

    /// A provider acting as [`ACCOUNT`] in [`REGION`].
    pub fn provider(&self) -> Tf {
        self.provider_as(ACCOUNT)
    }

    /// A provider configured (ConfigureProvider) like `provider "ipam" { database, account_id,
    /// region }`.
    #[track_caller]
    pub fn provider_as(&self, account: &str) -> Tf {
        self.provider_with(account, &[])
    }

    /// [`Db::provider_as`] with more arguments of the provider block.
    #[track_caller]
    pub fn provider_with(&self, account: &str, extra: &[(&str, Value)]) -> Tf {
        let tf = Tf::new();
        let mut config = obj(&[
            ("database", s(&self.location)),
            ("account_id", s(account)),
            ("region", s(REGION)),
        ]);
        for (k, v) in extra {
            config.set_attr(k, v.clone());
        }
        let d = tf.configure(&config);
        assert!(!d.has_errors(), "configure: {d:#?}");
        tf
    }
}

/// The answer to a plan: what Terraform would show and keep for the apply.
#[derive(Clone, Debug)]
pub struct Planned {
    pub state: Value,
    /// The attributes whose change replaces the resource.
    pub replace: Vec<String>,
    pub private: Vec<u8>,
    pub diags: Diags,
}

/// One provider instance behind its gRPC service, as one Terraform run starts it.
pub struct Tf {
    service: ProviderService,
    provider: Arc<IpamProvider>,
    rt: tokio::runtime::Runtime,
}

impl Tf {
    /// A provider not configured yet (Terraform calls functions before configuring).
    pub fn new() -> Tf {
        let provider = Arc::new(IpamProvider::new());
        Tf {
            service: ProviderService::new(provider.clone()),
            provider,
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    pub fn configure(&self, config: &Value) -> Diags {
        let ty = self.provider.schema().value_type();
        let config = self.provider.schema().complete(config.clone());
        let r = self
            .rt
            .block_on(self.service.configure_provider(tonic::Request::new(
                pb::configure_provider::Request {
                    terraform_version: "1.15.5".into(),
                    config: dv(&config, &ty),
                    ..Default::default()
                },
            )))
            .expect("configure_provider")
            .into_inner();
        Diags::of(r.diagnostics)
    }

    pub fn schema(&self, type_name: &str) -> Schema {
        self.provider
            .resources()
            .into_iter()
            .find(|r| r.type_name() == type_name)
            .unwrap_or_else(|| panic!("no resource {type_name}"))
            .schema()
    }

    fn data_schema(&self, type_name: &str) -> Schema {
        self.provider
            .data_sources()
            .into_iter()
            .find(|d| d.type_name() == type_name)
            .unwrap_or_else(|| panic!("no data source {type_name}"))
            .schema()
    }

    /// ValidateResourceConfig, as `terraform validate` (and every plan) calls it.
    pub fn validate(&self, type_name: &str, config: &Value) -> Diags {
        let schema = self.schema(type_name);
        let config = complete(&schema, config);
        let r = self
            .rt
            .block_on(self.service.validate_resource_config(tonic::Request::new(
                pb::validate_resource_config::Request {
                    type_name: type_name.into(),
                    config: dv(&config, &schema.value_type()),
                    ..Default::default()
                },
            )))
            .expect("validate_resource_config")
            .into_inner();
        Diags::of(r.diagnostics)
    }

    /// Validate, then PlanResourceChange from `prior` (null for a create) to `config`: the
    /// diagnostics when either has an error.
    pub fn plan(&self, type_name: &str, prior: &Value, config: &Value) -> Result<Planned, Diags> {
        let d = self.validate(type_name, config);
        if d.has_errors() {
            return Err(d);
        }
        self.plan_only(type_name, prior, config, Vec::new())
    }

    fn plan_only(
        &self,
        type_name: &str,
        prior: &Value,
        config: &Value,
        prior_private: Vec<u8>,
    ) -> Result<Planned, Diags> {
        let schema = self.schema(type_name);
        let ty = schema.value_type();
        let config = if config.is_null() {
            Value::Null
        } else {
            complete(&schema, config)
        };
        let proposed = proposed_new(&schema, prior, &config);
        let r = self
            .rt
            .block_on(self.service.plan_resource_change(tonic::Request::new(
                pb::plan_resource_change::Request {
                    type_name: type_name.into(),
                    prior_state: dv(prior, &ty),
                    proposed_new_state: dv(&proposed, &ty),
                    config: dv(&config, &ty),
                    prior_private,
                    ..Default::default()
                },
            )))
            .expect("plan_resource_change")
            .into_inner();
        let diags = Diags::of(r.diagnostics);
        if diags.has_errors() {
            return Err(diags);
        }
        let state = value(r.planned_state.as_ref(), &ty);
        if !config.is_null() {
            if let Some(bad) = plan_valid(&schema, &state, &config) {
                panic!("{type_name}: Terraform would refuse this plan: {bad}");
            }
        }
        Ok(Planned {
            state,
            replace: r
                .requires_replace
                .into_iter()
                .map(|p| {
                    diag(pb::Diagnostic {
                        attribute: Some(p),
                        ..Default::default()
                    })
                    .path
                })
                .collect(),
            private: r.planned_private,
            diags,
        })
    }

    /// ApplyResourceChange of `planned` (from [`Tf::plan`]) over `prior`.
    pub fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Planned,
        config: &Value,
    ) -> Result<Value, Diags> {
        let schema = self.schema(type_name);
        let ty = schema.value_type();
        let config = if config.is_null() {
            Value::Null
        } else {
            complete(&schema, config)
        };
        let r = self
            .rt
            .block_on(self.service.apply_resource_change(tonic::Request::new(
                pb::apply_resource_change::Request {
                    type_name: type_name.into(),
                    prior_state: dv(prior, &ty),
                    planned_state: dv(&planned.state, &ty),
                    config: dv(&config, &ty),
                    planned_private: planned.private.clone(),
                    ..Default::default()
                },
            )))
            .expect("apply_resource_change")
            .into_inner();
        let diags = Diags::of(r.diagnostics);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(value(r.new_state.as_ref(), &ty))
    }

    /// Plan and apply a create; the error diagnostics of whichever refused.
    pub fn try_create(&self, type_name: &str, config: &Value) -> Result<Value, Diags> {
        let planned = self.plan(type_name, &Value::Null, config)?;
        assert!(planned.replace.is_empty(), "{:?}", planned.replace);
        self.apply(type_name, &Value::Null, &planned, config)
    }

    /// A create that must succeed; its state.
    #[track_caller]
    pub fn create(&self, type_name: &str, config: &Value) -> Value {
        self.try_create(type_name, config)
            .unwrap_or_else(|d| panic!("create {type_name}: {d:#?}"))
    }

    /// Plan and apply an update in place from `prior` to `config`, which must not replace.
    #[track_caller]
    pub fn update(&self, type_name: &str, prior: &Value, config: &Value) -> Value {
        let planned = self
            .plan(type_name, prior, config)
            .unwrap_or_else(|d| panic!("plan the update of {type_name}: {d:#?}"));
        assert!(
            planned.replace.is_empty(),
            "{type_name}: the update replaces on {:?}",
            planned.replace
        );
        assert_ne!(
            &planned.state, prior,
            "{type_name}: the update plans no change"
        );
        self.apply(type_name, prior, &planned, config)
            .unwrap_or_else(|d| panic!("apply the update of {type_name}: {d:#?}"))
    }

    /// ReadResource (a refresh): the new state, or None when the object is gone.
    pub fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, Diags> {
        let ty = self.schema(type_name).value_type();
        let r =
            self.rt
                .block_on(self.service.read_resource(tonic::Request::new(
                    pb::read_resource::Request {
                        type_name: type_name.into(),
                        current_state: dv(state, &ty),
                        ..Default::default()
                    },
                )))
                .expect("read_resource")
                .into_inner();
        let diags = Diags::of(r.diagnostics);
        if diags.has_errors() {
            return Err(diags);
        }
        let v = value(r.new_state.as_ref(), &ty);
        Ok((!v.is_null()).then_some(v))
    }

    /// What `terraform plan` right after an apply checks: the refresh finds the state as it
    /// was, and the plan from it to the same configuration is a no-op.
    #[track_caller]
    pub fn assert_no_changes(&self, type_name: &str, state: &Value, config: &Value) {
        let read = self
            .read(type_name, state)
            .unwrap_or_else(|d| panic!("read {type_name}: {d:#?}"))
            .unwrap_or_else(|| panic!("{type_name} is gone after apply"));
        assert_eq!(&read, state, "{type_name}: the refresh changed the state");
        self.assert_plan_empty(type_name, &read, config);
    }

    #[track_caller]
    fn assert_plan_empty(&self, type_name: &str, state: &Value, config: &Value) {
        let planned = self
            .plan(type_name, state, config)
            .unwrap_or_else(|d| panic!("plan {type_name}: {d:#?}"));
        assert!(planned.replace.is_empty(), "{type_name}: {planned:?}");
        assert_eq!(
            &planned.state, state,
            "{type_name}: the second plan is not empty"
        );
    }

    /// ImportResourceState by id, then the read Terraform does after it: the imported state.
    pub fn import(&self, type_name: &str, id: &str) -> Result<Value, Diags> {
        let ty = self.schema(type_name).value_type();
        let r = self
            .rt
            .block_on(self.service.import_resource_state(tonic::Request::new(
                pb::import_resource_state::Request {
                    type_name: type_name.into(),
                    id: id.into(),
                    ..Default::default()
                },
            )))
            .expect("import_resource_state")
            .into_inner();
        let diags = Diags::of(r.diagnostics);
        if diags.has_errors() {
            return Err(diags);
        }
        let imported = r
            .imported_resources
            .first()
            .unwrap_or_else(|| panic!("import of {id} answered nothing"));
        let state = value(imported.state.as_ref(), &ty);
        match self.read(type_name, &state)? {
            Some(v) => Ok(v),
            None => Err(Diags(vec![Diag {
                error: true,
                summary: "Cannot import non-existent remote object".into(),
                detail: String::new(),
                path: String::new(),
            }])),
        }
    }

    /// `terraform import` of `id` into a configuration `config`: the imported state must plan
    /// no change against it, and equal `state` (what the create wrote) but for `config_only`
    /// attributes, which an import cannot know.
    #[track_caller]
    pub fn assert_imports(&self, type_name: &str, id: &str, state: &Value, config: &Value) {
        let imported = self
            .import(type_name, id)
            .unwrap_or_else(|d| panic!("import {type_name} {id}: {d:#?}"));
        let schema = self.schema(type_name);
        let mut expected = state.clone();
        for a in schema.attributes.iter().filter(|a| a.config_only) {
            expected.set_attr(
                &a.name,
                imported.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
        for b in schema.blocks.iter().filter(|b| b.config_only) {
            expected.set_attr(
                &b.name,
                imported.get(&b.name).cloned().unwrap_or(Value::Null),
            );
        }
        // An import cannot know whether the configuration left a map out or wrote `{}`: Terraform
        // sees no change either way (the plan below checks that), so compare with both as null.
        assert_eq!(
            empty_maps_null(&imported),
            empty_maps_null(&expected),
            "{type_name}: the import differs"
        );
        // Config-only attributes planned from their defaults are what Terraform shows as an
        // update after an import; the resources here have none that differ.
        let planned = self
            .plan(type_name, &imported, config)
            .unwrap_or_else(|d| panic!("plan after import of {type_name}: {d:#?}"));
        assert!(planned.replace.is_empty(), "{type_name}: {planned:?}");
        let mut settled = imported.clone();
        for a in schema.attributes.iter().filter(|a| a.config_only) {
            settled.set_attr(
                &a.name,
                planned.state.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
        for b in schema.blocks.iter().filter(|b| b.config_only) {
            settled.set_attr(
                &b.name,
                planned.state.get(&b.name).cloned().unwrap_or(Value::Null),
            );
        }
        assert_eq!(
            planned.state, settled,
            "{type_name}: the plan after import changes more than config-only values"
        );
    }

    /// Plan the destroy (Terraform 1.3+ plans destroys too) and apply it.
    pub fn try_destroy(&self, type_name: &str, state: &Value) -> Result<(), Diags> {
        let planned = self.plan_only(type_name, state, &Value::Null, Vec::new())?;
        assert!(planned.state.is_null(), "a destroy plans null");
        self.apply(type_name, state, &planned, &Value::Null)
            .map(|_| ())
    }

    /// A destroy that must succeed, after which a refresh finds nothing.
    #[track_caller]
    pub fn destroy(&self, type_name: &str, state: &Value) {
        self.try_destroy(type_name, state)
            .unwrap_or_else(|d| panic!("destroy {type_name}: {d:#?}"));
        let after = self
            .read(type_name, state)
            .unwrap_or_else(|d| panic!("read {type_name} after destroy: {d:#?}"));
        assert_eq!(after, None, "{type_name} is still there after its destroy");
    }

    /// ValidateDataResourceConfig and ReadDataSource: the state, and the warnings.
    pub fn data(&self, type_name: &str, config: &Value) -> Result<(Value, Diags), Diags> {
        let schema = self.data_schema(type_name);
        let ty = schema.value_type();
        let config = complete(&schema, config);
        let v = self
            .rt
            .block_on(
                self.service
                    .validate_data_resource_config(tonic::Request::new(
                        pb::validate_data_resource_config::Request {
                            type_name: type_name.into(),
                            config: dv(&config, &ty),
                        },
                    )),
            )
            .expect("validate_data_resource_config")
            .into_inner();
        let d = Diags::of(v.diagnostics);
        if d.has_errors() {
            return Err(d);
        }
        let r = self
            .rt
            .block_on(self.service.read_data_source(tonic::Request::new(
                pb::read_data_source::Request {
                    type_name: type_name.into(),
                    config: dv(&config, &ty),
                    ..Default::default()
                },
            )))
            .expect("read_data_source")
            .into_inner();
        let diags = Diags::of(r.diagnostics);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok((value(r.state.as_ref(), &ty), diags))
    }

    /// CallFunction `provider::ipam::<name>`: the result, or the error text and the argument
    /// it names.
    pub fn call(&self, name: &str, args: &[(Value, Type)]) -> Result<Value, (Option<i64>, String)> {
        let f = self
            .provider
            .functions()
            .into_iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| panic!("no function {name}"));
        let r =
            self.rt
                .block_on(self.service.call_function(tonic::Request::new(
                    pb::call_function::Request {
                        name: name.into(),
                        arguments: args.iter().filter_map(|(v, t)| dv(v, t)).collect(),
                    },
                )))
                .expect("call_function")
                .into_inner();
        match (r.result, r.error) {
            (_, Some(e)) => Err((e.function_argument, e.text)),
            (Some(v), None) => Ok(from_msgpack(&v.msgpack, &f.return_type()).expect("result")),
            (None, None) => panic!("{name} answered neither a result nor an error"),
        }
    }
}

/// The actor of `account` in [`REGION`], for setting up through the store.
pub fn actor(account: &str) -> Actor {
    Actor::new(account, REGION)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: to_msgpack(v, ty).unwrap_or_else(|e| panic!("encode {v:?}: {e}")),
        json: Vec::new(),
    })
}

fn value(dv: Option<&pb::DynamicValue>, ty: &Type) -> Value {
    dv.map_or(Value::Null, |d| {
        from_msgpack(&d.msgpack, ty).expect("decode the provider's value")
    })
}

/// `v` with each empty top-level map as null.
fn empty_maps_null(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| match x {
                    Value::Map(e) if e.is_empty() => (k.clone(), Value::Null),
                    _ => (k.clone(), x.clone()),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A configuration as Terraform decodes it: every attribute present (null when not written),
/// every block a list, set or object, down through nested blocks.
pub fn complete(schema: &Schema, v: &Value) -> Value {
    let mut v = schema.complete(v.clone());
    for b in &schema.blocks {
        let Some(inner) = v.get(&b.name).cloned() else {
            continue;
        };
        let done = match (b.nesting, inner) {
            (Nesting::Single, Value::Null) => Value::Null,
            (Nesting::Single, o) => complete(&b.schema, &o),
            (Nesting::List, Value::List(items)) => {
                Value::List(items.iter().map(|i| complete(&b.schema, i)).collect())
            }
            (Nesting::Set, Value::Set(items) | Value::List(items)) => {
                Value::set(items.iter().map(|i| complete(&b.schema, i)))
            }
            (_, other) => other,
        };
        v.set_attr(&b.name, done);
    }
    v
}

/// Terraform's proposed new state: the configuration, with the prior state's value for every
/// computed attribute the configuration leaves null (nested blocks the same, element by
/// element, where they hold computed attributes).
fn proposed_new(schema: &Schema, prior: &Value, config: &Value) -> Value {
    if config.is_null() {
        return Value::Null;
    }
    let mut out = config.clone();
    for a in &schema.attributes {
        let configured = config.get(&a.name).is_some_and(|v| !v.is_null());
        if a.is_computed() && !configured {
            out.set_attr(&a.name, prior.get(&a.name).cloned().unwrap_or(Value::Null));
        }
    }
    for b in &schema.blocks {
        if !b.schema.attributes.iter().any(|a| a.is_computed()) {
            continue;
        }
        let c = config.get(&b.name).cloned().unwrap_or(Value::Null);
        let p = prior.get(&b.name).cloned().unwrap_or(Value::Null);
        let merged = match (b.nesting, c, p) {
            (Nesting::Single, c, p) if !c.is_null() => proposed_new(&b.schema, &p, &c),
            (Nesting::List, Value::List(cs), Value::List(ps)) => Value::List(
                cs.iter()
                    .enumerate()
                    .map(|(i, c)| proposed_new(&b.schema, ps.get(i).unwrap_or(&Value::Null), c))
                    .collect(),
            ),
            (_, c, _) => c,
        };
        out.set_attr(&b.name, merged);
    }
    out
}

/// Terraform's check of a plan against its configuration: a value the configuration sets must
/// be planned as written; `None` when the plan is valid.
fn plan_valid(schema: &Schema, planned: &Value, config: &Value) -> Option<String> {
    for a in &schema.attributes {
        let c = config.get(&a.name).unwrap_or(&Value::Null);
        let p = planned.get(&a.name).unwrap_or(&Value::Null);
        if !a.is_computed() && c != p {
            return Some(format!("{} is configured {c:?} but planned {p:?}", a.name));
        }
        if a.is_computed() && !c.is_null() && c != p {
            return Some(format!("{} is configured {c:?} but planned {p:?}", a.name));
        }
    }
    None
}

/// The platform most tests start from, made through the provider: an IPAM operating in
/// us-east-1 and eu-west-1, a top-level pool "top" with 10.0.0.0/8, and a child pool "prod"
/// with 10.1.0.0/16 (locale us-east-1, netmask 16..24, default 20, allocation tag
/// environment = "production" required).
pub struct Platform {
    pub tf: Tf,
    pub ipam: Value,
    /// The IPAM's private default scope.
    pub scope: String,
    pub top: String,
    pub prod: String,
}

pub const PROD_TAGS: &[(&str, &str)] = &[("environment", "production")];

impl Platform {
    pub fn new(db: &Db) -> Platform {
        let tf = db.provider();
        let ipam = tf.create(
            "ipam",
            &obj(&[("operating_regions", regions(&["us-east-1", "eu-west-1"]))]),
        );
        let scope = get(&ipam, "private_default_scope_id");
        let top = tf.create(
            "ipam_pool",
            &obj(&[
                ("ipam_scope_id", s(&scope)),
                ("address_family", s("ipv4")),
                ("description", s("top")),
            ]),
        );
        let top = get(&top, "id");
        tf.create(
            "ipam_pool_cidr",
            &obj(&[("ipam_pool_id", s(&top)), ("cidr", s("10.0.0.0/8"))]),
        );
        let prod = tf.create("ipam_pool", &prod_pool(&scope, &top));
        let prod = get(&prod, "id");
        tf.create(
            "ipam_pool_cidr",
            &obj(&[("ipam_pool_id", s(&prod)), ("cidr", s("10.1.0.0/16"))]),
        );
        Platform {
            tf,
            ipam,
            scope,
            top,
            prod,
        }
    }

    /// A configuration of an allocation from the production pool with its required tags and
    /// `extra` attributes.
    pub fn vpc(&self, extra: &[(&str, Value)]) -> Value {
        let mut v = obj(&[("ipam_pool_id", s(&self.prod)), ("tags", tags(PROD_TAGS))]);
        for (k, x) in extra {
            v.set_attr(k, x.clone());
        }
        v
    }
}

/// The configuration of the platform's production pool.
pub fn prod_pool(scope: &str, top: &str) -> Value {
    obj(&[
        ("ipam_scope_id", s(scope)),
        ("address_family", s("ipv4")),
        ("source_ipam_pool_id", s(top)),
        ("locale", s("us-east-1")),
        ("description", s("prod")),
        ("allocation_min_netmask_length", n(16)),
        ("allocation_max_netmask_length", n(24)),
        ("allocation_default_netmask_length", n(20)),
        ("allocation_resource_tags", tags(PROD_TAGS)),
    ])
}

/// Whether `s` is `prefix-` and 17 lowercase hex digits, as AWS's ids are.
pub fn is_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            h.len() == 17
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}
