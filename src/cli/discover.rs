//! `discover [--discovery ID] [--fail-on STATUS,...]`: scans discoveries, adopts what
//! auto-importing pools take, and prints the compliance table. With `--fail-on` it exits 1 when
//! a listed status is found, so a CI job can gate on it; 3 means a source could not be read.

use super::args::{Args, Flag};
use super::output::{self, or_dash, Table};
use super::{Command, Error};
use crate::discovery::{Compliance, Finding, Overlap};
use crate::store::{Scan, ScanError};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "discover",
    summary: "scan discoveries: the compliance table (--fail-on for a CI gate)",
    synopsis: "[--discovery ID] [--fail-on STATUS,...] [--database PATH] [--json]",
    details: "Scans the sources of a resource discovery (every discovery when --discovery is not given),\nadopts what auto-importing pools take, and prints each CIDR found with its compliance and\noverlap status. With --fail-on, exits 1 when any CIDR has a listed status (unmanaged,\nnoncompliant, compliant, ignored, overlapping, nonoverlapping); 3 when a source cannot\nbe read (nothing is written then).\nThe scan's account and region come from IPAM_ACCOUNT_ID and IPAM_REGION (else AWS_REGION),\nas for the provider.",
    flags: &[
        Flag::value(
            "--discovery",
            "ID",
            "only this discovery (ipam-res-disc-...)",
        ),
        Flag::value(
            "--fail-on",
            "LIST",
            "exit 1 when any CIDR has one of these comma-separated statuses",
        ),
    ],
    positional: false,
    json: true,
    found: "a CIDR has a status --fail-on lists",
    run,
};

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

fn fail_on(args: &Args) -> Result<Vec<Status>, Error> {
    let mut out = Vec::new();
    for list in args.all("--fail-on") {
        for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.push(Status::parse(s).ok_or_else(|| {
                Error::Usage(format!("--fail-on: {s:?} is not a status (use unmanaged, noncompliant, compliant, ignored, overlapping or nonoverlapping)"))
            })?);
        }
    }
    Ok(out)
}

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let fail_on = fail_on(args)?;
    let store = super::open(args)?;
    let ids: Vec<String> = match args.get("--discovery") {
        Some(id) => vec![id.to_string()],
        None => store
            .list_discoveries()?
            .into_iter()
            .map(|d| d.id)
            .collect(),
    };
    if ids.is_empty() {
        return Err(Error::Input(
            "the database has no resource discovery: create an ipam_resource_discovery first"
                .into(),
        ));
    }
    let actor = super::actor();
    let mut scans = Vec::new();
    for id in &ids {
        match store.scan_discovery(&actor, id, crate::discovery::read_sources) {
            Ok(s) => scans.push(s),
            Err(ScanError::Sources(errors)) => {
                let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                return Err(Error::Failed(format!(
                    "cannot scan {id}; nothing was written:\n{}",
                    lines.join("\n")
                )));
            }
            Err(ScanError::Store(e)) => {
                return Err(match Error::from(e) {
                    Error::Input(m) => Error::Input(format!("cannot scan {id}: {m}")),
                    Error::Refused(m) => Error::Refused(format!("cannot scan {id}: {m}")),
                    Error::Failed(m) => Error::Failed(format!("cannot scan {id}: {m}")),
                    other => other,
                })
            }
        }
    }
    if args.json() {
        print_json(out, &scans)?;
    } else {
        print_tables(out, &scans)?;
    }
    let failing = scans
        .iter()
        .flat_map(|s| &s.findings)
        .filter(|f| fail_on.iter().any(|st| st.found_in(f)))
        .count();
    if failing > 0 {
        eprintln!("{failing} CIDR(s) have a status listed in --fail-on");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(out: &mut dyn Write, scans: &[Scan]) -> std::io::Result<()> {
    let doc: Vec<serde_json::Value> = scans
        .iter()
        .map(|s| {
            json!({
                "discovery_id": s.discovery_id,
                "scanned_at": output::time(s.at),
                "adopted": s.adopted,
                "cidrs": s.findings.iter().map(finding_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    output::json(out, &serde_json::Value::Array(doc))
}

fn finding_json(f: &Finding) -> serde_json::Value {
    let r = &f.resource;
    json!({
        "resource_id": r.resource_id, "resource_type": r.resource_type.as_str(),
        "resource_cidr": r.cidr.to_string(), "resource_owner_id": r.owner_id,
        "resource_region": r.region, "vpc_id": r.vpc_id, "name": r.name, "source": r.source,
        "ipam_pool_id": f.pool_id, "compliance_status": f.compliance.map(Compliance::as_str),
        "overlap_status": f.overlap.as_str(), "ip_usage": f.ip_usage, "reason": f.reason,
    })
}

/// One heading line and one compliance table per discovery.
fn print_tables(out: &mut dyn Write, scans: &[Scan]) -> std::io::Result<()> {
    for s in scans {
        writeln!(
            out,
            "{}  scanned {}  {} CIDRs, {} adopted",
            s.discovery_id,
            output::time(s.at),
            s.findings.len(),
            s.adopted.len()
        )?;
        let mut t = Table::new(&[
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
            "REASON",
        ]);
        for f in &s.findings {
            let r = &f.resource;
            t.row(vec![
                r.resource_id.clone(),
                r.resource_type.as_str().into(),
                r.cidr.to_string(),
                or_dash(r.region.as_deref()),
                or_dash(r.owner_id.as_deref()),
                or_dash(r.name.as_deref()),
                f.compliance.map_or("-", Compliance::as_str).into(),
                f.overlap.as_str().into(),
                or_dash(f.pool_id.as_deref()),
                f.ip_usage
                    .map_or("-".into(), |u| format!("{:.0}%", u * 100.0)),
                or_dash(f.reason.as_deref()),
            ]);
        }
        t.print(out)?;
    }
    Ok(())
}
