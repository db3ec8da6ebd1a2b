//! `migrate --to URL`: copies a whole IPAM (usually a SQLite file) into an empty PostgreSQL
//! database, ids and audit log and all, and checks the copy's row counts. Point the provider's
//! `database` at the URL afterwards and the next plan is empty.

use super::args::{Args, Flag};
use super::output::{self, Table};
use super::{Command, Error};
use crate::store::Store;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

pub const COMMAND: Command = Command {
    name: "migrate",
    summary: "copy the database into an empty PostgreSQL database",
    synopsis: "--to URL [--retire] [--database PATH] [--json]",
    details: "Copies every IPAM, scope, pool, CIDR, allocation, reservation, audit event, history\npoint, resource discovery (with its associations and last scan) and planning pool's\nsource, ids included, from --database into the database at --to (a postgres:// URL; its\nschema is created first). The target must be empty. The copy is one transaction: a failure\nleaves the target as it was. Row counts of both are compared before it is committed.\nA SQLite source is then retired: holding its write lock from the snapshot it copies until\nthen, the copy marks the file as moved to URL (without its password), and from then on\nevery change to the file (an allocation, a discovery scan) is refused with a message naming\nURL, also by older provider versions (they refuse its schema version); reads still work.",
    flags: &[
        Flag::value(
            "--to",
            "URL",
            "the target database, e.g. postgres://user@host/ipam?sslmode=require",
        ),
        Flag::switch(
            "--retire",
            "do not copy: only retire the file, already copied to URL by an older version, listing its allocations URL lacks",
        ),
    ],
    positional: false,
    json: true,
    found: "",
    run,
};

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let to = args
        .get("--to")
        .ok_or_else(|| Error::Usage("--to URL is required: the database to copy into".into()))?;
    // A file path would be created as a new SQLite database: the target is a server's.
    if !ipam_db::Location::parse(to).is_postgres() {
        return Err(Error::Usage(format!(
            "--to {to:?}: not a postgres:// URL (migrate copies into an empty PostgreSQL database)"
        )));
    }
    let source = super::open(args)?;
    let target = Store::open_database(to, super::provided_ipv6()?, Duration::from_secs(60))?;
    if args.has("--retire") {
        return retire(args, out, &source, &target, to);
    }
    let report = source.copy_into(&target, to)?;
    if args.json() {
        let tables: serde_json::Map<String, serde_json::Value> = report
            .iter()
            .map(|(t, n)| (t.to_string(), json!(n)))
            .collect();
        output::json(out, &json!({"copied": tables}))?;
    } else {
        let mut table = Table::new(&["TABLE", "ROWS"]);
        for (t, n) in &report {
            table.row(vec![t.to_string(), n.to_string()]);
        }
        table.print(out)?;
        writeln!(
            out,
            "Copied; the counts match. Set the provider's database to the new URL.{}",
            if source.dialect() == crate::store::Dialect::Sqlite {
                "\nThe file is now retired: it refuses every change, naming the new URL; reads still work."
            } else {
                ""
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--retire`: marks a file copied by an older version, and lists what it holds that the new
/// database lacks (allocations made in the file after that copy).
fn retire(
    args: &Args,
    out: &mut dyn Write,
    source: &Store,
    target: &Store,
    to: &str,
) -> Result<ExitCode, Error> {
    let diverged = source.retire_into(target, to)?;
    let shown = ipam_db::redact(to);
    if args.json() {
        output::json(
            out,
            &json!({
                "retired": true,
                "moved_to": shown,
                "missing_from_target": diverged.iter().map(|d| json!({"id": d.id, "pool_id": d.pool_id, "cidr": d.cidr})).collect::<Vec<_>>(),
            }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "Retired: the file now refuses every change, naming {shown}; reads still work."
    )?;
    if !diverged.is_empty() {
        let mut table = Table::new(&["ALLOCATION", "POOL", "CIDR"]);
        for d in &diverged {
            table.row(vec![d.id.clone(), d.pool_id.clone(), d.cidr.clone()]);
        }
        writeln!(
            out,
            "\n{} allocation(s) of the file are not in {shown} as they are (made in the file after the copy): check each against the new database, which may have handed out the same block, and recreate what is still needed there.\n",
            diverged.len()
        )?;
        table.print(out)?;
    }
    Ok(ExitCode::SUCCESS)
}
