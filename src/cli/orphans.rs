//! `orphans --state FILE [--release]`: the allocations made for a Terraform state that the
//! state does not hold — what a killed `terraform apply` leaves behind.
//!
//! Which state an allocation was made for is its origin's backend key (store/origin.rs). The
//! state's own key is learnt from the allocations FILE holds, never from the directory the
//! command runs in (it may have been initialised against another backend since): one key
//! found, and the allocations of that key and workspace FILE does not hold are its orphans.
//! No allocation held, or several keys, and the command only lists: releasing could free what
//! another state holds.

use super::args::{Args, Flag};
use super::output::{self, Table};
use super::state::{self, StateIds};
use super::{Command, Error};
use crate::store::{Allocation, AllocationState, Origin, Store};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "orphans",
    summary: "allocations made for a Terraform state that the state does not hold",
    synopsis: "--state FILE [--release] [--dir DIR] [--workspace NAME] [--database PATH] [--json]",
    details: "Every allocation records its origin: the directory, workspace and state (a key of the\nbackend's type and location) Terraform ran with. An apply killed between the provider's\nwrite and Terraform's state write leaves allocations no state holds. This learns FILE's\nstate from the allocations FILE holds and lists the allocations (not plan-time\nreservations, which expire) made for that state and workspace that FILE does not hold;\nFILE is a terraform.tfstate (or `terraform state pull` output) or `terraform show -json`\noutput. --release frees them (audited as release-allocation). When FILE holds no\nallocation, or allocations of several states, the command lists what it found (for FILE\nholding none: what DIR and WORKSPACE made) and --release refuses: release by id with\n`release --state FILE ID...` then. Allocations recorded before states were told apart\n(no state key) are released only with --force.",
    flags: &[
        Flag::value("--state", "FILE", "the state to compare with (required)"),
        Flag::switch("--release", "release the orphans found"),
        Flag::value("--dir", "DIR", "where to look when FILE holds no allocation (default: the current directory)"),
        Flag::value("--workspace", "NAME", "the workspace to look at when FILE holds no allocation (default: the one selected in DIR)"),
        Flag::switch("--force", "also release allocations recorded before states were told apart"),
    ],
    positional: false,
    json: true,
    found: "orphans found (not released: add --release)",
    run,
};

/// Reads a state file, the error naming the file.
pub(super) fn read_state(path: &str) -> Result<StateIds, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("cannot read the state {path}: {e}")))?;
    state::read(&bytes).map_err(|e| Error::Input(format!("{path}: {e}")))
}

/// Reads the state like [`read_state`], except that a file a killed Terraform left empty or
/// cut short is replaced by its `.backup` (the state before that apply), with a warning: the
/// allocations that apply made are then the orphans, which is right once the backup is
/// restored, as the warning says to do.
fn read_state_or_backup(path: &str) -> Result<StateIds, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("cannot read the state {path}: {e}")))?;
    let broken = match state::read(&bytes) {
        Ok(ids) => return Ok(ids),
        Err(e) => e,
    };
    let damaged = state::cut_short(&bytes);
    let backup = format!("{path}.backup");
    match std::fs::read(&backup).map(|b| state::read(&b)) {
        Ok(Ok(ids)) if damaged => {
            eprintln!(
                "warning: {path} is empty or cut short (Terraform was killed while writing it); compared with {backup}, the state before that apply.\n         Restore it before the next terraform command: cp {backup} {path}"
            );
            Ok(ids)
        }
        _ => Err(Error::Input(format!("{path}: {broken}"))),
    }
}

/// Whether one of `states` holds `a`: its id, or for a child pool's CIDR the pool CIDR id
/// the `ipam_pool_cidr` resource keeps.
pub(super) fn held(a: &Allocation, states: &[StateIds], sources: &HashMap<String, String>) -> bool {
    states
        .iter()
        .any(|s| s.holds(&a.id) || sources.get(&a.id).is_some_and(|pc| s.holds(pc)))
}

