//! The tfplugin6.Provider gRPC service: decodes requests, applies the planning rules, calls the
//! provider's traits on a blocking thread, and encodes the answers.

use crate::diagnostics::Diagnostics;
use crate::identity::IdentitySchema;
use crate::list::ListResource;
use crate::plan::{check_apply, default_plan};
use crate::proto::{self, tfplugin6 as pb};
use crate::provider::{DataSource, Function, Plan, Provider, Resource};
use crate::rules;
use crate::schema::Schema;
use crate::value::{from_json, from_msgpack, to_msgpack, Type, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tonic::{Request, Response, Status};

struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl crate::identity::HasResource for Typed<dyn Resource> {
    fn resource(&self) -> &dyn Resource {
        self.imp.as_ref()
    }
}

impl<T: ?Sized> Clone for Typed<T> {
    fn clone(&self) -> Self {
        Typed {
            imp: self.imp.clone(),
            schema: self.schema.clone(),
            ty: self.ty.clone(),
        }
    }
}

/// Everything the service needs, built once: schemas are computed a single time.
pub struct Inner {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    resources: HashMap<&'static str, Typed<dyn Resource>>,
    data_sources: HashMap<&'static str, Typed<dyn DataSource>>,
    functions: HashMap<&'static str, Arc<dyn Function>>,
    /// Identity schemas of the resources that have one.
    identities: HashMap<&'static str, IdentitySchema>,
    lists: HashMap<&'static str, Typed<dyn ListResource>>,
}

#[derive(Clone)]
pub struct ProviderService {
    inner: Arc<Inner>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let ty = schema.value_type();
                (r.type_name(), Typed { imp: r, schema, ty })
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                let ty = schema.value_type();
                (d.type_name(), Typed { imp: d, schema, ty })
            })
            .collect();
        let functions = provider
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        let provider_schema = provider.schema();
        let identities = crate::identity::of_resources(&resources);
        let lists = provider
            .list_resources()
            .into_iter()
            .map(|l| {
                let schema = l.schema();
                let ty = schema.value_type();
                (l.type_name(), Typed { imp: l, schema, ty })
            })
            .collect();
        ProviderService {
            inner: Arc::new(Inner {
                provider,
                provider_schema,
                resources,
                data_sources,
                functions,
                identities,
                lists,
            }),
        }
    }
}

/// Runs provider code on a blocking thread: providers do synchronous I/O (SQLite may wait for
/// another process's write lock), which must not stall the async workers. Logs each call's
/// duration at debug level (TF_LOG_PROVIDER=debug) for profiling.
async fn blocking<T: Send + 'static>(
    rpc: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Status> {
    let queued = std::time::Instant::now();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let out = f();
        tracing::debug!(
            rpc,
            queued_us = (started - queued).as_micros() as u64,
            run_us = started.elapsed().as_micros() as u64,
            "provider call"
        );
        out
    })
    .await
    .map_err(|e| Status::internal(format!("provider call failed: {e}")))
}

fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else {
        return Ok(Value::Null);
    };
    let r = if !dv.msgpack.is_empty() {
        from_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        serde_json::from_slice::<serde_json::Value>(&dv.json)
            .map_err(|e| crate::value::ValueError::BadType(e.to_string()))
            .and_then(|j| from_json(&j, ty))
    } else {
        Ok(Value::Null)
    };
    r.map_err(|e| {
        Diagnostics::of_error(
            format!("Invalid {what}"),
            format!("Terraform sent a value the provider could not read: {e}"),
        )
    })
}

fn encode(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match to_msgpack(v, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                "Provider bug: value does not match its schema",
                format!("The provider produced a value it could not encode: {e}"),
            );
            None
        }
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::of_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} named {name:?}."),
    )
}

