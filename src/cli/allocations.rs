//! `allocations [--pool ID]`: the pool tree with each pool's use, then every allocation with
//! its id, CIDR, type, resource, owner, description, origin and, for reservations, expiry.

use super::args::{Args, Flag};
use super::output::{self, or_dash, Table};
use super::{Command, Error};
use crate::engine::Cidr;
use crate::store::{Allocation, AllocationState, Pool, Store, UtilizationTarget};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "allocations",
    summary: "list every pool (as a tree, with its use) and every allocation",
    synopsis: "[--pool ID] [--database PATH] [--json]",
    details: "Reservations (made at plan time for named allocations) show when they expire.\nORIGIN is the directory and workspace Terraform ran in, and when.",
    flags: &[Flag::value(
        "--pool",
        "ID",
        "only this pool, its child pools and their allocations",
    )],
    positional: false,
    json: true,
    found: "",
    run,
};

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let store = super::open(args)?;
    let pools = tree(&store, args.get("--pool"))?;
    let ids: HashSet<&str> = pools.iter().map(|(p, ..)| p.id.as_str()).collect();
    let mut allocations: Vec<Allocation> = store
        .all_allocations()?
        .into_iter()
        .filter(|a| ids.contains(a.pool_id.as_str()))
        .collect();
    let order: HashMap<&str, usize> = pools
        .iter()
        .enumerate()
        .map(|(i, (p, ..))| (p.id.as_str(), i))
        .collect();
    allocations.sort_by_key(|a| (order.get(a.pool_id.as_str()).copied(), a.cidr.start()));
    let mut used = Vec::with_capacity(pools.len());
    for (p, ..) in &pools {
        let u = store.utilization(UtilizationTarget::Pool(&p.id))?;
        used.push((u.allocated, u.total));
    }

    if args.json() {
        let pools_json: Vec<_> = pools
            .iter()
            .zip(&used)
            .map(|((p, cidrs, level), (allocated, total))| {
                json!({
                    "id": p.id, "parent_id": p.parent_id, "depth": level, "family": p.family.as_str(),
                    "description": p.description,
                    "cidrs": cidrs.iter().map(Cidr::to_string).collect::<Vec<_>>(),
                    // Counts are strings: an IPv6 pool holds up to 2^128 addresses.
                    "total": total.to_string(), "allocated": allocated.to_string(),
                    "percent": crate::store::utilization_percent(*allocated, *total),
                })
            })
            .collect();
        let allocations_json: Vec<_> = allocations.iter().map(allocation_json).collect();
        output::json(
            out,
            &json!({ "pools": pools_json, "allocations": allocations_json }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut t = Table::new(&["POOL", "FAMILY", "DESCRIPTION", "CIDRS", "USED"]);
    for ((p, cidrs, level), (allocated, total)) in pools.iter().zip(&used) {
        t.row(vec![
            format!("{}{}", "  ".repeat(*level), p.id),
            p.family.to_string(),
            or_dash(p.description.as_deref()),
            or_dash(Some(
                &cidrs
                    .iter()
                    .map(Cidr::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            output::usage(*allocated, *total),
        ]);
    }
    if t.is_empty() {
        writeln!(out, "(no pools)")?;
        return Ok(ExitCode::SUCCESS);
    }
    t.print(out)?;
    writeln!(out)?;
    let mut t = Table::new(&[
        "ALLOCATION",
        "POOL",
        "CIDR",
        "TYPE",
        "STATE",
        "RESOURCE",
        "OWNER",
        "DESCRIPTION",
        "ORIGIN",
        "EXPIRES",
    ]);
    for a in &allocations {
        t.row(vec![
            a.id.clone(),
            a.pool_id.clone(),
            a.cidr.to_string(),
            a.kind.as_str().to_string(),
            state(a).to_string(),
            holder(a),
            a.owner_id.clone(),
            or_dash(a.description.as_deref()),
            origin(a),
            a.expires_at.map(output::time).unwrap_or_else(|| "-".into()),
        ]);
    }
    if t.is_empty() {
        writeln!(out, "(no allocations)")?;
    } else {
        t.print(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The resource that holds `a`, else its name (a plan-time reservation has only a name), else `-`.
pub(super) fn holder(a: &Allocation) -> String {
    or_dash(a.resource_id.as_deref().or(a.name.as_deref()))
}

pub(super) fn state(a: &Allocation) -> &'static str {
    match a.state {
        AllocationState::Reserved => "reserved",
        AllocationState::Allocated => "allocated",
    }
}

/// `DIR [workspace] at TIME`, or `-` for allocations made before origins were recorded.
pub(super) fn origin(a: &Allocation) -> String {
    match &a.origin {
        Some(o) => {
            let ws = if o.workspace == "default" {
                String::new()
            } else {
                format!(" [{}]", o.workspace)
            };
            let at = a
                .origin_at
                .map(|t| format!(" at {}", output::time(t)))
                .unwrap_or_default();
            format!("{}{ws}{at}", o.dir)
        }
        None => "-".into(),
    }
}

pub(super) fn allocation_json(a: &Allocation) -> serde_json::Value {
    json!({
        "id": a.id, "pool_id": a.pool_id, "cidr": a.cidr.to_string(), "type": a.kind.as_str(),
        "state": state(a), "resource_id": a.resource_id, "name": a.name, "owner_id": a.owner_id,
        "description": a.description, "tags": a.tags,
        "origin": a.origin.as_ref().map(|o| json!({"dir": o.dir, "workspace": o.workspace, "state": o.state, "at": a.origin_at.map(output::time)})),
        "expires_at": a.expires_at.map(output::time),
    })
}

/// The pools in tree order (top-level pools, IPv4 first, each followed by its children,
/// siblings in address order), with their CIDRs and depth; only `root`'s subtree if given.
fn tree(store: &Store, root: Option<&str>) -> Result<Vec<(Pool, Vec<Cidr>, usize)>, Error> {
    let mut listed = Vec::new();
    for p in store.find_pools(None, &[], None)? {
        let cidrs: Vec<Cidr> = store.pool_cidrs(&p.id)?.iter().map(|c| c.cidr).collect();
        listed.push((p, cidrs));
    }
    if let Some(r) = root {
        if !listed.iter().any(|(p, _)| p.id == r) {
            return Err(Error::Usage(format!(
                "--pool: no pool {r:?} in this database"
            )));
        }
    }
    listed.sort_by_cached_key(|(p, cidrs)| {
        (
            p.family.to_string(),
            cidrs.first().map(|c| (c.start(), c.prefix_len())),
        )
    });
    // A pool whose parent is not listed is shown at the top.
    let ids: HashSet<&str> = listed.iter().map(|(p, _)| p.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, (p, _)) in listed.iter().enumerate() {
        let parent = p.parent_id.as_deref().filter(|id| ids.contains(id));
        children.entry(parent).or_default().push(i);
    }
    let mut order = Vec::new();
    let mut stack: Vec<(usize, usize)> = match root {
        Some(r) => listed
            .iter()
            .position(|(p, _)| p.id == r)
            .map(|i| vec![(i, 0)])
            .unwrap_or_default(),
        None => children
            .get(&None)
            .map(|c| c.iter().rev().map(|&i| (i, 0)).collect())
            .unwrap_or_default(),
    };
    while let Some((i, level)) = stack.pop() {
        order.push((i, level));
        if let Some(c) = children.get(&Some(listed[i].0.id.as_str())) {
            stack.extend(c.iter().rev().map(|&j| (j, level + 1)));
        }
    }
    let mut slots: Vec<Option<(Pool, Vec<Cidr>)>> = listed.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|(i, level)| slots[i].take().map(|(p, c)| (p, c, level)))
        .collect())
}
