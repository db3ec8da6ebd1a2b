//! Allocations: taking a block from a pool (next free, or explicit), giving it back, and the
//! read-only checks `terraform plan` runs before anything is written.

use super::audit::record;
use super::authority::{authorize, Action, Authorized, Release};
use super::free::{key, SqlFree};
use super::model::Remedy;
use super::model::{tags_json, Allocation, AllocationState, ProvidedSpace, Tags};
use super::rows::{
    allocation_by_name, allocation_row, load_allocation, load_pool_cidrs, require_pool,
    ALLOCATION_COLUMNS,
};
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Tx};
use ipam_engine::buddy::{self, Block};
use ipam_engine::place::{place as engine_place, Placed, Placement, PoolSpace};
use ipam_engine::{
    AddressFamily, AllocationKind, AllocationRequest, Cidr, Conflict, Error as EngineError,
    FreeSpace, PoolRules,
};

/// What to allocate, and what for.
#[derive(Clone, Debug)]
pub struct AllocationSpec {
    pub pool_id: String,
    pub request: AllocationRequest,
    pub disallowed: Vec<Cidr>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Tags,
    pub kind: AllocationKind,
    pub resource_id: Option<String>,
}

impl AllocationSpec {
    /// A request of `kind` from `pool_id` with nothing else said: no name, description, tags,
    /// disallowed blocks or resource id (set those with struct update syntax).
    pub fn new(
        pool_id: impl Into<String>,
        request: AllocationRequest,
        kind: AllocationKind,
    ) -> Self {
        AllocationSpec {
            pool_id: pool_id.into(),
            request,
            disallowed: Vec::new(),
            name: None,
            description: None,
            tags: Tags::new(),
            kind,
            resource_id: None,
        }
    }
}

/// A pool as the allocator needs it: its family, rules and provisioned CIDRs.
pub(crate) struct Space {
    pub id: String,
    pub family: AddressFamily,
    pub rules: PoolRules,
    pub roots: Vec<Cidr>,
    /// The one region the pool serves, if it is bound to one.
    pub locale: Option<String>,
}

pub(crate) fn space(tx: &Tx, pool_id: &str) -> Result<Space> {
    // The provider-owned IPv6 space is a pseudo-pool: no rules, only its one root.
    if let Some(ProvidedSpace(cidr)) = ProvidedSpace::from_pool_id(pool_id) {
        return Ok(Space {
            id: pool_id.to_string(),
            family: cidr.family(),
            rules: PoolRules::default(),
            roots: load_pool_cidrs(tx, pool_id)?
                .into_iter()
                .map(|c| c.cidr)
                .collect(),
            locale: None,
        });
    }
    let pool = require_pool(tx, pool_id)?;
    Ok(Space {
        id: pool.id.clone(),
        family: pool.family,
        rules: pool.rules,
        roots: load_pool_cidrs(tx, pool_id)?
            .into_iter()
            .map(|c| c.cidr)
            .collect(),
        locale: pool.locale,
    })
}

/// What a request must pass before a block is placed for it, whoever asks and whenever: the
/// apply checks it in the change's transaction, the plan over the snapshot it plans from
/// ([`Store::check_request`]), so the two cannot disagree.
///
/// - A VPC's or custom allocation takes space only from a pool of its own region (a pool's
///   `locale`); a child pool's CIDR follows the pool rules of its own instead.
/// - The account may use the pool ([`Action::Allocate`]: the IPAM admin, the pool's owner, or
///   an account a share reaches).
/// - A VPC's tags satisfy the pool's required tags.
/// - A name is free in the pool.
///
/// The decision is returned ([`Authorized`]), for the change to record with its event: the
/// rules are read once per allocation.
pub(crate) fn admit<'a>(
    tx: &Tx,
    actor: &Actor,
    s: &Space,
    spec: &AllocationSpec,
    action: Action<'a>,
) -> Result<Authorized<'a>> {
    if matches!(spec.kind, AllocationKind::Vpc | AllocationKind::Custom) {
        if let Some(locale) = s.locale.as_ref().filter(|l| **l != actor.region) {
            return Err(Error::WrongLocale {
                pool_id: s.id.clone(),
                locale: locale.clone(),
                region: actor.region.clone(),
            });
        }
    }
    let authorized = authorize(tx, actor, action)?;
    if spec.kind == AllocationKind::Vpc {
        s.rules.check_tags(&spec.tags)?;
    }
    if let Some(name) = &spec.name {
        name_free(tx, s, name)?;
    }
    Ok(authorized)
}

