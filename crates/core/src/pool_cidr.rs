//! Provisioning CIDRs to pools. A child pool's CIDR is an allocation in its parent; a public
//! IPv6 pool asked for a netmask draws from the provider-owned space.

use super::allocation::{adopt, allocate_tx, allocations_inside, release_tx, AllocationSpec};
use super::audit::record;
use super::authority::{authorize, Action, Release};
use super::free::{key, SqlFree};
use super::model::{AllocationState, PoolCidr, ProvidedSpace, ScopeType};
use super::rows::{load_pool_cidr, load_pool_cidrs, require_pool};
use super::{new_id, Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Tx};
use ipam_engine::{
    AddressFamily, AllocationKind, AllocationRequest, Block, Cidr, Conflict, Error as EngineError,
    FreeSpace,
};
use serde_json::json;

pub(crate) fn add_root(
    tx: &Tx,
    pool_id: &str,
    cidr: &Cidr,
    source: Option<&str>,
) -> Result<PoolCidr> {
    let id = new_id("ipam-pool-cidr");
    tx.execute(
        "INSERT INTO pool_cidrs (id, pool_id, cidr, start, len, source_allocation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, pool_id, cidr.to_string(), key(cidr.start()), cidr.prefix_len(), source],
    )?;
    let mut fs = SqlFree::new(tx, pool_id);
    fs.add(Block {
        start: cidr.start(),
        len: cidr.prefix_len(),
    })?;
    super::history::record(tx, pool_id)?;
    Ok(PoolCidr {
        id,
        pool_id: pool_id.into(),
        cidr: *cidr,
        source_allocation_id: source.map(String::from),
    })
}

/// Makes sure the provider-owned IPv6 space exists as a pseudo-pool with one root.
fn provided_space(tx: &Tx, cidr: &Cidr) -> Result<String> {
    let pid = ProvidedSpace(*cidr).pool_id();
    let exists: Option<String> = tx
        .query_row(
            "SELECT id FROM pool_cidrs WHERE pool_id = ?1",
            [&pid],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        add_root(tx, &pid, cidr, None)?;
    }
    Ok(pid)
}

/// Gives a provisioned CIDR's block back to where it came from (parent pool or provided space).
pub(crate) fn return_to_source(tx: &Tx, actor: &Actor, c: &PoolCidr) -> Result<()> {
    if let Some(a) = &c.source_allocation_id {
        release_tx(tx, actor, a, Release::DeprovisionPoolCidr)?;
    }
    Ok(())
}

impl Store {
    /// Provisions a CIDR to a pool: explicit, or the next free /n of its parent (or of the
    /// provider-owned IPv6 space for a top-level public IPv6 pool).
    pub fn provision_cidr(
        &self,
        actor: &Actor,
        pool_id: &str,
        request: AllocationRequest,
    ) -> Result<PoolCidr> {
        self.write(|tx| self.provision_tx(tx, actor, pool_id, request.clone()))
    }

    /// What [`Store::provision_cidr`] would refuse, found by provisioning and rolling back.
    /// `planned` are pool CIDRs (pool, request) the same plan provisions before this one,
    /// each already checked: they are provisioned first, in the same rolled-back transaction,
    /// so two new CIDRs that overlap each other (or together overflow a parent) fail the
    /// plan, not the apply. One that no longer fits is skipped (its own check says why).
    pub fn check_provision(
        &self,
        actor: &Actor,
        pool_id: &str,
        request: AllocationRequest,
        planned: &[(String, AllocationRequest)],
    ) -> Result<()> {
        self.dry_run(|tx| {
            for (pool, r) in planned {
                let _ = self.provision_tx(tx, actor, pool, r.clone());
            }
            self.provision_tx(tx, actor, pool_id, request.clone())
                .map(|_| ())
        })
    }