impl Inner {
    fn resource(&self, name: &str) -> Result<Typed<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", name))
    }

    /// The identity of `state` for a resource type that has one.
    fn identity(&self, type_name: &str, state: &Value) -> Option<pb::ResourceIdentityData> {
        self.identities.get(type_name)?.encode(state)
    }

    /// The identity an import was given (null when it gave an id instead).
    fn given_identity(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
    ) -> Result<Value, Diagnostics> {
        match self.identities.get(type_name) {
            None if data.is_some_and(|d| d.identity_data.is_some()) => Err(Diagnostics::of_error(
                "Cannot import by identity",
                format!("{type_name} has no identity; import it by id."),
            )),
            None => Ok(Value::Null),
            Some(s) => s.decode(data).map_err(|e| {
                Diagnostics::of_error(
                    "Invalid identity",
                    format!("Terraform sent an identity the provider could not read: {e}"),
                )
            }),
        }
    }

    fn list(&self, name: &str) -> Result<Typed<dyn ListResource>, Diagnostics> {
        self.lists
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("list resource", name))
    }

    fn data_source(&self, name: &str) -> Result<Typed<dyn DataSource>, Diagnostics> {
        self.data_sources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("data source", name))
    }
}

/// A Read or apply result must be wholly known; say which attribute is not.
fn check_known(v: &Value, diags: &mut Diagnostics, during: &str) {
    if let Value::Object(m) = v {
        for (k, a) in m {
            if !a.is_wholly_known() {
                diags.error_at(
                    k.as_str(),
                    "Provider bug: unknown value after ".to_string() + during,
                    format!("The provider left {k} unknown after {during}."),
                );
            }
        }
    }
}