/// The name rule: a name is unique among the pool's allocations.
fn name_free(tx: &Tx, s: &Space, name: &str) -> Result<()> {
    match allocation_by_name(tx, &s.id, name)? {
        Some(existing) => Err(Error::NameTaken {
            name: name.to_string(),
            pool_id: s.id.clone(),
            id: existing.id.clone(),
            cidr: existing.cidr,
        }),
        None => Ok(()),
    }
}

/// The allocation overlapping `target`, if any: allocations in a pool never overlap, so the
/// only candidate is the one with the greatest start at or before `target`'s end.
fn conflict(tx: &Tx, pool_id: &str, target: &Cidr) -> Result<Option<Conflict>> {
    let row: Option<(String, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, cidr, description FROM allocations WHERE pool_id = ?1 AND start <= ?2 ORDER BY start DESC LIMIT 1",
        )?
        .query_row(params![pool_id, key(target.end())], |r| Ok::<_, ipam_db::Error>((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.and_then(|(id, cidr, description)| {
        let cidr = Cidr::parse(&cidr).ok()?;
        cidr.overlaps(target).then(|| Conflict {
            id,
            cidr,
            description: description.unwrap_or_default(),
        })
    }))
}

/// The refusal of a /`len` the pool cannot hold; `pending` other new allocations of the plan
/// came before it, and `fit` of them all fit together.
fn exhausted(tx: &Tx, s: &Space, len: u8, pending: usize, fit: usize) -> Result<Error> {
    Ok(Error::Engine(EngineError::Exhausted {
        pool_id: s.id.clone(),
        len,
        pending,
        fit,
        largest_free: super::free::largest(tx, &s.id, s.family, 0..=u128::MAX, 3)?,
        max_len: s.rules.max_len,
    }))
}

fn no_cidrs(s: &Space) -> Error {
    Error::Blocked {
        fact: format!("the pool {} has no provisioned CIDR yet", s.id),
        remedy: Remedy::ProvisionPoolCidr,
    }
}

/// Where a request lands: the engine decides ([`ipam_engine::place`]) from the pool's rules,
/// roots and free index; the store words what only it knows (no CIDR yet, the largest free
/// blocks when exhausted) and names the allocation holding a taken block.
pub(crate) fn place(
    tx: &Tx,
    s: &Space,
    request: &AllocationRequest,
    disallowed: &[Cidr],
) -> Result<Placement> {
    if s.roots.is_empty() {
        return Err(no_cidrs(s));
    }
    let pool = PoolSpace {
        id: &s.id,
        family: s.family,
        rules: &s.rules,
        roots: &s.roots,
    };
    let longest = match request {
        AllocationRequest::Explicit(c) => Some(c.prefix_len()),
        AllocationRequest::Netmask(n) => Some(*n),
        AllocationRequest::PoolDefault => s.rules.default_len,
    };
    let mut fs = SqlFree::new(tx, &s.id).upto(longest);
    let mut holder = |c: &Cidr| conflict(tx, &s.id, c);
    match engine_place(&mut fs, &pool, request, disallowed, &mut holder)? {
        Placed::At(p) => Ok(p),
        Placed::Exhausted { len } => Err(exhausted(tx, s, len, 0, 0)?),
        Placed::Disallowed { cidr, disallowed } => Err(Error::Refused(format!(
            "{cidr} overlaps the disallowed CIDR {disallowed}"
        ))),
    }
}

/// Whether the free block a placement splits lies inside one of the pool's provisioned CIDRs.
/// The free index is only a summary: a row written by anything but the allocator (a bug, a
/// restore, plain SQL) may offer space of another pool, which no overlap check within this
/// pool would notice, since that space holds none of its allocations.
fn inside_roots(s: &Space, p: &Placement) -> bool {
    let block = Cidr::from_start(s.family, p.block.start, p.block.len);
    s.roots.iter().any(|r| r.contains(&block))
}

/// Records the engine's placement: the free index loses `target` (its block split around it).
/// Refuses a block outside the pool's CIDRs: the last line of defence against a wrong index
/// (allocations place again after a rebuild before they get here).
pub(crate) fn commit_placement(tx: &Tx, s: &Space, p: &Placement) -> Result<Cidr> {
    if !inside_roots(s, p) {
        return Err(Error::DamagedIndex(format!(
            "refusing to allocate {} in the pool {}: the free index offers {}, which lies outside the pool's CIDRs",
            p.cidr(s.family),
            s.id,
            Cidr::from_start(s.family, p.block.start, p.block.len)
        )));
    }
    let mut fs = SqlFree::new(tx, &s.id);
    buddy::carve(&mut fs, s.family, p.block, p.target)?;
    Ok(p.cidr(s.family))
}

const EXPIRED_SQL: &str =
    "SELECT id FROM allocations WHERE pool_id = ?1 AND state = 'reserved' AND expires_at < ?2";

/// Releases reservations whose time is up (at `now`), so their space returns to the pool.
pub(crate) fn sweep_expired(tx: &Tx, actor: &Actor, s: &Space, now: i64) -> Result<()> {
    let expired: Vec<String> = tx
        .prepare_cached(EXPIRED_SQL)?
        .query_map(params![s.id, now], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?;
    for id in expired {
        release_tx(tx, actor, &id, Release::ExpiredReservation)?;
    }
    Ok(())
}

pub(crate) struct Insert<'a> {
    pub space: &'a Space,
    pub spec: &'a AllocationSpec,
    pub cidr: Cidr,
    pub state: AllocationState,
    pub expires_at: Option<i64>,
}

/// The allocation of `pool_id` overlapping `target`, found from the allocations themselves
/// (never from the free index): the one starting at or before `target` that reaches into it,
/// or the first starting inside it. Two indexed lookups.
pub(crate) fn overlapping(tx: &Tx, pool_id: &str, target: &Cidr) -> Result<Option<(String, Cidr)>> {
    // Both lookups in one statement: one round trip while the pool's writers wait.
    let candidates: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT id, cidr FROM (SELECT id, cidr FROM allocations WHERE pool_id = ?1 AND start <= ?2 ORDER BY start DESC LIMIT 1) AS at_or_before
             UNION ALL
             SELECT id, cidr FROM (SELECT id, cidr FROM allocations WHERE pool_id = ?1 AND start > ?2 AND start <= ?3 ORDER BY start LIMIT 1) AS starting_inside",
        )?
        .query_map(params![pool_id, key(target.start()), key(target.end())], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    Ok(candidates.into_iter().find_map(|(id, c)| {
        let c = Cidr::parse(&c).ok()?;
        c.overlaps(target).then_some((id, c))
    }))
}

/// Refuses to record `cidr` in `pool_id` when an allocation there already holds part of it:
/// the last line of defence against a wrong free index.
fn guard(tx: &Tx, pool_id: &str, cidr: &Cidr) -> Result<()> {
    match overlapping(tx, pool_id, cidr)? {
        Some((id, held)) => Err(Error::DamagedIndex(format!(
            "refusing to allocate {cidr} in the pool {pool_id}: the allocation {id} already holds {held}, although the free index lists it as free"
        ))),
        None => Ok(()),
    }
}

/// Records an allocation of `i.cidr`, which the caller ([`allocate_tx`]) has checked against
/// the pool's allocations.
/// `authorized` is the decision [`admit`] made, recorded with the allocation's event; `None`
/// for an adoption, which its caller audits.
fn insert(
    tx: &Tx,
    actor: &Actor,
    i: Insert,
    authorized: Option<&Authorized>,
) -> Result<Allocation> {
    let id = new_id("ipam-pool-alloc");
    let spec = i.spec;
    let now = now_secs();
    tx.defer(
        "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, resource_id, name, state, expires_at, description, tags, owner_id, region, created_at, disallowed, origin_dir, origin_workspace, origin_at, origin_state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?15, ?19)",
    params![
        id, spec.pool_id, i.cidr.to_string(), key(i.cidr.start()), i.cidr.prefix_len(), spec.kind.as_str(),
        spec.resource_id, spec.name,
        i.state.as_str(),
        i.expires_at, spec.description, tags_json(&spec.tags), actor.account_id, actor.region, now,
        cidrs_json(&spec.disallowed), actor.origin.dir, actor.origin.workspace, actor.origin.state
    ])?;
    let s = i.space;
    super::history::record_known(tx, &s.id, s.family, s.roots.iter().map(Cidr::prefix_len))?;
    // Everything is known: build the record instead of reading the row back.
    let a = Allocation {
        id: id.clone(),
        pool_id: spec.pool_id.clone(),
        cidr: i.cidr,
        kind: spec.kind,
        resource_id: spec.resource_id.clone(),
        name: spec.name.clone(),
        state: i.state,
        expires_at: i.expires_at,
        description: spec.description.clone(),
        tags: spec.tags.clone(),
        owner_id: actor.account_id.clone(),
        region: actor.region.clone(),
        disallowed: spec.disallowed.clone(),
        origin: Some(actor.origin.clone()),
        origin_at: Some(now),
    };
    let Some(authorized) = authorized else {
        return Ok(a);
    };
    record(tx, actor, authorized, &id, None, Some(a.to_json()))?;
    Ok(a)
}

/// The reservation named `name` in the pool, if any; [`Error::NameTaken`] when the name
/// belongs to an allocation proper (a reservation is what the same name claims at apply).
pub(crate) fn reservation_named(tx: &Tx, pool_id: &str, name: &str) -> Result<Option<Allocation>> {
    match allocation_by_name(tx, pool_id, name)? {
        Some(a) if a.state == AllocationState::Allocated => Err(Error::NameTaken {
            name: name.to_string(),
            pool_id: pool_id.to_string(),
            id: a.id,
            cidr: a.cidr,
        }),
        other => Ok(other),
    }
}

/// Allocates inside `tx`: checks, places, carves and records.
pub(crate) fn allocate_tx(
    tx: &Tx,
    actor: &Actor,
    spec: &AllocationSpec,
    state: AllocationState,
    expires_at: Option<i64>,
) -> Result<Allocation> {
    allocate_for(tx, actor, actor, spec, state, expires_at, true)
}

/// Allocates a discovered resource's CIDR for `owner` (the resource's account) as the act of
/// `actor` (the scan's, checked by the caller to be the IPAM admin's): the caller audits it as
/// an auto-import, so no `allocate-cidr` event (which would ask whether `owner` may use the
/// pool: adoption does not depend on the owner's shares).
pub(crate) fn adopt_allocation_tx(
    tx: &Tx,
    actor: &Actor,
    owner: &Actor,
    spec: &AllocationSpec,
) -> Result<Allocation> {
    allocate_for(
        tx,
        actor,
        owner,
        spec,
        AllocationState::Allocated,
        None,
        false,
    )
}

#[allow(clippy::too_many_arguments)]
fn allocate_for(
    tx: &Tx,
    actor: &Actor,
    owner: &Actor,
    spec: &AllocationSpec,
    state: AllocationState,
    expires_at: Option<i64>,
    audited: bool,
) -> Result<Allocation> {
    // Everything read before the first write, asked for at once: on PostgreSQL it travels
    // with BEGIN and the pool's lock, one round trip while other writers of the pool wait.
    let now = now_secs();
    super::rows::prefetch_pool(tx, &spec.pool_id)?;
    tx.prefetch(EXPIRED_SQL, &["allocations"], params![spec.pool_id, now])?;
    super::reach::prefetch_organization(tx)?;
    if let AllocationRequest::Netmask(len) = spec.request {
        SqlFree::prefetch_firsts(tx, &spec.pool_id, len)?;
    }
    let s = space(tx, &spec.pool_id)?;
    sweep_expired(tx, actor, &s, now)?;
    let authorized = if audited {
        let pool_id = &spec.pool_id;
        let action = match state {
            AllocationState::Reserved => Action::Reserve { pool_id },
            AllocationState::Allocated => Action::Allocate { pool_id },
        };
        Some(admit(tx, owner, &s, spec, action)?)
    } else {
        // An adoption (audited by its caller) is decided by who may scan; the name rule holds.
        if let Some(name) = &spec.name {
            name_free(tx, &s, name)?;
        }
        None
    };
    let target = |p: &Placement| p.cidr(s.family);
    let mut placement = place(tx, &s, &spec.request, &spec.disallowed)?;
    // Every offer of the index is checked in this transaction: inside the pool's CIDRs (no
    // query: the roots are loaded), and free of the pool's allocations, reservations and
    // child-pool CIDRs (all rows of `allocations`). Under `Store::write_pool` on PostgreSQL
    // the exclusion constraint makes the second check as the allocation is written, without a
    // round trip while the pool's writers wait.
    let sound = inside_roots(&s, &placement)
        && (tx.retried_on_conflict() || overlapping(tx, &s.id, &target(&placement))?.is_none());
    if !sound {
        // The free index offered a block outside the pool or one an allocation holds:
        // rebuild the pool's index from its CIDRs and allocations (in this transaction,
        // audited), place again, and refuse if still wrong.
        super::verify::rebuild_pool(tx, actor, &s.id)?;
        placement = place(tx, &s, &spec.request, &spec.disallowed)?;
        guard(tx, &s.id, &target(&placement))?;
    }
    let cidr = commit_placement(tx, &s, &placement)?;
    insert(
        tx,
        owner,
        Insert {
            space: &s,
            spec,
            cidr,
            state,
            expires_at,
        },
        authorized.as_ref(),
    )
}

/// Gives an allocation's block back to its pool, merging buddies, inside `tx`.
pub(crate) fn release_tx(tx: &Tx, actor: &Actor, id: &str, why: Release) -> Result<Allocation> {
    let a = load_allocation(tx, id)?.ok_or_else(|| Error::NotFound {
        kind: "allocation",
        id: id.into(),
    })?;
    let roots: Vec<Cidr> = load_pool_cidrs(tx, &a.pool_id)?
        .into_iter()
        .map(|c| c.cidr)
        .collect();
    tx.defer("DELETE FROM allocations WHERE id = ?1", [id])?;
    if let Some(root) = roots.iter().find(|r| r.contains(&a.cidr)) {
        let mut fs = SqlFree::new(tx, &a.pool_id);
        buddy::release(
            &mut fs,
            a.cidr.family(),
            Block {
                start: a.cidr.start(),
                len: a.cidr.prefix_len(),
            },
            root.prefix_len(),
        )?;
    }
    let lens = roots.iter().map(Cidr::prefix_len);
    super::history::record_known(tx, &a.pool_id, a.cidr.family(), lens)?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::Release(why))?,
        id,
        Some(a.to_json()),
        None,
    )?;
    Ok(a)
}