    fn provision_tx(
        &self,
        tx: &Tx,
        actor: &Actor,
        pool_id: &str,
        request: AllocationRequest,
    ) -> Result<PoolCidr> {
        let pool = require_pool(tx, pool_id)?;
        let existing = load_pool_cidrs(tx, pool_id)?;
        if let AllocationRequest::Explicit(c) = &request {
            if c.family() != pool.family {
                return Err(EngineError::FamilyMismatch {
                    cidr: *c,
                    family: pool.family,
                }
                .into());
            }
            if let Some(o) = existing.iter().find(|e| e.cidr.overlaps(c)) {
                return Err(Error::Refused(format!(
                    "{c} overlaps {}, already provisioned to the pool {pool_id}",
                    o.cidr
                )));
            }
        }
        let source_pool = match &pool.parent_id {
            Some(parent) => Some(parent.clone()),
            None if matches!(request, AllocationRequest::Netmask(_)) => {
                if pool.family == AddressFamily::Ipv6 && pool.scope_type == ScopeType::Public {
                    Some(provided_space(tx, &self.provided_ipv6())?)
                } else {
                    return Err(Error::Refused(format!(
                        "the pool {pool_id} is a top-level {} pool: provision it with an explicit cidr (netmask_length draws from a parent pool, or from the provider's IPv6 space for public IPv6 pools)",
                        pool.scope_type.as_str()
                    )));
                }
            }
            None => None,
        };
        let provisioned = match source_pool {
            Some(source) => {
                // auto_import: allocations of the parent inside the new CIDR move into this
                // pool (same ids) instead of blocking it.
                let adopted = match (&request, pool.auto_import) {
                    (AllocationRequest::Explicit(c), true) => {
                        let found = allocations_inside(tx, &source, c)?;
                        for a in &found {
                            release_tx(tx, actor, &a.id, Release::AutoImport)?;
                        }
                        found
                    }
                    _ => Vec::new(),
                };
                let spec = AllocationSpec {
                    description: Some(format!("CIDR of the pool {pool_id}")),
                    resource_id: Some(pool_id.to_string()),
                    ..AllocationSpec::new(source.clone(), request.clone(), AllocationKind::IpamPool)
                };
                let a = allocate_tx(tx, actor, &spec, AllocationState::Allocated, None)?;
                if let Some(o) = existing.iter().find(|e| e.cidr.overlaps(&a.cidr)) {
                    return Err(Error::Refused(format!(
                        "{} overlaps {}, already provisioned to the pool {pool_id}",
                        a.cidr, o.cidr
                    )));
                }
                let root = add_root(tx, pool_id, &a.cidr, Some(&a.id))?;
                for moved in &adopted {
                    adopt(tx, actor, moved, pool_id)?;
                }
                root
            }
            None => {
                let AllocationRequest::Explicit(c) = request else {
                    return Err(Error::Refused(
                        "a top-level pool needs an explicit cidr".into(),
                    ));
                };
                // Top-level pools of one scope must not overlap each other.
                let mut stmt = tx.prepare_cached(
                    "SELECT pc.cidr, pc.pool_id FROM pool_cidrs pc JOIN pools p ON p.id = pc.pool_id
                     WHERE p.scope_id = ?1 AND p.parent_id IS NULL AND p.family = ?2",
                )?;
                let others: Vec<(String, String)> = stmt
                    .query_map(params![pool.scope_id, pool.family.as_str()], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<Result<_>>()?;
                for (oc, op) in others {
                    if let Ok(oc) = Cidr::parse(&oc) {
                        if oc.overlaps(&c) {
                            return Err(Error::Refused(format!(
                                "{c} overlaps {oc}, provisioned to the pool {op} in the same scope"
                            )));
                        }
                    }
                }
                add_root(tx, pool_id, &c, None)?
            }
        };
        record(
            tx,
            actor,
            &authorize(tx, actor, Action::ProvisionPoolCidr)?,
            &provisioned.id,
            None,
            Some(json!({"pool_id": pool_id, "cidr": provisioned.cidr.to_string()})),
        )?;
        Ok(provisioned)
    }

    pub fn get_pool_cidr(&self, pool_id: &str, cidr: &str) -> Result<Option<PoolCidr>> {
        self.read(|tx| load_pool_cidr(tx, pool_id, cidr))
    }

    /// Deprovisions a CIDR; refused while anything is allocated inside it.
    pub fn deprovision_cidr(&self, actor: &Actor, pool_id: &str, cidr: &str) -> Result<()> {
        self.deprovision_cidr_planned(actor, pool_id, cidr, None)
    }

    /// [`Store::deprovision_cidr`] for the destroy of the plan with token `plan`: what the
    /// same plan destroys (noted by [`Store::note_planned_release`]) is released first instead
    /// of refusing, child pool CIDRs deprovisioned with what they hold on the same terms.
    pub fn deprovision_cidr_planned(
        &self,
        actor: &Actor,
        pool_id: &str,
        cidr: &str,
        plan: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| deprovision_tx(tx, actor, pool_id, cidr, plan))
    }

    /// Notes that the plan with token `plan` destroys what holds `allocation` (audited as
    /// `plan-release`): the plan's destroy of a pool CIDR holding it may release it first.
    /// An allocation already gone needs no note.
    pub fn note_planned_release(&self, actor: &Actor, allocation: &str, plan: &str) -> Result<()> {
        self.write(|tx| {
            let pool: Option<String> = tx
                .query_row(
                    "SELECT pool_id FROM allocations WHERE id = ?1",
                    [allocation],
                    |r| r.get(0),
                )
                .optional()?;
            match pool {
                Some(pool) => record(
                    tx,
                    actor,
                    &authorize(tx, actor, Action::PlanRelease)?,
                    allocation,
                    None,
                    Some(release_note(plan, &pool)),
                ),
                None => Ok(()),
            }
        })
    }
}

/// What a `plan-release` event records: the plan's token, and the pool (so that the event
/// shows in the pool's audit log).
fn release_note(plan: &str, pool_id: &str) -> serde_json::Value {
    json!({ "plan": plan, "pool_id": pool_id })
}

