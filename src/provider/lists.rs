//! List resources for `terraform query` (Terraform 1.14+): what the database holds, filtered by
//! pool or scope, tags and owner, as the managed resource of the same name would read it, so
//! `terraform query -generate-config-out=adopt.tf` writes import blocks and configuration that
//! import with an empty plan: the way to adopt allocations made elsewhere or left behind by an
//! interrupted apply.

use super::allocation::{is_custom_allocation, is_vpc_allocation};
use super::attrs::{string, tag_map, tags, CIDR};
use super::context::Shared;
use super::crud::{Call, Crud};
use super::errors::{Blame, Doing, Failure, WHOLE};
use super::pool::Pool;
use super::pool_cidr_allocation::PoolCidrAllocation;
use super::vpc_allocation::VpcAllocation;
use crate::engine::Cidr;
use crate::store::{Allocation, Pool as PoolRecord, Tags};
use std::sync::Arc;
use tfplug::{Attribute, Diagnostics, ListItem, ListResource, Schema, Type, Value};

/// A resource that can be listed: its filters and the records they select.
pub trait Lister: Crud {
    fn list_schema(&self) -> Schema;

    /// The records `config` selects, each with the name `terraform query` shows.
    fn select(
        &self,
        call: &Call<'_>,
        config: &Value,
    ) -> Result<Vec<(String, Self::Record)>, Failure>;
}

/// A [`Lister`] as a tfplug [`ListResource`].
pub struct Listed<T> {
    inner: T,
    shared: Arc<Shared>,
}

/// The registry's constructor: one line per list resource.
pub fn listed<T: Lister>(inner: T, shared: &Arc<Shared>) -> Arc<dyn ListResource> {
    Arc::new(Listed {
        inner,
        shared: shared.clone(),
    })
}

impl<T: Lister> ListResource for Listed<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.inner.list_schema()
    }

    fn list(&self, config: &Value, limit: usize, diags: &mut Diagnostics) -> Vec<ListItem> {
        let Some(ctx) = self.shared.ctx(diags) else {
            return Vec::new();
        };
        let call = Call::new(&ctx, &self.shared.pending);
        match self.inner.select(&call, config) {
            Ok(records) => records
                .into_iter()
                .take(limit)
                // `terraform query` prints the name, which quotes a stored description.
                .map(|(display_name, r)| ListItem {
                    display_name: crate::text::escape_controls(&display_name).into_owned(),
                    state: self.inner.state(&r),
                })
                .collect(),
            Err(f) => {
                f.report(diags);
                Vec::new()
            }
        }
    }
}

/// The filters every list shares: tags the object must carry, and its owner.
fn common(s: Schema) -> Schema {
    s.attribute(tag_map(
        "tags",
        "Only objects carrying every one of these tags (key and value).",
    ))
    .attribute(
        Attribute::optional("owner_id", Type::String)
            .description("Only objects owned by this account."),
    )
}

fn matches(config: &Value, object_tags: &Tags, owner: &str) -> bool {
    tags(config, "tags")
        .iter()
        .all(|(k, v)| object_tags.get(k) == Some(v))
        && string(config, "owner_id").is_none_or(|o| o == owner)
}

/// Pools, in id order, of the scope or pool a list names (every pool when it names neither).
fn pools(call: &Call<'_>, config: &Value) -> Result<Vec<PoolRecord>, Failure> {
    let blame = Blame {
        pool: "ipam_pool_id",
        ..WHOLE
    };
    let pool = string(config, "ipam_pool_id");
    let scope = string(config, "ipam_scope_id");
    let all = call
        .store
        .find_pools(None, &[], pool.as_ref().map(std::slice::from_ref))
        .doing("Cannot list pools", &blame)?;
    if let Some(p) = &pool {
        if all.is_empty() {
            return Err(Failure::at(
                "ipam_pool_id",
                "Unknown IPAM pool",
                format!("No IPAM pool with id {p:?} exists in this database; check the id."),
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|p| scope.as_ref().is_none_or(|s| *s == p.scope_id))
        .collect())
}

/// The list schema both allocation resources share; `what` says which allocations it lists.
fn allocation_list_schema(what: &str) -> Schema {
    common(
        Schema::new()
            .description(what)
            .attribute(
                Attribute::optional("ipam_pool_id", Type::String)
                    .description("Only allocations of this pool."),
            )
            .attribute(
                Attribute::optional("ipam_scope_id", Type::String)
                    .description("Only allocations of pools in this scope."),
            )
            .attribute(
                Attribute::optional("cidr", Type::String)
                    .meaning(CIDR)
                    .description("Only allocations inside this CIDR."),
            ),
    )
}

/// The allocations `keep` accepts that the list's `config` selects, named for `terraform query`.
fn select_allocations(
    call: &Call<'_>,
    config: &Value,
    keep: fn(&Allocation) -> bool,
) -> Result<Vec<(String, Allocation)>, Failure> {
    let inside = string(config, "cidr").and_then(|c| Cidr::parse(&c).ok());
    let mut out = Vec::new();
    for p in pools(call, config)? {
        let list = call
            .store
            .list_allocations(&p.id)
            .doing("Cannot list allocations", &WHOLE)?;
        for a in list.into_iter().filter(keep) {
            if matches(config, &a.tags, &a.owner_id) && inside.is_none_or(|c| c.contains(&a.cidr)) {
                let what = a.description.clone().or(a.name.clone()).unwrap_or_default();
                out.push((
                    format!("{} in {} {what}", a.cidr, a.pool_id)
                        .trim_end()
                        .to_string(),
                    a,
                ));
            }
        }
    }
    Ok(out)
}

impl Lister for VpcAllocation {
    fn list_schema(&self) -> Schema {
        allocation_list_schema("The VPC allocations in the database (reservations, custom allocations and child pools' CIDRs are not listed), for `terraform query`.")
    }

    fn select(
        &self,
        call: &Call<'_>,
        config: &Value,
    ) -> Result<Vec<(String, Allocation)>, Failure> {
        select_allocations(call, config, is_vpc_allocation)
    }
}

impl Lister for PoolCidrAllocation {
    fn list_schema(&self) -> Schema {
        allocation_list_schema("The custom allocations (`ipam_pool_cidr_allocation`) in the database, for `terraform query`.")
    }

    fn select(
        &self,
        call: &Call<'_>,
        config: &Value,
    ) -> Result<Vec<(String, Allocation)>, Failure> {
        select_allocations(call, config, is_custom_allocation)
    }
}

impl Lister for Pool {
    fn list_schema(&self) -> Schema {
        common(
            Schema::new()
                .description("The pools in the database, for `terraform query`.")
                .attribute(
                    Attribute::optional("ipam_scope_id", Type::String)
                        .description("Only pools of this scope."),
                ),
        )
    }

    fn select(
        &self,
        call: &Call<'_>,
        config: &Value,
    ) -> Result<Vec<(String, super::pool::Record)>, Failure> {
        pools(call, config)?
            .into_iter()
            .filter(|p| matches(config, &p.tags, &p.owner_id))
            .map(|p| {
                let name = format!("{} {}", p.id, p.description.clone().unwrap_or_default());
                Ok((
                    name.trim_end().to_string(),
                    super::pool::with_source(call, p)?,
                ))
            })
            .collect()
    }
}
