//! `release ID...`: frees allocations or reservations by id (audited). What a Terraform state
//! still holds is refused without `--force`: releasing it would hand the block to someone
//! else while the configuration still uses it.

use super::args::{Args, Flag};
use super::orphans::{held, read_state};
use super::output::{self, Table};
use super::state::{self, StateIds};
use super::{Command, Error};
use crate::store::{local_state_file, Allocation, AllocationState, Origin};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "release",
    summary: "free allocations or reservations by id (refused for what a state holds)",
    synopsis: "ID... [--state FILE]... [--force] [--database PATH] [--json]",
    details: "Reservations are always released. For an allocation, a Terraform state that holds it makes\nthe command refuse: with --state, the given states are checked; without it, the local\nstate the allocation was made for is read when it is a local state of the directory it\ncame from (its origin: the default DIR/terraform.tfstate, or DIR/terraform.tfstate.d/\nWORKSPACE/terraform.tfstate, or the local backend DIR is initialised with), and when it is\nnot (a remote backend, a moved directory) the command refuses because it cannot tell. --force\nreleases anyway. All ids are released in one transaction, or none.",
    flags: &[
        Flag::value("--state", "FILE", "a state to check (repeatable)"),
        Flag::switch("--force", "release even what a state holds, or when no state can be found"),
    ],
    positional: true,
    json: true,
    found: "",
    run,
};

/// The local state file Terraform keeps for `origin`, if the backend is local: for an origin
/// with a state key, the directory's default local state or the local backend it is
/// initialised with now, whichever has that key (`None` for any other).
fn local_state(origin: &Origin) -> Option<PathBuf> {
    let dir = Path::new(&origin.dir);
    if let Some(key) = &origin.state {
        return local_state_file(dir, key, &origin.workspace);
    }
    Some(if origin.workspace == "default" {
        dir.join("terraform.tfstate")
    } else {
        dir.join("terraform.tfstate.d")
            .join(&origin.workspace)
            .join("terraform.tfstate")
    })
}

/// Why `a` may not be released without --force, if it may not.
fn refusal(
    a: &Allocation,
    given: &[StateIds],
    sources: &std::collections::HashMap<String, String>,
) -> Option<String> {
    if a.state == AllocationState::Reserved {
        return None;
    }
    if !given.is_empty() {
        return held(a, given, sources)
            .then(|| format!("{} ({}) is held by a given state", a.id, a.cidr));
    }
    let Some(origin) = &a.origin else {
        return Some(format!(
            "{} ({}) has no recorded origin, so its state cannot be found: pass --state FILE or --force",
            a.id, a.cidr
        ));
    };
    let Some(path) = local_state(origin) else {
        return Some(format!(
            "{} ({}) came from {} for a state that is not a local state there now ({}): pass --state FILE (e.g. `terraform state pull > state.json` where that backend is configured) or --force",
            a.id,
            a.cidr,
            origin.dir,
            origin.state_label()
        ));
    };
    match std::fs::read(&path).map(|b| state::read(&b)) {
        Ok(Ok(s)) if held(a, std::slice::from_ref(&s), sources) => Some(format!(
            "{} ({}) is held by {}: remove it from the configuration and apply, or pass --force",
            a.id,
            a.cidr,
            path.display()
        )),
        Ok(Ok(_)) => None,
        _ => Some(format!(
            "{} ({}) came from {} but no readable local state is there ({}): pass --state FILE (e.g. `terraform show -json > state.json` in that directory) or --force",
            a.id,
            a.cidr,
            origin.dir,
            path.display()
        )),
    }
}

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    if args.positional.is_empty() {
        return Err(Error::Usage("give at least one allocation id".into()));
    }
    let given: Vec<StateIds> = args
        .all("--state")
        .iter()
        .map(|p| read_state(p))
        .collect::<Result<_, _>>()?;
    let store = super::open(args)?;
    let sources = store.pool_cidr_sources()?;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    let mut refused = Vec::new();
    for id in &args.positional {
        match store.get_allocation(id)? {
            None => unknown.push(format!("{id}: no allocation or reservation with this id")),
            Some(a) => {
                if !args.has("--force") {
                    if let Some(why) = refusal(&a, &given, &sources) {
                        refused.push(why);
                    }
                }
                found.push(a);
            }
        }
    }
    // An id the database does not hold is the caller's mistake (exit 2); an id a state holds
    // is a refusal (exit 4). Either way nothing is released.
    if !unknown.is_empty() || !refused.is_empty() {
        let lines: Vec<String> = unknown.iter().chain(&refused).cloned().collect();
        let message = format!("nothing released:\n  {}", lines.join("\n  "));
        return Err(if unknown.is_empty() {
            Error::Refused(message)
        } else {
            Error::Input(message)
        });
    }
    let ids: Vec<String> = found.iter().map(|a| a.id.clone()).collect();
    let released = store.release_ids(&super::actor(), &ids)?;
    if args.json() {
        output::json(
            out,
            &json!({"released": released.iter().map(super::allocations::allocation_json).collect::<Vec<_>>()}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&["RELEASED", "POOL", "CIDR", "STATE"]);
    for a in &released {
        t.row(vec![
            a.id.clone(),
            a.pool_id.clone(),
            a.cidr.to_string(),
            super::allocations::state(a).into(),
        ]);
    }
    t.print(out)?;
    Ok(ExitCode::SUCCESS)
}