/// Whether the plan `plan` noted that it destroys what holds `allocation` of `pool_id` (by
/// `actor`'s account: a plan speaks only for its own run).
fn planned_release(
    tx: &Tx,
    actor: &Actor,
    pool_id: &str,
    allocation: &str,
    plan: &str,
) -> Result<bool> {
    let note = release_note(plan, pool_id).to_string();
    Ok(tx
        .query_row(
            "SELECT 1 FROM audit_events WHERE object_id = ?1 AND action = 'plan-release' AND account_id = ?2 AND after = ?3",
            params![allocation, actor.account_id, note],
            |_| Ok::<_, ipam_db::Error>(()),
        )
        .optional()?
        .is_some())
}

/// Deprovisions a CIDR inside `tx`; refused while anything is allocated inside it, except
/// what the destroy plan `plan` also destroys: that is released first (a child pool's CIDR
/// deprovisioned), each audited.
pub(crate) fn deprovision_tx(
    tx: &Tx,
    actor: &Actor,
    pool_id: &str,
    cidr: &str,
    plan: Option<&str>,
) -> Result<()> {
    let c = load_pool_cidr(tx, pool_id, cidr)?.ok_or_else(|| Error::NotFound {
        kind: "pool CIDR",
        id: format!("{cidr}_{pool_id}"),
    })?;
    let holders = || -> Result<Vec<(String, String, Option<String>)>> {
        tx.prepare_cached("SELECT id, cidr, description FROM allocations WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3 AND state != 'reserved' ORDER BY start")?
            .query_map(params![pool_id, key(c.cidr.start()), key(c.cidr.end())], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_>>()
    };
    let mut inside = holders()?;
    if let (Some(plan), false) = (plan, inside.is_empty()) {
        let mut all_planned = true;
        for (id, _, _) in &inside {
            all_planned &= planned_release(tx, actor, pool_id, id, plan)?;
        }
        if all_planned {
            for (id, _, _) in &inside {
                release_planned(tx, actor, id, plan)?;
            }
            inside = holders()?;
        }
    }
    if !inside.is_empty() {
        let allocations = inside
            .into_iter()
            .filter_map(|(id, cidr, d)| {
                Some(Conflict {
                    id,
                    cidr: Cidr::parse(&cidr).ok()?,
                    description: d.unwrap_or_default(),
                })
            })
            .collect();
        return Err(EngineError::HoldsAllocations {
            cidr: c.cidr,
            allocations,
        }
        .into());
    }
    drop_reservations(
        tx,
        actor,
        pool_id,
        Some(&c.cidr),
        Release::ReservationWithPoolCidr,
    )?;
    tx.execute(
        "DELETE FROM free_blocks WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3",
        params![pool_id, key(c.cidr.start()), key(c.cidr.end())],
    )?;
    tx.execute("DELETE FROM pool_cidrs WHERE id = ?1", [&c.id])?;
    super::history::record(tx, pool_id)?;
    return_to_source(tx, actor, &c)?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::DeprovisionPoolCidr)?,
        &c.id,
        Some(json!({"pool_id": pool_id, "cidr": c.cidr.to_string()})),
        None,
    )?;
    Ok(())
}

/// Releases the plan-time reservations of `pool_id` (inside `within`, or all), each audited
/// as `action`. A reservation never holds a pool CIDR or a pool: it may come from a plan that
/// is never applied, even from the refresh a `terraform destroy` runs first (a named allocation
/// missing from the state is planned, and reserved, before the destroy plan drops it). The
/// apply of the plan that made it then finds it gone and fails, saying so.
pub(crate) fn drop_reservations(
    tx: &Tx,
    actor: &Actor,
    pool_id: &str,
    within: Option<&Cidr>,
    why: Release,
) -> Result<()> {
    let (lo, hi) = within.map_or((0, u128::MAX), |c| (c.start(), c.end()));
    let reserved: Vec<String> = tx
        .prepare_cached("SELECT id FROM allocations WHERE pool_id = ?1 AND state = 'reserved' AND start >= ?2 AND start <= ?3 ORDER BY start")?
        .query_map(params![pool_id, key(lo), key(hi)], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?;
    for id in reserved {
        release_tx(tx, actor, &id, why)?;
    }
    Ok(())
}

/// Releases `allocation`, which the destroy plan `plan` removes anyway: a child pool's CIDR is
/// deprovisioned (with what it holds, on the same terms), anything else released.
fn release_planned(tx: &Tx, actor: &Actor, allocation: &str, plan: &str) -> Result<()> {
    let child: Option<(String, String)> = tx
        .query_row(
            "SELECT pool_id, cidr FROM pool_cidrs WHERE source_allocation_id = ?1",
            [allocation],
            |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match child {
        Some((pool, cidr)) => deprovision_tx(tx, actor, &pool, &cidr, Some(plan)),
        None => release_tx(tx, actor, allocation, Release::PlannedWithPoolCidr).map(|_| ()),
    }
}
