//! The traits a provider implements. Methods are synchronous: the server runs each call on a
//! blocking thread, so a provider may do blocking I/O (a SQLite transaction, say) directly.

use crate::diagnostics::Diagnostics;
use crate::path::AttributePath;
use crate::schema::Schema;
use crate::value::{Type, Value};
use std::sync::Arc;

pub trait Provider: Send + Sync + 'static {
    /// The provider block's schema.
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Called once per Terraform command before any resource call. `config` may hold unknown
    /// values when it refers to resources not yet created.
    fn configure(&self, config: &Value, terraform_version: &str, diags: &mut Diagnostics);

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// List resources for `terraform query` (Terraform 1.14 and later).
    fn list_resources(&self) -> Vec<Arc<dyn crate::list::ListResource>> {
        Vec::new()
    }
}

/// A plan in the making, handed to [`Resource::modify_plan`] after tfplug's default rules.
pub struct Plan<'a> {
    /// Null when the resource is being created.
    pub prior: &'a Value,
    /// Null when the resource is being destroyed.
    pub config: &'a Value,
    /// Null when the resource is being destroyed.
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
    /// The provider's private data for this change: Terraform keeps it with the plan and hands
    /// it back to the apply ([`Resource::delete_planned`] for a destroy).
    pub private: Vec<u8>,
}

impl Plan<'_> {
    pub fn is_create(&self) -> bool {
        self.prior.is_null() && !self.planned.is_null()
    }

    pub fn is_destroy(&self) -> bool {
        self.planned.is_null()
    }

    /// The planned value of a top-level attribute (Null when absent).
    pub fn get(&self, attr: &str) -> &Value {
        self.planned.get(attr).unwrap_or(&Value::Null)
    }

    pub fn set(&mut self, attr: &str, v: Value) {
        self.planned.set_attr(attr, v);
    }
}

pub trait Resource: Send + Sync {
    /// The full type name, e.g. `ipam_pool`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks a configuration on its own (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines the default plan: compute values known at plan time, reject what apply would
    /// reject. Destroys are planned here too (`planned` null): a refusal shows at plan time,
    /// and [`Plan::private`] may carry a note to the destroy's apply. Terraform does not ask
    /// again at apply, so refusals of a destroy also belong in `delete`.
    fn modify_plan(&self, _plan: &mut Plan<'_>) {}

    /// Creates the resource; returns its whole new state (every unknown planned value filled).
    fn create(&self, planned: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Reads the resource as it is now. `None` with no error diagnostic means it is gone
    /// (Terraform then plans to create it again); `None` with an error keeps the prior state.
    fn read(&self, state: &Value, diags: &mut Diagnostics) -> Option<Value>;

    fn update(&self, prior: &Value, planned: &Value, diags: &mut Diagnostics) -> Option<Value>;

    fn delete(&self, prior: &Value, diags: &mut Diagnostics);

    /// [`Resource::delete`] with the private data its destroy plan left
    /// ([`Plan::private`]); by default the private data is not needed.
    fn delete_planned(&self, prior: &Value, _private: &[u8], diags: &mut Diagnostics) {
        self.delete(prior, diags)
    }

    /// The state to start from when importing `id`; Terraform then calls `read`. By default an
    /// object holding only `id`.
    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Value> {
        Some(Value::object([("id", Value::string(id))]))
    }

    /// The resource's identity (Terraform 1.12 and later): attributes of its state that name
    /// the remote object. tfplug derives identities from states.
    fn identity_schema(&self) -> Option<crate::identity::IdentitySchema> {
        None
    }

    /// The state to start from when importing by identity; Terraform then calls `read`. By
    /// default the identity's `id`, imported as by [`Resource::import`].
    fn import_identity(&self, identity: &Value, diags: &mut Diagnostics) -> Option<Value> {
        match identity.get("id").and_then(Value::as_str) {
            Some(id) => self.import(id, diags),
            None => {
                diags.error(
                    "Cannot import by identity",
                    "The identity gives no id: add id to the import block's identity.",
                );
                None
            }
        }
    }

    /// Rewrites a state (JSON, as Terraform stores it) written under an older schema `version`
    /// into the current schema's shape; `Err` says why it cannot. Runs only when `version` is
    /// below [`Schema::version`] (see [`crate::upgrade`]). By default the state is kept as is.
    fn upgrade_state(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        Ok(state)
    }
}

pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Returns the whole object: configuration plus computed attributes.
    fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// One positional parameter of a provider function.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub allow_null: bool,
    pub allow_unknown: bool,
}

impl Parameter {
    pub fn new(name: &str, ty: Type, description: &str) -> Self {
        Parameter {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            allow_null: false,
            allow_unknown: false,
        }
    }
}

/// A function call that failed; `argument` is the 0-based index of the argument at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub argument: Option<usize>,
    pub message: String,
}

impl FunctionError {
    pub fn argument(index: usize, message: impl Into<String>) -> Self {
        FunctionError {
            argument: Some(index),
            message: message.into(),
        }
    }
}

pub trait Function: Send + Sync {
    /// The name after `provider::<provider>::`.
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn parameters(&self) -> Vec<Parameter>;
    fn variadic(&self) -> Option<Parameter> {
        None
    }
    fn return_type(&self) -> Type;
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