/// What FILE's allocations say about the state it is.
enum Verdict {
    /// One state key (and workspace): FILE is that state.
    Known { state: String, workspace: String },
    /// Only allocations recorded before state keys: their directories and workspace are
    /// known, not their state.
    Unrecorded(BTreeSet<(String, String)>),
    /// Allocations of several states (keys, or unrecorded ones of several directories).
    Several(Vec<String>),
    /// No allocation at all.
    HoldsNone,
}

/// The ids in `file` that may name an allocation: allocation ids, and the pool CIDR ids of
/// child pools (whose allocation in the parent the `ipam_pool_cidr` resource stands for).
fn held_allocations(
    store: &Store,
    file: &StateIds,
    sources: &HashMap<String, String>,
) -> Result<Vec<Allocation>, Error> {
    let by_pool_cidr: HashMap<&str, &str> = sources
        .iter()
        .map(|(a, pc)| (pc.as_str(), a.as_str()))
        .collect();
    let mut ids: Vec<String> = file
        .strings
        .iter()
        .filter_map(|s| {
            if s.starts_with("ipam-pool-alloc-") {
                Some(s.clone())
            } else {
                by_pool_cidr.get(s.as_str()).map(|a| a.to_string())
            }
        })
        .collect();
    ids.sort();
    ids.dedup();
    Ok(store.allocations_by_ids(&ids)?)
}

fn verdict(held: &[Allocation]) -> Verdict {
    let mut keyed: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unrecorded: BTreeSet<(String, String)> = BTreeSet::new();
    for o in held.iter().filter_map(|a| a.origin.as_ref()) {
        match &o.state {
            Some(k) => *keyed.entry((k.clone(), o.workspace.clone())).or_default() += 1,
            None => {
                unrecorded.insert((o.dir.clone(), o.workspace.clone()));
            }
        }
    }
    let describe_keyed = |keyed: &BTreeMap<(String, String), usize>| -> Vec<String> {
        keyed
            .iter()
            .map(|((k, ws), n)| format!("state {k} (workspace {ws}): {n} allocation(s)"))
            .collect()
    };
    match keyed.len() {
        0 if unrecorded.is_empty() => Verdict::HoldsNone,
        0 if unrecorded.len() == 1 => Verdict::Unrecorded(unrecorded),
        0 => Verdict::Several(
            unrecorded
                .iter()
                .map(|(d, ws)| format!("{d} (workspace {ws}), state not recorded"))
                .collect(),
        ),
        1 => {
            let (state, workspace) = keyed.into_keys().next().expect("one key");
            Verdict::Known { state, workspace }
        }
        _ => Verdict::Several(describe_keyed(&keyed)),
    }
}