fn cidrs_json(c: &[Cidr]) -> String {
    serde_json::to_string(&c.iter().map(Cidr::to_string).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// The allocations of `pool_id` lying inside `c` (for auto-import into a child pool).
pub(crate) fn allocations_inside(tx: &Tx, pool_id: &str, c: &Cidr) -> Result<Vec<Allocation>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE pool_id = ?1 AND start >= ?2 AND start <= ?3 AND kind != 'ipam-pool' AND state = 'allocated' ORDER BY start"
    ))?;
    let rows = stmt.query_map(
        params![pool_id, key(c.start()), key(c.end())],
        allocation_row,
    )?;
    Ok(rows
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|a| c.contains(&a.cidr))
        .collect())
}

/// Moves an allocation, id and all, into `pool_id` as an imported allocation: auto-import keeps
/// the ids Terraform states hold.
pub(crate) fn adopt(tx: &Tx, actor: &Actor, a: &Allocation, pool_id: &str) -> Result<()> {
    let s = space(tx, pool_id)?;
    let Placement { block, target } = place(tx, &s, &AllocationRequest::Explicit(a.cidr), &[])
        .or_else(|_| {
            // The child's guardrails do not apply to what was there before them.
            let mut fs = SqlFree::new(tx, pool_id);
            buddy::free_block_holding(&mut fs, s.family, &a.cidr)?
                .map(|block| Placement {
                    block,
                    target: Block {
                        start: a.cidr.start(),
                        len: a.cidr.prefix_len(),
                    },
                })
                .ok_or_else(|| {
                    Error::Engine(EngineError::InUse {
                        cidr: a.cidr,
                        pool_id: pool_id.to_string(),
                    })
                })
        })?;
    guard(tx, pool_id, &a.cidr)?;
    commit_placement(tx, &s, &Placement { block, target })?;
    super::history::record(tx, pool_id)?;
    tx.prepare_cached(
        "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, resource_id, name, state, expires_at, description, tags, owner_id, region, created_at, disallowed, origin_dir, origin_workspace, origin_at, origin_state)
         VALUES (?1, ?2, ?3, ?4, ?5, 'imported', ?6, ?7, 'allocated', NULL, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        a.id, pool_id, a.cidr.to_string(), key(a.cidr.start()), a.cidr.prefix_len(), a.resource_id, a.name,
        a.description, tags_json(&a.tags), a.owner_id, a.region, now_secs(), cidrs_json(&a.disallowed),
        a.origin.as_ref().map(|o| &o.dir), a.origin.as_ref().map(|o| &o.workspace), a.origin_at,
        a.origin.as_ref().and_then(|o| o.state.as_ref())
    ])?;
    let after = load_allocation(tx, &a.id)?.ok_or(Error::NotFound {
        kind: "allocation",
        id: a.id.clone(),
    })?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::AutoImportAllocation)?,
        &a.id,
        Some(a.to_json()),
        Some(after.to_json()),
    )?;
    Ok(())
}

