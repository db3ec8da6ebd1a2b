//! `check --threshold PERCENT`: the seed's 80% alarm for cron or CI. Lists the pools whose
//! utilization is above the threshold and exits 1 when any is, 0 when none is, and 2 or 3 when
//! it cannot check, so a failing job is the alarm and a broken one is told apart from it.

use super::args::{Args, Flag};
use super::output::{self, or_dash, Table};
use super::{Command, Error};
use crate::dashboard::check::{pools_above, Check, Checked, Selection};
use crate::dashboard::format::percent;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "check",
    summary: "pools above --threshold PERCENT; exit 1 when any is",
    synopsis: "--threshold PERCENT [--pool ID]... [--leaves-only] [--database PATH] [--json]",
    details: "Lists the pools whose utilization is above PERCENT (0 to 100), fullest first, and exits 1\nwhen any is, 0 when none is, 2 on bad input (a bad flag, an unknown --pool, no database), 3\nwhen it cannot read the database. A pool carved whole into child pools reads as full: --leaves-only checks only\npools with no child pool, --pool only the pools named. The database is opened read-only.",
    flags: &[
        Flag::value(
            "--threshold",
            "PERCENT",
            "the utilization to alarm above, e.g. 80",
        ),
        Flag::value(
            "--pool",
            "ID",
            "check only this pool (repeat for several)",
        ),
        Flag::switch(
            "--leaves-only",
            "check only pools with no child pool (a parent carved into children is not an alarm)",
        ),
    ],
    positional: false,
    json: true,
    found: "a pool is above the threshold",
    run,
};

/// `--threshold`: a percentage from 0 to 100 (a trailing `%` is allowed).
fn threshold(args: &Args) -> Result<f64, Error> {
    let Some(value) = args.get("--threshold") else {
        return Err(Error::Usage(
            "--threshold is required (e.g. --threshold 80)".into(),
        ));
    };
    match value.trim_end_matches('%').parse::<f64>() {
        Ok(t) if (0.0..=100.0).contains(&t) => Ok(t),
        _ => Err(Error::Usage(format!(
            "--threshold {value:?}: not a percentage from 0 to 100"
        ))),
    }
}

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let threshold = threshold(args)?;
    let selection = Selection {
        pools: args.all("--pool").to_vec(),
        leaves_only: args.has("--leaves-only"),
    };
    if let Some(bad) = selection.pools.iter().find(|p| p.trim().is_empty()) {
        return Err(Error::Usage(format!("--pool {bad:?}: not a pool id")));
    }
    let (store, _) = super::open_read_only(args)?;
    let check = pools_above(&store, threshold, &selection)?;
    if !check.unknown.is_empty() {
        return Err(Error::Usage(format!(
            "--pool: no such pool in the database: {}",
            check.unknown.join(", ")
        )));
    }
    if args.json() {
        print_json(out, threshold, &check)?;
    } else {
        print_table(out, threshold, &check)?;
    }
    Ok(if check.above.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_json(out: &mut dyn Write, threshold: f64, check: &Check) -> std::io::Result<()> {
    let pools: Vec<_> = check.above.iter().map(pool_json).collect();
    output::json(
        out,
        &json!({ "threshold_percent": threshold, "pools_checked": check.checked, "pools_above": pools }),
    )
}

fn pool_json(c: &Checked) -> serde_json::Value {
    let p = &c.summary;
    json!({
        "pool_id": p.pool.id, "ipam_id": p.pool.ipam_id, "scope_id": p.pool.scope_id,
        "address_family": p.pool.family.as_str(), "description": p.pool.description,
        "locale": p.pool.locale,
        "cidrs": p.cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        // Exact counts as strings: IPv6 pools exceed what JSON readers hold exactly.
        "total_addresses": p.usage.total.to_string(),
        "allocated_addresses": p.usage.allocated.to_string(),
        "utilization_percent": p.usage.percent(),
        "allocation_count": p.usage.allocation_count,
        "leaf": c.leaf,
    })
}

fn print_table(out: &mut dyn Write, threshold: f64, check: &Check) -> std::io::Result<()> {
    let (checked, t) = (check.checked, percent(threshold));
    if check.above.is_empty() {
        return writeln!(
            out,
            "OK: none of {checked} pool(s) is above {t}% utilization"
        );
    }
    let mut table = Table::new(&[
        "POOL",
        "UTILIZATION",
        "ADDRESSES",
        "FAMILY",
        "CIDRS",
        "DESCRIPTION",
    ]);
    for c in &check.above {
        let p = &c.summary;
        let cidrs: Vec<String> = p.cidrs.iter().map(|c| c.to_string()).collect();
        let description = p.pool.description.as_deref().map(one_line);
        table.row(vec![
            p.pool.id.clone(),
            format!("{}%", percent(p.usage.percent())),
            format!(
                "{} of {}",
                output::count(p.usage.allocated),
                output::count(p.usage.total)
            ),
            p.pool.family.to_string(),
            cidrs.join(","),
            or_dash(description.as_deref()),
        ]);
    }
    table.print(out)?;
    writeln!(
        out,
        "ALARM: {} of {checked} pool(s) above {t}% utilization",
        check.above.len()
    )
}

/// User text on one table line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\t'], " ")
}