macro_rules! try_diags {
    ($e:expr, $resp:expr) => {
        match $e {
            Ok(v) => v,
            Err(d) => {
                let mut r = $resp;
                r.diagnostics = proto::diagnostics(&d);
                return Ok(Response::new(r));
            }
        }
    };
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let i = &self.inner;
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: vec![],
            data_sources: i
                .data_sources
                .keys()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            resources: i
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            functions: i
                .functions
                .keys()
                .map(|n| pb::get_metadata::FunctionMetadata {
                    name: n.to_string(),
                })
                .collect(),
            list_resources: i
                .lists
                .keys()
                .map(|n| pb::get_metadata::ListResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let i = &self.inner;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(proto::schema(&i.provider_schema)),
            resource_schemas: i
                .resources
                .iter()
                .map(|(n, r)| (n.to_string(), proto::schema(&r.schema)))
                .collect(),
            data_source_schemas: i
                .data_sources
                .iter()
                .map(|(n, d)| (n.to_string(), proto::schema(&d.schema)))
                .collect(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(capabilities()),
            functions: i
                .functions
                .iter()
                .map(|(n, f)| (n.to_string(), proto::function(f.as_ref())))
                .collect(),
            list_resource_schemas: i
                .lists
                .iter()
                .map(|(n, l)| (n.to_string(), proto::schema(&l.schema)))
                .collect(),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("validate_provider_config", move || {
            let ty = inner.provider_schema.value_type();
            let mut diags = Diagnostics::new();
            match decode(req.config.as_ref(), &ty, "provider configuration") {
                Ok(config) => {
                    rules::validate(&inner.provider_schema, &config, &mut diags);
                    inner.provider.validate(&config, &mut diags);
                }
                Err(d) => diags = d,
            }
            Response::new(pb::validate_provider_config::Response {
                diagnostics: proto::diagnostics(&diags),
            })
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("validate_resource_config", move || {
            let empty = pb::validate_resource_config::Response::default();
            let r = try_diags!(inner.resource(&req.type_name), empty);
            let config = try_diags!(decode(req.config.as_ref(), &r.ty, "configuration"), empty);
            let mut diags = Diagnostics::new();
            rules::validate(&r.schema, &config, &mut diags);
            r.imp.validate(&config, &mut diags);
            Ok(Response::new(pb::validate_resource_config::Response {
                diagnostics: proto::diagnostics(&diags),
            }))
        })
        .await?
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("validate_data_resource_config", move || {
            let empty = pb::validate_data_resource_config::Response::default();
            let d = try_diags!(inner.data_source(&req.type_name), empty);
            let config = try_diags!(decode(req.config.as_ref(), &d.ty, "configuration"), empty);
            let mut diags = Diagnostics::new();
            rules::validate(&d.schema, &config, &mut diags);
            d.imp.validate(&config, &mut diags);
            Ok(Response::new(pb::validate_data_resource_config::Response {
                diagnostics: proto::diagnostics(&diags),
            }))
        })
        .await?
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        let empty = pb::upgrade_resource_state::Response::default();
        let r = try_diags!(inner.resource(&req.type_name), empty);
        let raw = req.raw_state.unwrap_or_default();
        let mut diags = Diagnostics::new();
        let value = if !raw.json.is_empty() {
            crate::upgrade::upgrade_json(
                &r.schema,
                r.imp.as_ref(),
                req.version,
                &raw.json,
                &mut diags,
            )
            .unwrap_or(Value::Null)
        } else if !raw.flatmap.is_empty() {
            diags.error(
                "Cannot upgrade resource state",
                "The state is in the flatmap format of Terraform 0.11 and earlier, which this provider never wrote.",
            );
            Value::Null
        } else {
            Value::Null
        };
        let upgraded_state = if diags.has_errors() {
            None
        } else {
            encode(&r.schema.complete(value), &r.ty, &mut diags)
        };
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: proto::diagnostics(&diags),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .inner
                .identities
                .iter()
                .map(|(n, i)| (n.to_string(), i.to_proto()))
                .collect(),
            diagnostics: vec![],
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("configure_provider", move || {
            let ty = inner.provider_schema.value_type();
            let mut diags = Diagnostics::new();
            match decode(req.config.as_ref(), &ty, "provider configuration") {
                Ok(config) => inner
                    .provider
                    .configure(&config, &req.terraform_version, &mut diags),
                Err(d) => diags = d,
            }
            Response::new(pb::configure_provider::Response {
                diagnostics: proto::diagnostics(&diags),
            })
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("read_resource", move || {
            let empty = pb::read_resource::Response::default();
            let r = try_diags!(inner.resource(&req.type_name), empty);
            let state = try_diags!(decode(req.current_state.as_ref(), &r.ty, "state"), empty);
            let mut diags = Diagnostics::new();
            let new_state = if state.is_null() {
                Value::Null
            } else {
                match r.imp.read(&state, &mut diags) {
                    Some(v) => {
                        let mut v = r.schema.complete(v);
                        rules::settle(&r.schema, &mut v, &state);
                        check_known(&v, &mut diags, "read");
                        v
                    }
                    None if diags.has_errors() => state,
                    None => Value::Null,
                }
            };
            let new_identity = inner.identity(&req.type_name, &new_state);
            let new_state = encode(&new_state, &r.ty, &mut diags);
            Ok(Response::new(pb::read_resource::Response {
                new_state,
                diagnostics: proto::diagnostics(&diags),
                private: req.private,
                deferred: None,
                new_identity,
            }))
        })
        .await?
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("plan_resource_change", move || {
            let empty = pb::plan_resource_change::Response::default();
            let r = try_diags!(inner.resource(&req.type_name), empty);
            let prior = try_diags!(
                decode(req.prior_state.as_ref(), &r.ty, "prior state"),
                empty
            );
            let proposed = try_diags!(
                decode(req.proposed_new_state.as_ref(), &r.ty, "proposed state"),
                empty
            );
            let config = try_diags!(decode(req.config.as_ref(), &r.ty, "configuration"), empty);
            let (planned, requires_replace) = default_plan(&r.schema, &prior, &proposed, &config);
            let mut plan = Plan {
                prior: &prior,
                config: &config,
                planned,
                requires_replace,
                diagnostics: Diagnostics::new(),
                private: req.prior_private.clone(),
            };
            r.imp.modify_plan(&mut plan);
            if !plan.planned.is_null() {
                rules::keep_config_spelling(&r.schema, &mut plan.planned, &config);
            }
            let mut diags = plan.diagnostics;
            let planned_identity = inner.identity(&req.type_name, &plan.planned);
            let planned_state = encode(&plan.planned, &r.ty, &mut diags);
            Ok(Response::new(pb::plan_resource_change::Response {
                planned_state,
                requires_replace: plan.requires_replace.iter().map(proto::path).collect(),
                planned_private: plan.private,
                diagnostics: proto::diagnostics(&diags),
                legacy_type_system: false,
                deferred: None,
                planned_identity,
            }))
        })
        .await?
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("apply_resource_change", move || {
            let empty = pb::apply_resource_change::Response::default();
            let r = try_diags!(inner.resource(&req.type_name), empty);
            let prior = try_diags!(decode(req.prior_state.as_ref(), &r.ty, "prior state"), empty);
            let planned =
                try_diags!(decode(req.planned_state.as_ref(), &r.ty, "planned state"), empty);
            let mut diags = Diagnostics::new();
            let new_state = if planned.is_null() {
                r.imp.delete_planned(&prior, &req.planned_private, &mut diags);
                if diags.has_errors() {
                    prior
                } else {
                    Value::Null
                }
            } else {
                let result = if prior.is_null() {
                    r.imp.create(&planned, &mut diags)
                } else {
                    r.imp.update(&prior, &planned, &mut diags)
                };
                match result {
                    Some(v) => {
                        let mut v = r.schema.complete(v);
                        rules::settle(&r.schema, &mut v, &planned);
                        if let Some((path, why)) = check_apply(&planned, &v) {
                            diags.error_at(
                                path.clone(),
                                "Provider bug: apply result differs from the plan",
                                format!("{path} {why}. Please report this to the provider's maintainers."),
                            );
                        }
                        v
                    }
                    None if prior.is_null() => Value::Null,
                    None => prior,
                }
            };
            let new_identity = inner.identity(&req.type_name, &new_state);
            let new_state = encode(&new_state, &r.ty, &mut diags);
            Ok(Response::new(pb::apply_resource_change::Response {
                new_state,
                private: req.planned_private,
                diagnostics: proto::diagnostics(&diags),
                legacy_type_system: false,
                new_identity,
            }))
        })
        .await?
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("import_resource_state", move || {
            let empty = pb::import_resource_state::Response::default();
            let r = try_diags!(inner.resource(&req.type_name), empty);
            let mut diags = Diagnostics::new();
            let mut imported_resources = Vec::new();
            let given = try_diags!(
                inner.given_identity(&req.type_name, req.identity.as_ref()),
                empty
            );
            let imported = if given.is_null() {
                r.imp.import(&req.id, &mut diags)
            } else {
                r.imp.import_identity(&given, &mut diags)
            };
            if let Some(v) = imported {
                if !diags.has_errors() {
                    let v = r.schema.complete(v);
                    // Importing by identity answers with the identity asked for; by id, with
                    // what the id says (the read that follows completes it).
                    let identity = if given.is_null() {
                        inner.identity(&req.type_name, &v)
                    } else {
                        req.identity.clone()
                    };
                    let state = encode(&v, &r.ty, &mut diags);
                    imported_resources.push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state,
                        private: Vec::new(),
                        identity,
                    });
                }
            }
            Ok(Response::new(pb::import_resource_state::Response {
                imported_resources,
                diagnostics: proto::diagnostics(&diags),
                deferred: None,
            }))
        })
        .await?
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let d = Diagnostics::of_error(
            "Moving resource state is not supported",
            format!(
                "This provider cannot move {} state into {}: remove the old resource from the state and import the new one instead.",
                req.source_type_name, req.target_type_name
            ),
        );
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: proto::diagnostics(&d),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("read_data_source", move || {
            let empty = pb::read_data_source::Response::default();
            let d = try_diags!(inner.data_source(&req.type_name), empty);
            let config = try_diags!(decode(req.config.as_ref(), &d.ty, "configuration"), empty);
            let mut diags = Diagnostics::new();
            let state = match d.imp.read(&config, &mut diags) {
                Some(v) if !diags.has_errors() => {
                    let mut v = d.schema.complete(v);
                    rules::settle_data_source(&d.schema, &mut v, &config);
                    check_known(&v, &mut diags, "read");
                    encode(&v, &d.ty, &mut diags)
                }
                _ => None,
            };
            Ok(Response::new(pb::read_data_source::Response {
                state,
                diagnostics: proto::diagnostics(&diags),
                deferred: None,
            }))
        })
        .await?
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self
                .inner
                .functions
                .iter()
                .map(|(n, f)| (n.to_string(), proto::function(f.as_ref())))
                .collect(),
            diagnostics: vec![],
        }))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("call_function", move || {
            let fail = |argument: Option<usize>, text: String| pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text,
                    function_argument: argument.map(|a| a as i64),
                }),
            };
            let Some(f) = inner.functions.get(req.name.as_str()).cloned() else {
                return Response::new(fail(None, format!("no function named {:?}", req.name)));
            };
            let params = f.parameters();
            let variadic = f.variadic();
            let mut args = Vec::with_capacity(req.arguments.len());
            for (i, dv) in req.arguments.iter().enumerate() {
                let Some(p) = params.get(i).or(variadic.as_ref()) else {
                    return Response::new(fail(
                        None,
                        format!("{} takes {} arguments", req.name, params.len()),
                    ));
                };
                match decode(Some(dv), &p.ty, "argument") {
                    Ok(v) if v.is_null() && !p.allow_null => {
                        return Response::new(fail(Some(i), format!("{} must not be null", p.name)))
                    }
                    Ok(v) => args.push(v),
                    Err(_) => {
                        return Response::new(fail(
                            Some(i),
                            format!("{} has the wrong type", p.name),
                        ))
                    }
                }
            }
            match f.call(&args) {
                Ok(v) => {
                    let mut diags = Diagnostics::new();
                    match encode(&v, &f.return_type(), &mut diags) {
                        Some(result) => Response::new(pb::call_function::Response {
                            result: Some(result),
                            error: None,
                        }),
                        None => Response::new(fail(
                            None,
                            "the function produced a value of the wrong type".into(),
                        )),
                    }
                }
                Err(e) => Response::new(fail(e.argument, e.message)),
            }
        })
        .await
    }

    type ListResourceStream = crate::list::EventStream;

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        let events = blocking("list_resource", move || {
            let r = inner.resource(&req.type_name);
            let l = inner.list(&req.type_name);
            let identity = inner.identities.get(req.type_name.as_str());
            match (l, r, identity) {
                (Ok(l), Ok(r), Some(identity)) => {
                    match decode(req.config.as_ref(), &l.ty, "list configuration") {
                        Ok(config) => {
                            let mut diags = Diagnostics::new();
                            rules::validate(&l.schema, &config, &mut diags);
                            l.imp.validate(&config, &mut diags);
                            let limit = usize::try_from(req.limit).unwrap_or(usize::MAX);
                            let items = if diags.has_errors() {
                                Vec::new()
                            } else {
                                l.imp.list(&config, limit, &mut diags)
                            };
                            crate::list::events(
                                items,
                                &r.schema,
                                &r.ty,
                                identity,
                                req.include_resource_object,
                                &diags,
                            )
                        }
                        Err(d) => crate::list::failed(&d),
                    }
                }
                (Err(d), _, _) | (_, Err(d), _) => crate::list::failed(&d),
                (_, _, None) => {
                    crate::list::failed(&unknown_type("resource identity", &req.type_name))
                }
            }
        })
        .await?;
        Ok(Response::new(crate::list::stream(events)))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        let req = req.into_inner();
        blocking("validate_list_resource_config", move || {
            let empty = pb::validate_list_resource_config::Response::default();
            let l = try_diags!(inner.list(&req.type_name), empty);
            let config = try_diags!(
                decode(req.config.as_ref(), &l.ty, "list configuration"),
                empty
            );
            let mut diags = Diagnostics::new();
            rules::validate(&l.schema, &config, &mut diags);
            l.imp.validate(&config, &mut diags);
            Ok(Response::new(pb::validate_list_resource_config::Response {
                diagnostics: proto::diagnostics(&diags),
            }))
        })
        .await?
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

/// Destroy plans: Terraform calls PlanResourceChange for each destroyed resource too, so a
/// provider learns at plan time what the run will remove (and may leave itself a note in
/// [`Plan::private`] for the apply, as a pool CIDR does about what it may release).
/// The schema is optional: Terraform starts the provider several times per command, and with
/// this capability it decodes the schema once and reuses it for every later instance.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}
