//! `verify [--repair]`: checks the database's invariants and exits 1 on a fault; `--repair`
//! rebuilds the free index from the allocations first, and exits 5 when that mended every
//! fault (so a job sees that something was wrong).

use super::args::{Args, Flag};
use super::output::{self, Table};
use super::{Command, Error};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "verify",
    summary: "check the database's invariants; exit 1 on a fault",
    synopsis: "[--repair] [--database PATH] [--json]",
    details: "Checks that each pool CIDR is covered exactly by its free blocks, allocations and child\npools, that no two allocations overlap (within a pool, or across pools of a scope off a
pool's chain of ancestors: a duplicate), that no allocation lies outside its pool, and that reservations and the records pointing at\neach other agree. --repair rebuilds every pool's free index from its allocations (audited\nas repair-free-index) and checks again; overlapping allocations are not repaired, they are\nreported for a person to resolve (replace the wrong one with `terraform apply -replace`, or
release it with `terraform-provider-ipam release`; see the interrupted-apply guide).",
    flags: &[Flag::switch(
        "--repair",
        "rebuild the free index from the allocations, then check again",
    )],
    positional: false,
    json: true,
    found: "a fault found (and, with --repair, not all of them mended)",
    run,
};

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let store = super::open(args)?;
    let before = store.verify()?;
    let repaired = if args.has("--repair") && !before.is_empty() {
        store.repair(&super::actor())?
    } else {
        Vec::new()
    };
    let faults = if repaired.is_empty() {
        before.clone()
    } else {
        store.verify()?
    };
    if args.json() {
        let list = |f: &[crate::store::Fault]| -> Vec<serde_json::Value> {
            f.iter()
                .map(|f| json!({"pool_id": f.pool_id, "fault": f.message, "repairable": f.repairable}))
                .collect()
        };
        output::json(
            out,
            &json!({"ok": faults.is_empty(), "found": list(&before), "repaired_pools": repaired, "faults": list(&faults)}),
        )?;
    } else {
        if !repaired.is_empty() {
            writeln!(
                out,
                "repaired: rebuilt the free index of {} pool(s): {}",
                repaired.len(),
                repaired.join(", ")
            )?;
            let mut t = Table::new(&["POOL", "FAULT (before repair)"]);
            for f in &before {
                t.row(vec![f.pool_id.clone(), f.message.clone()]);
            }
            t.print(out)?;
            writeln!(out)?;
        }
        if faults.is_empty() {
            writeln!(out, "ok: no fault found")?;
        } else {
            let mut t = Table::new(&["POOL", "FAULT", "REPAIR"]);
            for f in &faults {
                t.row(vec![
                    f.pool_id.clone(),
                    f.message.clone(),
                    if f.repairable {
                        "verify --repair".into()
                    } else {
                        "by hand".into()
                    },
                ]);
            }
            t.print(out)?;
        }
    }
    Ok(if !faults.is_empty() {
        ExitCode::from(super::exit::FOUND)
    } else if !repaired.is_empty() {
        ExitCode::from(super::exit::REPAIRED)
    } else {
        ExitCode::SUCCESS
    })
}
