//! `check --threshold PERCENT`: the seed's 80% alarm for cron or CI. Lists the pools whose
//! utilization is above the threshold and exits 1 when any is (0 when none, 2 when it cannot
//! check), so a failing job is the alarm.

use super::{default_database, format, open_read_only};
use crate::store::view::PoolSummary;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub const CHECK_USAGE: &str =
    "Usage: terraform-provider-ipam check --threshold PERCENT [--database PATH] [--json]

Lists the pools whose utilization is above PERCENT (0 to 100) and exits 1 when any is,
0 when none is, 2 when it cannot check. --json prints the same as JSON.
--database defaults to $IPAM_DATABASE, else ipam.db.";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{CHECK_USAGE}");
    ExitCode::from(2)
}

/// `terraform-provider-ipam check ...` (the arguments after `check`).
pub fn check_command(args: &[String]) -> ExitCode {
    let mut db = default_database();
    let mut threshold: Option<f64> = None;
    let mut as_json = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{CHECK_USAGE}");
                return ExitCode::SUCCESS;
            }
            "--json" => as_json = true,
            "--database" | "--threshold" => {
                let Some(value) = it.next().filter(|v| !v.starts_with("--")) else {
                    return usage_error(&format!("{a} needs a value"));
                };
                if a == "--database" {
                    db = value.clone();
                } else {
                    match value.trim_end_matches('%').parse::<f64>() {
                        Ok(t) if (0.0..=100.0).contains(&t) => threshold = Some(t),
                        _ => {
                            return usage_error(&format!(
                                "--threshold {value:?}: not a percentage from 0 to 100"
                            ))
                        }
                    }
                }
            }
            other => return usage_error(&format!("check does not take {other:?}")),
        }
    }
    let Some(threshold) = threshold else {
        return usage_error("--threshold is required (e.g. --threshold 80)");
    };
    let pools =
        match open_read_only(&db).and_then(|s| s.view(|v| v.pools()).map_err(|e| e.to_string())) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
    let mut above: Vec<&PoolSummary> = pools
        .iter()
        .filter(|p| p.usage.percent() > threshold)
        .collect();
    above.sort_by(|a, b| {
        b.usage
            .percent()
            .total_cmp(&a.usage.percent())
            .then(a.pool.id.cmp(&b.pool.id))
    });
    let printed = if as_json {
        print_json(threshold, pools.len(), &above)
    } else {
        print_table(threshold, pools.len(), &above)
    };
    match printed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        _ if above.is_empty() => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

fn print_json(threshold: f64, checked: usize, above: &[&PoolSummary]) -> std::io::Result<()> {
    let pools: Vec<_> = above
        .iter()
        .map(|p| {
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
            })
        })
        .collect();
    let doc =
        json!({ "threshold_percent": threshold, "pools_checked": checked, "pools_above": pools });
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn print_table(threshold: f64, checked: usize, above: &[&PoolSummary]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let t = format::percent(threshold);
    if above.is_empty() {
        return writeln!(
            out,
            "OK: none of {checked} pool(s) is above {t}% utilization"
        );
    }
    let rows: Vec<[String; 6]> = above
        .iter()
        .map(|p| {
            [
                p.pool.id.clone(),
                format!("{}%", format::percent(p.usage.percent())),
                format!(
                    "{} of {}",
                    format::count(p.usage.allocated),
                    format::count(p.usage.total)
                ),
                p.pool.family.to_string(),
                p.cidrs
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                p.pool
                    .description
                    .clone()
                    .unwrap_or_default()
                    .replace(['\n', '\t'], " "),
            ]
        })
        .collect();
    let header = [
        "POOL",
        "UTILIZATION",
        "ADDRESSES",
        "FAMILY",
        "CIDRS",
        "DESCRIPTION",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s
    };
    writeln!(out, "{}", line(&header))?;
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    writeln!(
        out,
        "ALARM: {} of {checked} pool(s) above {t}% utilization",
        above.len()
    )
}
