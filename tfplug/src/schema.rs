//! Declaring what a provider, resource or data source accepts and returns.
//!
//! A schema is data, built with small constructors and chained modifiers:
//!
//! ```
//! use tfplug::schema::{Attribute, Schema};
//! use tfplug::{Type, Value};
//! let s = Schema::new()
//!     .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
//!     .attribute(Attribute::required("ipam_id", Type::String).requires_replace())
//!     .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)));
//! assert_eq!(s.attributes.len(), 3);
//! ```

use crate::rules::{Check, Meaning};
use crate::value::{Type, Value};
use std::collections::BTreeMap;

/// Whether the user writes an attribute, and whether the provider may fill it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set only by the provider.
    Computed,
    /// Set by the user, or by the provider when the user leaves it out.
    OptionalComputed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: Mode,
    pub description: String,
    pub sensitive: bool,
    /// A change of this attribute replaces the resource instead of updating it.
    pub requires_replace: bool,
    /// The value planned when the configuration leaves the attribute out.
    pub default: Option<Value>,
    /// On update, keep the prior value instead of marking it "known after apply".
    pub use_state_for_unknown: bool,
    /// What the value means, when spellings can differ (compared and validated by tfplug).
    pub meaning: Option<Meaning>,
    /// Declarative checks run at validate, each with its one message.
    pub checks: Vec<Check>,
    /// The provider does not store it: state echoes the plan (after apply) or the prior state
    /// (after read), its default after import. For switches such as `cascade`.
    pub config_only: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type, mode: Mode) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            mode,
            description: String::new(),
            sensitive: false,
            requires_replace: false,
            default: None,
            use_state_for_unknown: false,
            meaning: None,
            checks: Vec::new(),
            config_only: false,
        }
    }

    pub fn required(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Required)
    }

    pub fn optional(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Optional)
    }

    pub fn computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Computed)
    }

    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Self::new(name, ty, Mode::OptionalComputed)
    }

    pub fn description(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// A default makes the attribute optional and computed in the protocol: the plan differs
    /// from the configuration, which Terraform allows only for computed attributes.
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        if self.mode == Mode::Optional {
            self.mode = Mode::OptionalComputed;
        }
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// Values are compared by meaning (plan, apply, refresh) and validated by it.
    pub fn meaning(mut self, m: Meaning) -> Self {
        self.meaning = Some(m);
        self
    }

    pub fn check(mut self, c: Check) -> Self {
        self.checks.push(c);
        self
    }

    pub fn config_only(mut self) -> Self {
        self.config_only = true;
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    List,
    Set,
    Single,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub name: String,
    pub nesting: Nesting,
    pub schema: Schema,
    pub min_items: i64,
    pub max_items: i64,
    /// Accepted and echoed, never stored by the provider (state takes the plan's blocks after
    /// apply, the prior state's after read), like [`Attribute::config_only`].
    pub config_only: bool,
}

impl Block {
    pub fn list(name: &str, schema: Schema) -> Self {
        Block {
            name: name.to_string(),
            nesting: Nesting::List,
            schema,
            min_items: 0,
            max_items: 0,
            config_only: false,
        }
    }

    /// At most `n` blocks.
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    pub fn config_only(mut self) -> Self {
        self.config_only = true;
        self
    }

    /// At most one block, its value an object (null when absent), such as `timeouts`.
    pub fn single(name: &str, schema: Schema) -> Self {
        Block {
            nesting: Nesting::Single,
            ..Block::list(name, schema)
        }
    }

    /// Blocks whose order does not matter, such as AWS's `operating_regions`.
    pub fn set(name: &str, schema: Schema) -> Self {
        Block {
            nesting: Nesting::Set,
            ..Block::list(name, schema)
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Bump when stored state must be upgraded.
    pub version: i64,
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// Groups of attributes of which a configuration sets exactly one.
    pub exactly_one_of: Vec<Vec<String>>,
}

impl Schema {
    pub fn new() -> Self {
        Schema::default()
    }

    pub fn version(mut self, v: i64) -> Self {
        self.version = v;
        self
    }

    pub fn description(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }

    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }

    /// A configuration must set exactly one of `names` (unknown counts as set).
    pub fn exactly_one_of(mut self, names: &[&str]) -> Self {
        self.exactly_one_of
            .push(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Adds a group of attributes several schemas share (`f` adds them), in a chain.
    pub fn attributes_of(self, f: impl FnOnce(Schema) -> Schema) -> Self {
        f(self)
    }

    pub fn block(mut self, b: Block) -> Self {
        self.blocks.push(b);
        self
    }

    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type of a value of this schema, nested blocks included.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let inner = b.schema.value_type();
            let t = match b.nesting {
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Single => inner,
            };
            attrs.insert(b.name.clone(), t);
        }
        Type::Object(attrs)
    }

    /// An object of this schema with every attribute present, taken from `v` where it has it.
    pub fn complete(&self, v: Value) -> Value {
        let mut m = match v {
            Value::Object(m) => m,
            _ => BTreeMap::new(),
        };
        for a in &self.attributes {
            m.entry(a.name.clone()).or_insert(Value::Null);
        }
        for b in &self.blocks {
            m.entry(b.name.clone()).or_insert(match b.nesting {
                Nesting::List => Value::List(vec![]),
                Nesting::Set => Value::Set(vec![]),
                Nesting::Single => Value::Null,
            });
        }
        Value::Object(m)
    }
}