impl Store {
    pub fn allocate(&self, actor: &Actor, spec: &AllocationSpec) -> Result<Allocation> {
        self.write_pool(actor, &spec.pool_id, |tx| {
            allocate_tx(tx, actor, spec, AllocationState::Allocated, None)
        })
    }

    pub fn get_allocation(&self, id: &str) -> Result<Option<Allocation>> {
        self.read(|tx| load_allocation(tx, id))
    }

    pub fn find_allocation_by_name(&self, pool_id: &str, name: &str) -> Result<Option<Allocation>> {
        self.read(|tx| allocation_by_name(tx, pool_id, name))
    }

    pub fn update_allocation(
        &self,
        actor: &Actor,
        id: &str,
        description: Option<String>,
        tags: Tags,
    ) -> Result<Allocation> {
        self.write_allocation(id, |tx| {
            let before = load_allocation(tx, id)?.ok_or_else(|| Error::NotFound {
                kind: "allocation",
                id: id.into(),
            })?;
            let s = space(tx, &before.pool_id)?;
            // A pool's required tags are for resources; a custom allocation is for none.
            if before.kind != AllocationKind::Custom {
                s.rules.check_tags(&tags)?;
            }
            tx.execute(
                "UPDATE allocations SET description = ?2, tags = ?3 WHERE id = ?1",
                params![id, description, tags_json(&tags)],
            )?;
            let after = load_allocation(tx, id)?.ok_or_else(|| Error::NotFound {
                kind: "allocation",
                id: id.into(),
            })?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::ModifyAllocation)?,
                id,
                Some(before.to_json()),
                Some(after.to_json()),
            )?;
            Ok(after)
        })
    }

    /// Releases an allocation now; its block is free for the next request.
    /// A VPC whose space planning pools divide is kept while they exist: releasing it would
    /// leave their subnets in space anyone may be given.
    pub fn release(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write_allocation(id, |tx| {
            let vpc = load_allocation(tx, id)?.and_then(|a| a.resource_id);
            if let Some(vpc) = vpc {
                let pools = super::planning::pools_sourced_by(tx, &vpc)?;
                if !pools.is_empty() {
                    return Err(Error::Blocked {
                        fact: format!(
                            "the VPC {vpc} is the source resource of the pool(s) {}, which plan its subnets",
                            pools.join(", ")
                        ),
                        remedy: Remedy::EmptyIt,
                    });
                }
            }
            release_tx(tx, actor, id, Release::Allocation).map(|_| ())
        })
    }

    /// Every allocation of a pool, reservations included, in address order.
    pub fn list_allocations(&self, pool_id: &str) -> Result<Vec<Allocation>> {
        self.read(|tx| {
            require_pool(tx, pool_id)?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE pool_id = ?1 ORDER BY start"
            ))?;
            let rows = stmt.query_map([pool_id], allocation_row)?;
            rows.collect::<Result<_>>()
        })
    }

    /// The block the next request of `len` would get, without taking it.
    pub fn preview_next(
        &self,
        pool_id: &str,
        len: Option<u8>,
        disallowed: &[Cidr],
    ) -> Result<Cidr> {
        self.read(|tx| {
            let s = space(tx, pool_id)?;
            let request = len
                .map(AllocationRequest::Netmask)
                .unwrap_or(AllocationRequest::PoolDefault);
            let p = place(tx, &s, &request, disallowed)?;
            // A read cannot rebuild the index: name the damage rather than show a block of
            // another pool's space.
            if !inside_roots(&s, &p) {
                return Err(Error::DamagedIndex(format!(
                    "the free index of the pool {} offers {}, outside the pool's CIDRs",
                    s.id,
                    Cidr::from_start(s.family, p.block.start, p.block.len)
                )));
            }
            Ok(p.cidr(s.family))
        })
    }

    /// The plan-time check of one request: the prefix length it gets, or why it cannot be
    /// served. `pending` lists the prefix lengths of other new allocations from this pool in
    /// the same plan, which must fit together with it.
    pub fn check_request(
        &self,
        actor: &Actor,
        spec: &AllocationSpec,
        pending: &[u8],
    ) -> Result<u8> {
        self.read(|tx| {
            let s = space(tx, &spec.pool_id)?;
            admit(tx, actor, &s, spec, Action::Allocate { pool_id: &s.id })?;
            let Placement { target, .. } = place(tx, &s, &spec.request, &spec.disallowed)?;
            let len = target.len;
            if !pending.is_empty() {
                let mut fs = SqlFree::new(tx, &s.id);
                let counts = fs.counts()?;
                let mut all = pending.to_vec();
                all.push(len);
                if !buddy::all_fit(&counts, &all) {
                    // The plan's first ones that fit together (a subset of a set that fits fits).
                    let fit = (0..all.len())
                        .rev()
                        .find(|&k| buddy::all_fit(&counts, &all[..k]))
                        .unwrap_or(0);
                    return Err(exhausted(tx, &s, len, pending.len(), fit)?);
                }
            }
            Ok(len)
        })
    }
}
