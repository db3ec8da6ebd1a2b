//! The read skeleton every data source shares. A data source states its schema, its checks and
//! one read over the store ([`Lookup`]); [`Looked`] finds the configured store, refuses a
//! `region` that is not the provider's and reports the read's [`Failure`] the same way.

use super::aws::data_ctx;
use super::context::{Context, Shared};
use super::errors::{Failure, Reported};
use std::sync::Arc;
use tfplug::{DataSource, Diagnostics, Schema, Value};

/// A data source over core: its schema and one read; [`Looked`] does the rest.
pub trait Lookup: Send + Sync + 'static {
    /// The full type name, e.g. `ipam_pool`.
    const TYPE_NAME: &'static str;

    fn schema(&self) -> Schema;

    /// Checks beyond the schema's declarative ones (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// The whole object: `config` plus the computed attributes. `diags` takes warnings; an
    /// error is the returned [`Failure`] (only a read that finds several at once, such as a
    /// scan's unreadable sources, adds the others to `diags` before returning the last).
    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Value, Failure>;
}

/// A [`Lookup`] as a tfplug [`DataSource`].
pub struct Looked<T> {
    inner: T,
    shared: Arc<Shared>,
}

/// The registry's constructor: one line per data source.
pub fn looked<T: Lookup>(inner: T, shared: &Arc<Shared>) -> Arc<dyn DataSource> {
    Arc::new(Looked {
        inner,
        shared: shared.clone(),
    })
}

impl<T: Lookup> DataSource for Looked<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.inner.schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.inner.validate(config, diags);
    }

    /// Every data source goes through [`data_ctx`]: one without a `region` argument has no
    /// `region` in its configuration, so the check passes it by.
    fn read(&self, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let ctx = data_ctx(&self.shared, config, diags)?;
        self.inner.read(&ctx, config, diags).reported(diags)
    }
}
