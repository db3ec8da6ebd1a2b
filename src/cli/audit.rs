//! `audit [--object ID] [--limit N]`: the audit log, oldest of the newest N first.

use super::args::{Args, Flag};
use super::output::{self, or_dash, Table};
use super::{Command, Error};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub const COMMAND: Command = Command {
    name: "audit",
    summary: "the newest changes (default 50), oldest first",
    synopsis: "[--object ID] [--limit N] [--database PATH] [--json]",
    details: "Every change is recorded with its time, the account, the action, the object and the\nrecord before and after (--json shows them).",
    flags: &[
        Flag::value("--object", "ID", "only the events of this object"),
        Flag::value("--limit", "N", "how many of the newest events (default 50)"),
    ],
    positional: false,
    json: true,
    found: "",
    run,
};

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let limit = args.number::<u32>("--limit").map_err(Error::Usage)?;
    let store = super::open(args)?;
    let events = store.audit_events(args.get("--object"), limit.unwrap_or(50))?;
    if args.json() {
        let v: Vec<_> = events
            .iter()
            .map(|e| {
                json!({"seq": e.seq, "at": output::time(e.at), "account_id": e.account_id, "action": e.action,
                       "object_id": e.object_id, "before": e.before, "after": e.after})
            })
            .collect();
        output::json(out, &serde_json::Value::Array(v))?;
        return Ok(ExitCode::SUCCESS);
    }
    if events.is_empty() {
        writeln!(out, "(no events)")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&["SEQ", "TIME", "ACCOUNT", "ACTION", "OBJECT", "CIDR"]);
    for e in &events {
        t.row(vec![
            e.seq.to_string(),
            output::time(e.at),
            e.account_id.clone(),
            e.action.clone(),
            e.object_id.clone(),
            or_dash(e.cidr()),
        ]);
    }
    t.print(out)?;
    Ok(ExitCode::SUCCESS)
}
