//! `terraform-provider-ipam discover`: scans discoveries and prints the compliance table; with
//! `--fail-on`, exits 1 when a listed status is found (a CI gate).

use super::{Compliance, Finding, Overlap};
use crate::defaults;
use crate::engine::Cidr;
use crate::store::{Actor, ScanError, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub const USAGE: &str = "Usage: terraform-provider-ipam discover [--database PATH] [--discovery ID] [--fail-on STATUS,...] [--json]

Scans the sources of a resource discovery (every discovery when --discovery is not given),
adopts what auto-importing pools take, and prints each CIDR found with its compliance and
overlap status.

  --database PATH     the database (default: $IPAM_DATABASE, else ipam.db)
  --discovery ID      only this discovery (ipam-res-disc-...)
  --fail-on LIST      exit 1 when any CIDR has one of these statuses: unmanaged,
                      noncompliant, compliant, ignored, overlapping, nonoverlapping
  --json              one JSON document instead of the table

The account and region of the scan come from $IPAM_ACCOUNT_ID and $IPAM_REGION (else
$AWS_REGION), as for the provider.";

/// A status `--fail-on` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Compliance(Compliance),
    Overlap(Overlap),
}

impl Status {
    fn parse(s: &str) -> Option<Status> {
        Compliance::parse(s).map(Status::Compliance).or_else(|| {
            Overlap::parse(s)
                .filter(|o| *o != Overlap::Ignored)
                .map(Status::Overlap)
        })
    }

    fn found_in(self, f: &Finding) -> bool {
        match self {
            Status::Compliance(c) => f.compliance == Some(c),
            Status::Overlap(o) => f.overlap == o,
        }
    }
}

struct Options {
    database: String,
    discovery: Option<String>,
    fail_on: Vec<Status>,
    json: bool,
}

/// Runs `discover` with the arguments after the command name.
pub fn run(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match discover(&opts) {
        Ok(failed) if failed => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The options, or `None` for `--help`; an error names the flag or value it cannot use.
fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        database: defaults::database_path(None).display().to_string(),
        discovery: None,
        fail_on: Vec::new(),
        json: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match a.as_str() {
            "--help" | "-h" => return Ok(None),
            "--json" => o.json = true,
            "--database" => o.database = value("--database")?,
            "--discovery" => o.discovery = Some(value("--discovery")?),
            "--fail-on" => {
                for s in value("--fail-on")?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    o.fail_on.push(Status::parse(s).ok_or_else(|| {
                        format!("--fail-on: {s:?} is not a status (use unmanaged, noncompliant, compliant, ignored, overlapping or nonoverlapping)")
                    })?);
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(o))
}

fn actor() -> Actor {
    Actor::new(defaults::account_id(), defaults::region())
}

/// Scans and prints; `Ok(true)` when a `--fail-on` status was found.
fn discover(o: &Options) -> Result<bool, Box<dyn std::error::Error>> {
    let path = PathBuf::from(o.database.strip_prefix("sqlite://").unwrap_or(&o.database));
    if !path.exists() {
        return Err(format!("no database at {}", path.display()).into());
    }
    let store = Store::open(&path, Cidr::parse(defaults::PROVIDED_IPV6)?)?;
    let ids: Vec<String> = match &o.discovery {
        Some(id) => vec![id.clone()],
        None => store
            .list_discoveries()?
            .into_iter()
            .map(|d| d.id)
            .collect(),
    };
    if ids.is_empty() {
        return Err(
            "the database has no resource discovery: create an ipam_resource_discovery first"
                .into(),
        );
    }
    let actor = actor();
    let mut scans = Vec::new();
    for id in &ids {
        match store.scan_discovery(&actor, id) {
            Ok(s) => scans.push(s),
            Err(ScanError::Sources(errors)) => {
                let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                return Err(format!(
                    "cannot scan {id}; nothing was written:\n{}",
                    lines.join("\n")
                )
                .into());
            }
            Err(ScanError::Store(e)) => return Err(format!("cannot scan {id}: {e}").into()),
        }
    }
    let mut out = std::io::stdout().lock();
    if o.json {
        let doc: Vec<serde_json::Value> = scans
            .iter()
            .map(|s| {
                serde_json::json!({
                    "discovery_id": s.discovery_id,
                    "scanned_at": tfplug::time::rfc3339_utc(s.at, None),
                    "adopted": s.adopted,
                    "cidrs": s.findings.iter().map(finding_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for s in &scans {
            writeln!(
                out,
                "{}  scanned {}  {} CIDRs, {} adopted",
                s.discovery_id,
                tfplug::time::rfc3339_utc(s.at, None),
                s.findings.len(),
                s.adopted.len()
            )?;
            table(&mut out, &s.findings)?;
        }
    }
    let failing: Vec<&Finding> = scans
        .iter()
        .flat_map(|s| &s.findings)
        .filter(|f| o.fail_on.iter().any(|st| st.found_in(f)))
        .collect();
    if !failing.is_empty() {
        eprintln!(
            "{} CIDR(s) have a status listed in --fail-on",
            failing.len()
        );
    }
    Ok(!failing.is_empty())
}

fn finding_json(f: &Finding) -> serde_json::Value {
    let r = &f.resource;
    serde_json::json!({
        "resource_id": r.resource_id, "resource_type": r.resource_type.as_str(),
        "resource_cidr": r.cidr.to_string(), "resource_owner_id": r.owner_id,
        "resource_region": r.region, "vpc_id": r.vpc_id, "name": r.name, "source": r.source,
        "ipam_pool_id": f.pool_id, "compliance_status": f.compliance.map(Compliance::as_str),
        "overlap_status": f.overlap.as_str(), "ip_usage": f.ip_usage,
    })
}

/// The compliance table: one row per CIDR, columns sized to their widest cell.
fn table(out: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    let header = [
        "RESOURCE",
        "TYPE",
        "CIDR",
        "REGION",
        "OWNER",
        "NAME",
        "COMPLIANCE",
        "OVERLAP",
        "POOL",
        "IP USAGE",
    ];
    let rows: Vec<[String; 10]> = findings
        .iter()
        .map(|f| {
            let r = &f.resource;
            let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
            [
                r.resource_id.clone(),
                r.resource_type.as_str().into(),
                r.cidr.to_string(),
                dash(&r.region),
                dash(&r.owner_id),
                dash(&r.name),
                f.compliance.map_or("-", Compliance::as_str).into(),
                f.overlap.as_str().into(),
                dash(&f.pool_id),
                f.ip_usage
                    .map_or("-".into(), |u| format!("{:.0}%", u * 100.0)),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in &rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
