//! Finding and freeing what an interrupted apply left behind: the allocations one Terraform
//! directory made, and releasing allocations or reservations by id (audited), all in one
//! transaction so a refused id leaves the others untouched too.

use super::allocation::release_tx;
use super::authority::Release;
use super::model::Allocation;
use super::rows::{allocation_row, load_allocation, ALLOCATION_COLUMNS};
use super::{Actor, Error, Origin, Result, Store};
use ipam_db::OptionalExtension;
use ipam_engine::AllocationKind;
use std::collections::HashMap;

impl Store {
    /// Every allocation (and reservation) of every pool, by pool then address.
    pub fn all_allocations(&self) -> Result<Vec<Allocation>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ALLOCATION_COLUMNS} FROM allocations ORDER BY pool_id, start"
            ))?;
            let rows = stmt.query_map((), allocation_row)?;
            rows.collect::<Result<_>>()
        })
    }

    /// The allocations requested from `origin` (directory and workspace), oldest first.
    pub fn allocations_from(&self, origin: &Origin) -> Result<Vec<Allocation>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE origin_dir = ?1 AND origin_workspace = ?2 ORDER BY origin_at, id"
            ))?;
            let rows = stmt.query_map(
                [&origin.dir, &origin.workspace],
                allocation_row,
            )?;
            rows.collect::<Result<_>>()
        })
    }

    /// The allocations made for one Terraform state: its backend `state` key ([`Origin::state`])
    /// and `workspace`, from whatever directory (CI runners check out anywhere), oldest first.
    pub fn allocations_of_state(&self, state: &str, workspace: &str) -> Result<Vec<Allocation>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE origin_state = ?1 AND origin_workspace = ?2 ORDER BY origin_at, id"
            ))?;
            let rows = stmt.query_map([state, workspace], allocation_row)?;
            rows.collect::<Result<_>>()
        })
    }

    /// The allocations among `ids` (ids that name none are skipped), in one snapshot.
    pub fn allocations_by_ids(&self, ids: &[String]) -> Result<Vec<Allocation>> {
        self.read(|tx| {
            let mut found = Vec::new();
            for id in ids {
                if let Some(a) = load_allocation(tx, id)? {
                    found.push(a);
                }
            }
            Ok(found)
        })
    }

    /// For each allocation that is a child pool's CIDR: the id of that pool CIDR (what the
    /// `ipam_pool_cidr` resource keeps in its state as `ipam_pool_cidr_id`).
    pub fn pool_cidr_sources(&self) -> Result<HashMap<String, String>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT source_allocation_id, id FROM pool_cidrs WHERE source_allocation_id IS NOT NULL",
            )?;
            let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_>>()
        })
    }

    /// Releases allocations or reservations by id, in one transaction: all or none. A child
    /// pool's CIDR is deprovisioned from the child (refused while it holds allocations).
    pub fn release_ids(&self, actor: &Actor, ids: &[String]) -> Result<Vec<Allocation>> {
        self.write(|tx| {
            let mut released = Vec::new();
            for id in ids {
                let a = load_allocation(tx, id)?.ok_or_else(|| Error::NotFound {
                    kind: "allocation",
                    id: id.clone(),
                })?;
                if a.kind == AllocationKind::IpamPool {
                    let child: Option<(String, String)> = tx
                        .query_row(
                            "SELECT pool_id, cidr FROM pool_cidrs WHERE source_allocation_id = ?1",
                            [id],
                            |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?;
                    if let Some((pool, cidr)) = child {
                        super::pool_cidr::deprovision_tx(tx, actor, &pool, &cidr, None)?;
                        released.push(a);
                        continue;
                    }
                }
                let why = match a.state {
                    super::AllocationState::Reserved => Release::Reservation,
                    super::AllocationState::Allocated => Release::Allocation,
                };
                released.push(release_tx(tx, actor, id, why)?);
            }
            Ok(released)
        })
    }
}
