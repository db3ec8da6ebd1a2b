//! Resource planning pools (AWS, 2025): a pool whose space is the CIDR of a resource, a VPC
//! allocated from a pool, so that allocations from it plan that VPC's subnets. The VPC's
//! allocation stays where it is (in its pool); the planning pool gets the same block as its
//! one provisioned CIDR, with no source allocation, so deleting the pool gives nothing back
//! and releases nothing.

use super::model::Field;
use super::model::Remedy;
use super::model::SourceFact;
use super::pool::{create_pool_tx, delete_pool_tx, PoolSpec};
use super::pool_cidr::add_root;
use super::{Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Tx};
use ipam_engine::Cidr;

/// The resource a planning pool draws from, as the AWS provider's `source_resource` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceResource {
    pub resource_id: String,
    pub resource_type: String,
    pub resource_owner: String,
    pub resource_region: String,
}

/// The VPC's CIDR: the allocation of kind `vpc` whose resource is `src.resource_id`, in the
/// pool's parent when it has one; its owner and region must be the ones `src` names.
fn source_cidr(tx: &Tx, spec: &PoolSpec, src: &SourceResource) -> Result<Cidr> {
    let invalid = |message: String, remedy: Option<Remedy>| Error::Invalid {
        field: Field::SourceResource,
        message,
        remedy,
    };
    if src.resource_type != "vpc" {
        return Err(invalid(format!(
            "the resource type {:?} cannot source a pool here: only \"vpc\" (the VPC of a VPC allocation) can",
            src.resource_type
        ), Some(Remedy::UseVpcAllocation)));
    }
    let found: Option<(String, String, String, String)> = tx
        .query_row(
            "SELECT cidr, pool_id, owner_id, region FROM allocations
             WHERE resource_id = ?1 AND kind = 'vpc' AND state = 'allocated'",
            [&src.resource_id],
            |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((cidr, pool_id, owner, region)) = found else {
        return Err(invalid(
            format!(
                "no VPC with id {:?} has a CIDR from a pool in this database",
                src.resource_id
            ),
            Some(Remedy::UseVpcAllocation),
        ));
    };
    if let Some(parent) = spec.parent_id.as_deref().filter(|p| *p != pool_id) {
        return Err(Error::SourceMismatch {
            vpc: src.resource_id.clone(),
            what: SourceFact::Pool,
            found: pool_id,
            given: parent.to_string(),
        });
    }
    if owner != src.resource_owner {
        return Err(Error::SourceMismatch {
            vpc: src.resource_id.clone(),
            what: SourceFact::Owner,
            found: owner,
            given: src.resource_owner.clone(),
        });
    }
    if region != src.resource_region {
        return Err(Error::SourceMismatch {
            vpc: src.resource_id.clone(),
            what: SourceFact::Region,
            found: region,
            given: src.resource_region.clone(),
        });
    }
    Cidr::parse(&cidr).map_err(|e| Error::Refused(e.to_string()))
}

impl Store {
    /// Plan time: the resource exists and matches what the block says.
    pub fn check_source_resource(&self, spec: &PoolSpec, src: &SourceResource) -> Result<Cidr> {
        self.read(|tx| source_cidr(tx, spec, src))
    }

    /// Creates a planning pool and provisions it with the VPC's CIDR, in one transaction.
    pub fn create_planning_pool(
        &self,
        actor: &Actor,
        spec: PoolSpec,
        src: &SourceResource,
    ) -> Result<crate::Pool> {
        self.write(|tx| {
            let cidr = source_cidr(tx, &spec, src)?;
            let pool = create_pool_tx(tx, actor, &spec)?;
            add_root(tx, &pool.id, &cidr, None)?;
            tx.execute(
                "INSERT INTO pool_sources (pool_id, resource_id, resource_type, resource_owner, resource_region)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pool.id, src.resource_id, src.resource_type, src.resource_owner, src.resource_region],
            )?;
            Ok(pool)
        })
    }

    /// The resource a planning pool draws from; `None` for any other pool.
    pub fn pool_source(&self, pool_id: &str) -> Result<Option<SourceResource>> {
        self.read(|tx| {
            tx
                .query_row(
                    "SELECT resource_id, resource_type, resource_owner, resource_region FROM pool_sources WHERE pool_id = ?1",
                    [pool_id],
                    |r| {
                        Ok(SourceResource {
                            resource_id: r.get(0)?,
                            resource_type: r.get(1)?,
                            resource_owner: r.get(2)?,
                            resource_region: r.get(3)?,
                        })
                    },
                )
                .optional()
        })
    }

    /// Deletes a planning pool: its one CIDR came with it (nothing to give back). Without
    /// `cascade` it must hold no allocations and no child pools.
    pub fn delete_planning_pool(&self, actor: &Actor, id: &str, cascade: bool) -> Result<()> {
        self.write(|tx| {
            let (children, allocations): (i64, i64) = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM pools WHERE parent_id = ?1),
                        (SELECT COUNT(*) FROM allocations WHERE pool_id = ?1 AND kind != 'ipam-pool')",
                [id],
                |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)),
            )?;
            if !cascade && (children > 0 || allocations > 0) {
                return Err(Error::Blocked {
                    fact: format!("the planning pool {id} still has {children} child pool(s) and {allocations} allocation(s)"),
                    remedy: Remedy::EmptyItOrCascade,
                });
            }
            delete_pool_tx(tx, actor, id, true)
        })
    }

    /// The planning pools whose space is the resource `resource_id` (a VPC), by id.
    pub fn planning_pools_of(&self, resource_id: &str) -> Result<Vec<String>> {
        self.read(|tx| pools_sourced_by(tx, resource_id))
    }
}

/// The planning pools whose space is the resource `resource_id` (a VPC), by id.
pub(crate) fn pools_sourced_by(tx: &Tx, resource_id: &str) -> Result<Vec<String>> {
    Ok(tx
        .prepare_cached("SELECT pool_id FROM pool_sources WHERE resource_id = ?1 ORDER BY pool_id")?
        .query_map([resource_id], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?)
}
