//! The AWS provider's words that this provider accepts for compatibility: ARNs derived from the
//! owner and id, `tags_all`, the per-resource `region`, and arguments that have no local
//! effect (accepted, documented as such, echoed in state, never stored).

use super::attrs::{string, REGION};
use super::context::{Context, Shared};
use super::crud::Call;
use super::errors::Failure;
use std::sync::Arc;
use tfplug::{Attribute, Block, Diagnostics, Plan, Schema, Type, Value};

/// An ARN as AWS writes it for IPAM objects: `arn:aws:ec2::<account>:<kind>/<id>`. Derived,
/// never stored: the owner and id determine it.
pub fn arn(kind: &str, owner: &str, id: &str) -> Value {
    Value::string(format!("arn:aws:ec2::{owner}:{kind}/{id}"))
}

/// The computed `arn` attribute of an object of `what`.
pub fn arn_attribute(what: &str) -> Attribute {
    Attribute::computed("arn", Type::String)
        .use_state_for_unknown()
        .description(&format!(
            "The {what}'s ARN, `arn:aws:ec2::<owner account>:` and its kind and id, as AWS writes it."
        ))
}

/// The computed `owner_id` attribute.
pub fn owner_attribute(what: &str) -> Attribute {
    Attribute::computed("owner_id", Type::String)
        .use_state_for_unknown()
        .description(&format!("The account that owns the {what}."))
}

/// `tags_all`: the AWS provider adds its `default_tags` here; this provider has none, so it
/// is the resource's `tags`.
pub fn tags_all_attribute() -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String)).description(
        "The resource's tags (this provider has no `default_tags`, so the same as `tags`).",
    )
}

/// An argument of the AWS provider that means nothing here: accepted with the AWS default,
/// echoed in state, never stored. `why` says why it has no local effect.
pub fn no_local_effect(name: &str, ty: Type, default: Option<Value>, why: &str) -> Attribute {
    let a = Attribute::optional(name, ty)
        .config_only()
        .description(&format!(
            "No local effect (accepted for the AWS provider's examples): {why}"
        ));
    match default {
        Some(d) => a.default(d),
        None => a,
    }
}

/// The AWS provider's per-resource `region`: here one provider block serves one region, so a
/// value other than the provider's region is refused at plan.
pub fn region_argument() -> Attribute {
    Attribute::optional("region", Type::String)
        .config_only()
        .check(REGION)
        .description("The region, as the AWS provider's per-resource `region` argument. Only the provider's own `region` is accepted: one provider block serves one region (use a provider alias for another).")
}

/// The same argument on a data source (echoed with the configuration).
pub fn region_data_argument() -> Attribute {
    Attribute::optional("region", Type::String)
        .check(REGION)
        .description("The region, as the AWS provider's per-data-source `region` argument. Only the provider's own `region` is accepted: one provider block serves one region (use a provider alias for another).")
}

/// A `region` in `config` other than the provider's `region`.
fn other_region(provider: &str, config: &Value) -> Option<Failure> {
    let r = string(config, "region")?;
    (r != provider).then(|| {
        Failure::at(
            "region",
            "Region differs from the provider's",
            format!("region is {r:?}, but this provider block serves {provider:?}: leave region out, or use a provider block (an alias) whose region is {r:?}."),
        )
    })
}

/// Refuses a `region` other than the provider's.
pub fn check_region(call: &Call<'_>, plan: &mut Plan<'_>) {
    if plan.is_destroy() {
        return;
    }
    if let Some(f) = other_region(&call.actor.region, plan.config) {
        f.report(&mut plan.diagnostics);
    }
}

/// The configured context for a data source read, refusing a `region` that is not the
/// provider's.
pub fn data_ctx(shared: &Shared, config: &Value, diags: &mut Diagnostics) -> Option<Arc<Context>> {
    let ctx = shared.ctx(diags)?;
    match other_region(&ctx.actor.region, config) {
        Some(f) => {
            f.report(diags);
            None
        }
        None => Some(ctx),
    }
}

/// AWS's `operating_regions` blocks, the same on `ipam` and `ipam_resource_discovery`: a set of
/// `{ region_name }` blocks, each name checked as a region. `doc` says what the regions do for
/// the resource and that none given means the provider's region.
pub fn operating_regions_block(doc: &str) -> Block {
    Block::set(
        "operating_regions",
        Schema::new().description(doc).attribute(
            Attribute::required("region_name", Type::String)
                .check(REGION)
                .description("A region, such as `us-east-1`."),
        ),
    )
}

/// The `region_name` of each `operating_regions` block of a configuration, plan or state.
pub fn block_regions(v: &Value) -> Vec<String> {
    v.get("operating_regions")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|b| string(b, "region_name"))
        .collect()
}

/// Regions as `operating_regions` blocks in state.
pub fn regions_value(regions: &[String]) -> Value {
    Value::set(
        regions
            .iter()
            .map(|r| Value::object([("region_name", Value::string(r))])),
    )
}
