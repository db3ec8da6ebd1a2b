//! `orphans --state FILE [--release]`: the allocations this configuration directory made that
//! its state does not hold — what a killed `terraform apply` leaves behind.

use super::args::{Args, Flag};
use super::output::{self, Table};
use super::state::{self, StateIds};
use super::{Command, Error};
use crate::store::{Allocation, AllocationState, Origin};
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "orphans",
    summary: "allocations made from this directory that its Terraform state does not hold",
    synopsis: "--state FILE [--release] [--dir DIR] [--workspace NAME] [--database PATH] [--json]",
    details: "Every allocation records its origin: the directory and workspace Terraform ran in. An\napply killed between the provider's write and Terraform's state write leaves allocations\nno state holds. This lists the allocations (not plan-time reservations, which expire) made\nfrom DIR (default: the current directory) and WORKSPACE (default: the one selected there)\nthat FILE does not hold; FILE is a terraform.tfstate (or `terraform state pull` output) or\n`terraform show -json` output. --release frees them (audited as release-allocation).",
    flags: &[
        Flag::value("--state", "FILE", "the state to compare with (required)"),
        Flag::switch("--release", "release the orphans found"),
        Flag::value("--dir", "DIR", "the configuration directory (default: the current one)"),
        Flag::value("--workspace", "NAME", "the Terraform workspace (default: the one selected in DIR)"),
        Flag::switch("--force", "release even when the state holds none of this directory's allocations"),
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
    let damaged = bytes.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde_json::Value>(&bytes).is_err();
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
    let mut origin = Origin::of_dir(Path::new(dir));
    if let Some(w) = args.get("--workspace") {
        origin.workspace = w.to_string();
    }
    let states = [read_state_or_backup(state_path)?];
    let store = super::open(args)?;
    let sources = store.pool_cidr_sources()?;
    let made_here: Vec<Allocation> = store
        .allocations_from(&origin)?
        .into_iter()
        .filter(|a| a.state == AllocationState::Allocated)
        .collect();
    let orphans: Vec<Allocation> = made_here
        .iter()
        .filter(|a| !held(a, &states, &sources))
        .cloned()
        .collect();
    // A state with resources that holds nothing made here is most likely another directory's
    // (or workspace's): releasing on its word would free what this configuration still uses.
    if args.has("--release")
        && !args.has("--force")
        && states[0].instances > 0
        && !orphans.is_empty()
        && orphans.len() == made_here.len()
    {
        return Err(Error::Refused(format!(
            "nothing released: {state_path} holds none of the {} allocation(s) made from {} (workspace {}); is it this directory's state? Check --dir and --workspace, or pass --force",
            made_here.len(),
            origin.dir,
            origin.workspace
        )));
    }
    let released = if args.has("--release") && !orphans.is_empty() {
        let ids: Vec<String> = orphans.iter().map(|a| a.id.clone()).collect();
        store.release_ids(&super::actor(), &ids)?;
        true
    } else {
        false
    };
    // Orphans found are an answer (1); found and released, mended (5).
    let code = match (orphans.is_empty(), released) {
        (true, _) => ExitCode::SUCCESS,
        (false, false) => ExitCode::from(super::exit::FOUND),
        (false, true) => ExitCode::from(super::exit::REPAIRED),
    };
    if args.json() {
        output::json(
            out,
            &json!({
                "origin": {"dir": origin.dir, "workspace": origin.workspace},
                "orphans": orphans.iter().map(super::allocations::allocation_json).collect::<Vec<_>>(),
                "released": released,
            }),
        )?;
        return Ok(code);
    }
    if orphans.is_empty() {
        writeln!(
            out,
            "no orphans: every allocation made from {} (workspace {}) is in {state_path}",
            origin.dir, origin.workspace
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&["ALLOCATION", "POOL", "CIDR", "TYPE", "RESOURCE", "ORIGIN"]);
    for a in &orphans {
        t.row(vec![
            a.id.clone(),
            a.pool_id.clone(),
            a.cidr.to_string(),
            a.kind.as_str().to_string(),
            super::allocations::holder(a),
            super::allocations::origin(a),
        ]);
    }
    t.print(out)?;
    if released {
        writeln!(out, "\nreleased {} orphaned allocation(s)", orphans.len())?;
    } else {
        writeln!(
            out,
            "\n{} allocation(s) made from here are not in {state_path}; add --release to free them",
            orphans.len()
        )?;
    }
    Ok(code)
}
