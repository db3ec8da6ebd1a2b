//! Plan-time reservations of named allocations: a name gets a block at plan time, keeps it
//! while the reservation lives, and the apply claims exactly that block. Expired reservations
//! give their space back on the next change to the pool.

use super::allocation::{
    allocate_tx, release_tx, reservation_named, space, sweep_expired, AllocationSpec,
};
use super::audit::record;
use super::authority::{authorize, Action, Release};
use super::model::Remedy;
use super::model::{tags_json, Allocation, AllocationState};
use super::rows::{allocation_by_name, load_allocation};
use super::{now_secs, Actor, Error, Result, Store};
use ipam_db::params;
use ipam_engine::{AllocationRequest, Cidr};

impl Store {
    /// Reserves a block under (pool, name) at plan time: the same name gets the same block
    /// until the reservation is applied or expires after `ttl_secs`.
    pub fn reserve(
        &self,
        actor: &Actor,
        spec: &AllocationSpec,
        ttl_secs: i64,
    ) -> Result<Allocation> {
        let name = spec
            .name
            .clone()
            .ok_or_else(|| Error::Refused("a reservation needs a name".into()))?;
        self.write_pool(actor, &spec.pool_id, |tx| {
            let s = space(tx, &spec.pool_id)?;
            sweep_expired(tx, actor, &s, super::now_secs())?;
            let expires = now_secs() + ttl_secs;
            if let Some(existing) = reservation_named(tx, &s.id, &name)? {
                let fits = match &spec.request {
                    AllocationRequest::Explicit(c) => *c == existing.cidr,
                    AllocationRequest::Netmask(n) => *n == existing.cidr.prefix_len(),
                    AllocationRequest::PoolDefault => {
                        s.rules.default_len == Some(existing.cidr.prefix_len())
                    }
                };
                if fits {
                    tx.execute(
                        "UPDATE allocations SET expires_at = ?2 WHERE id = ?1",
                        params![existing.id, expires],
                    )?;
                    return load_allocation(tx, &existing.id)?.ok_or(Error::NotFound {
                        kind: "allocation",
                        id: existing.id,
                    });
                }
                // The request changed since it was reserved: give the old block back first.
                release_tx(tx, actor, &existing.id, Release::Reservation)?;
            }
            allocate_tx(tx, actor, spec, AllocationState::Reserved, Some(expires))
        })
    }

    /// Turns the reservation of (pool, name) into an allocation of exactly `cidr`. If the
    /// reservation expired, the block is taken again if it is still free.
    pub fn claim(&self, actor: &Actor, spec: &AllocationSpec, cidr: Cidr) -> Result<Allocation> {
        let name = spec
            .name
            .clone()
            .ok_or_else(|| Error::Refused("a claim needs a name".into()))?;
        self.write_pool(actor, &spec.pool_id, |tx| {
            let s = space(tx, &spec.pool_id)?;
            sweep_expired(tx, actor, &s, super::now_secs())?;
            s.rules.check_tags(&spec.tags)?;
            match allocation_by_name(tx, &s.id, &name)? {
                Some(r) if r.state == AllocationState::Reserved && r.cidr == cidr => {
                    tx.execute(
                        "UPDATE allocations SET state = 'allocated', expires_at = NULL, description = ?2, tags = ?3, resource_id = ?4, owner_id = ?5, region = ?6, origin_dir = ?7, origin_workspace = ?8, origin_at = ?9, origin_state = ?10 WHERE id = ?1",
                        params![r.id, spec.description, tags_json(&spec.tags), spec.resource_id, actor.account_id, actor.region, actor.origin.dir, actor.origin.workspace, now_secs(), actor.origin.state],
                    )?;
                    let a = load_allocation(tx, &r.id)?.ok_or(Error::NotFound { kind: "allocation", id: r.id.clone() })?;
                    record(tx, actor, &authorize(tx, actor, Action::ClaimReservation { pool_id: &s.id })?, &a.id, Some(r.to_json()), Some(a.to_json()))?;
                    Ok(a)
                }
                Some(other) => Err(Error::Blocked {
                    fact: format!(
                        "the plan reserved {cidr} for {name:?}, but the pool now has {} under that name ({})",
                        other.cidr, other.id
                    ),
                    remedy: Remedy::PlanAgain,
                }),
                None => {
                    let mut explicit = spec.clone();
                    explicit.request = AllocationRequest::Explicit(cidr);
                    allocate_tx(tx, actor, &explicit, AllocationState::Allocated, None).map_err(|e| {
                        Error::Blocked {
                            fact: format!(
                                "the plan reserved {cidr} for {name:?}, but the reservation is gone (it expired, or the pool CIDR holding it was deprovisioned or its pool deleted: the audit log says which) and the block cannot be taken again ({e})"
                            ),
                            remedy: Remedy::PlanAgain,
                        }
                    })
                }
            }
        })
    }
}