/// An orphan candidate and whether `--release` may free it.
struct Found {
    allocation: Allocation,
    /// Recorded before state keys: released only with --force.
    unrecorded: bool,
}

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let Some(state_path) = args.get("--state") else {
        return Err(Error::Usage(
            "--state FILE is required (terraform.tfstate, or `terraform show -json > state.json`)"
                .into(),
        ));
    };
    let dir = args.get("--dir").unwrap_or(".");
    if !Path::new(dir).is_dir() {
        return Err(Error::Usage(format!("--dir: {dir:?} is not a directory")));
    }
    let file = read_state_or_backup(state_path)?;
    let states = std::slice::from_ref(&file);
    let store = super::open(args)?;
    let sources = store.pool_cidr_sources()?;
    let held_here = held_allocations(&store, &file, &sources)?;
    let verdict = verdict(&held_here);
    let not_held =
        |a: &Allocation| a.state == AllocationState::Allocated && !held(a, states, &sources);
    // The candidates, and why --release may not free them (None: it may).
    let (found, refusal, origin_json): (Vec<Found>, Option<String>, serde_json::Value) =
        match &verdict {
            Verdict::Known { state, workspace } => {
                let mut found: Vec<Found> = store
                    .allocations_of_state(state, workspace)?
                    .into_iter()
                    .filter(|a| not_held(a))
                    .map(|allocation| Found {
                        allocation,
                        unrecorded: false,
                    })
                    .collect();
                // Allocations from the same directories and workspace recorded before state keys.
                let dirs: BTreeSet<String> = held_here
                    .iter()
                    .filter_map(|a| a.origin.as_ref())
                    .filter(|o| o.state.is_none() || o.state.as_deref() == Some(state))
                    .map(|o| o.dir.clone())
                    .collect();
                for d in &dirs {
                    let o = Origin {
                        dir: d.clone(),
                        workspace: workspace.clone(),
                        state: None,
                    };
                    found.extend(
                        store
                            .allocations_from(&o)?
                            .into_iter()
                            .filter(|a| {
                                a.origin.as_ref().is_some_and(|o| o.state.is_none()) && not_held(a)
                            })
                            .map(|allocation| Found {
                                allocation,
                                unrecorded: true,
                            }),
                    );
                }
                (found, None, json!({"state": state, "workspace": workspace}))
            }
            Verdict::Unrecorded(pairs) => {
                let (d, ws) = pairs.iter().next().expect("one directory").clone();
                let o = Origin {
                    dir: d.clone(),
                    workspace: ws.clone(),
                    state: None,
                };
                // Only the unrecorded ones: an allocation with a state key was made for some
                // state, and nothing FILE holds says it is this one.
                let found = store
                    .allocations_from(&o)?
                    .into_iter()
                    .filter(|a| not_held(a) && a.origin.as_ref().is_some_and(|o| o.state.is_none()))
                    .map(|a| Found {
                        allocation: a,
                        unrecorded: true,
                    })
                    .collect();
                (
                    found,
                    None,
                    json!({"dir": d, "workspace": ws, "state": null}),
                )
            }
            Verdict::Several(what) => {
                let mut found = Vec::new();
                let mut seen = BTreeSet::new();
                for o in held_here.iter().filter_map(|a| a.origin.as_ref()) {
                    let list = match &o.state {
                        Some(k) if seen.insert((k.clone(), o.workspace.clone())) => {
                            store.allocations_of_state(k, &o.workspace)?
                        }
                        None if seen.insert((o.dir.clone(), o.workspace.clone())) => store
                            .allocations_from(o)?
                            .into_iter()
                            .filter(|a| a.origin.as_ref().is_some_and(|o| o.state.is_none()))
                            .collect(),
                        _ => continue,
                    };
                    found.extend(list.into_iter().filter(|a| not_held(a)).map(|a| Found {
                        allocation: a,
                        unrecorded: false,
                    }));
                }
                (
                found,
                Some(format!(
                    "{state_path} holds allocations of several states, so which of their other allocations it lost cannot be told:\n  {}\nRelease what you know to be orphaned by id: terraform-provider-ipam release --state {state_path} ID...",
                    what.join("\n  ")
                )),
                serde_json::Value::Null,
            )
            }
            Verdict::HoldsNone => {
                let mut origin = Origin::of_dir(Path::new(dir));
                if let Some(w) = args.get("--workspace") {
                    origin.workspace = w.to_string();
                }
                let found = store
                    .allocations_from(&origin)?
                    .into_iter()
                    .filter(|a| not_held(a))
                    .map(|a| Found {
                        allocation: a,
                        unrecorded: false,
                    })
                    .collect();
                (
                found,
                Some(format!(
                    "{state_path} holds no allocation, so the state it is cannot be told from it: listed are the allocations made from {} (workspace {}), for any state. Release what you know to be orphaned by id: terraform-provider-ipam release --state {state_path} ID...",
                    origin.dir, origin.workspace
                )),
                serde_json::Value::Null,
            )
            }
        };
    let releasable: Vec<&Found> = found
        .iter()
        .filter(|f| refusal.is_none() && (!f.unrecorded || args.has("--force")))
        .collect();
    let kept_unrecorded = found.iter().filter(|f| f.unrecorded).count()
        - releasable.iter().filter(|f| f.unrecorded).count();
    if args.has("--release") {
        if let Some(why) = &refusal {
            return Err(Error::Refused(format!("nothing released: {why}")));
        }
        if releasable.is_empty() && kept_unrecorded > 0 {
            return Err(Error::Refused(format!(
                "nothing released: the {kept_unrecorded} allocation(s) listed by `orphans --state {state_path}` were recorded before the provider told states apart, so another state of the same directory (another backend) may hold them; pass --force if none does"
            )));
        }
    }
    let released = if args.has("--release") && !releasable.is_empty() {
        let ids: Vec<String> = releasable.iter().map(|f| f.allocation.id.clone()).collect();
        store.release_ids(&super::actor(), &ids)?;
        true
    } else {
        false
    };
    // Orphans found are an answer (1); found and released, mended (5).
    // Released, but some kept (recorded before states were told apart): still found (1).
    let code = match (found.is_empty(), released && kept_unrecorded == 0) {
        (true, _) => ExitCode::SUCCESS,
        (false, false) => ExitCode::from(super::exit::FOUND),
        (false, true) => ExitCode::from(super::exit::REPAIRED),
    };
    if args.json() {
        output::json(
            out,
            &json!({
                "origin": origin_json,
                "orphans": found.iter().map(|f| super::allocations::allocation_json(&f.allocation)).collect::<Vec<_>>(),
                "unrecorded": found.iter().filter(|f| f.unrecorded).map(|f| f.allocation.id.clone()).collect::<Vec<_>>(),
                "refused": refusal,
                "released": released,
            }),
        )?;
        return Ok(code);
    }
    if found.is_empty() {
        match &verdict {
            Verdict::Known { state, workspace } => writeln!(
                out,
                "no orphans: every allocation made for {state_path}'s state ({state}, workspace {workspace}) is in it"
            )?,
            _ => writeln!(out, "no orphans: nothing made for {state_path}'s state is missing from it")?,
        }
        if let Some(why) = &refusal {
            writeln!(out, "note: {}", crate::text::escape_controls(why))?;
        }
        return Ok(code);
    }
    let mut t = Table::new(&[
        "ALLOCATION",
        "POOL",
        "CIDR",
        "TYPE",
        "RESOURCE",
        "ORIGIN",
        "STATE",
    ]);
    for f in &found {
        let a = &f.allocation;
        t.row(vec![
            a.id.clone(),
            a.pool_id.clone(),
            a.cidr.to_string(),
            a.kind.as_str().to_string(),
            super::allocations::holder(a),
            super::allocations::origin(a),
            a.origin
                .as_ref()
                .map(Origin::state_label)
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    t.print(out)?;
    if let Some(why) = &refusal {
        let line = format!(
            "\n{} allocation(s) not in {state_path}; --release refuses: {why}",
            found.len()
        );
        writeln!(out, "{}", crate::text::escape_lines(&line))?;
    } else if released {
        writeln!(
            out,
            "\nreleased {} orphaned allocation(s)",
            releasable.len()
        )?;
        if kept_unrecorded > 0 {
            writeln!(out, "not released: {kept_unrecorded} allocation(s) recorded before the provider told states apart (another backend of the same directory may hold them); pass --force if none does")?;
        }
    } else {
        writeln!(
            out,
            "\n{} allocation(s) made for this state are not in {state_path}; add --release to free them",
            found.len()
        )?;
        if kept_unrecorded > 0 {
            writeln!(out, "{kept_unrecorded} of them (state \"unrecorded\") were recorded before the provider told states apart: --release frees them only with --force")?;
        }
    }
    Ok(code)
}
