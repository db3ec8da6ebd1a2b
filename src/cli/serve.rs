//! `serve [--listen ADDRESS:PORT]`: the read-only dashboard and `/metrics` (`src/dashboard/`).
//! It listens on loopback unless told otherwise, and says so when it is reachable from other
//! machines, since the dashboard has no login.

use super::args::{Args, Flag};
use super::{Command, Error};
use crate::dashboard::server::{self, App};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

/// Where `serve` listens when `--listen` does not say.
const LISTEN: &str = "127.0.0.1:9750";

pub const COMMAND: Command = Command {
    name: "serve",
    summary: "the read-only dashboard and /metrics for Prometheus",
    synopsis: "[--listen 127.0.0.1:9750] [--database PATH]",
    details: "Serves a read-only view of the database: / the pool tree with utilization, /pools/<id>\na pool's map, chart, allocations and audit events, /search?q=ADDRESS, /discovery the\nlast stored scan of each resource discovery (serve never scans), /metrics for Prometheus.\nThe first line printed is the address it listens on; it stops on Ctrl-C.",
    flags: &[Flag::value(
        "--listen",
        "ADDRESS:PORT",
        "where to listen (default 127.0.0.1:9750; port 0: any free port)",
    )],
    positional: false,
    json: false,
    found: "",
    run,
};

fn run(args: &Args, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let listen = args.get("--listen").unwrap_or(LISTEN);
    let listen: SocketAddr = listen.parse().map_err(|_| {
        Error::Usage(format!(
            "--listen {listen:?}: not an address and port such as 127.0.0.1:9750 or [::1]:9750"
        ))
    })?;
    let (store, path) = super::open_read_only(args)?;
    if !listen.ip().is_loopback() {
        eprintln!(
            "note: serving on {listen}, reachable from other machines; the dashboard has no login"
        );
    }
    let app = App::new(store, path);
    server::run(app, listen, out).map_err(|e| Error::Failed(format!("--listen {listen}: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
