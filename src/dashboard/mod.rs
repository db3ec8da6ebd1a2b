//! Monitoring: `serve` (a read-only dashboard of the address space and `/metrics` for
//! Prometheus) and `check` (the 80% alarm for cron or CI). Both read the database without
//! write access, so looking can never change what Terraform relies on.

mod chart;
mod check;
pub mod format;
pub mod map;
pub mod metrics;
pub mod pages;
pub mod server;

use crate::engine::Cidr;
use crate::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

pub use check::check_command;

pub const SERVE_USAGE: &str =
    "Usage: terraform-provider-ipam serve [--listen 127.0.0.1:9750] [--database PATH]

Serves a read-only dashboard of the database: / the pool tree with utilization, /pools/<id>
a pool's map, chart, allocations and audit events, /search?q=ADDRESS, /metrics for Prometheus.
It listens on loopback unless --listen names another address (port 0: any free port).
--database defaults to $IPAM_DATABASE, else ipam.db.";

/// The database a command reads: `--database`, else `IPAM_DATABASE`, else `ipam.db`.
pub fn default_database() -> String {
    std::env::var("IPAM_DATABASE").unwrap_or_else(|_| "ipam.db".into())
}

/// Opens an existing database read-only (a SQLite file, or a PostgreSQL URL whose every
/// transaction is read-only); a viewer must not create an empty one.
pub fn open_read_only(db: &str) -> Result<Store, String> {
    if crate::store::pg::is_url(db) {
        let provided = Cidr::parse("2001:db8::/32").map_err(|e| e.to_string())?;
        return Store::open_database_read_only(db, provided).map_err(|e| e.to_string());
    }
    let path = PathBuf::from(db.strip_prefix("sqlite://").unwrap_or(db));
    if !path.exists() {
        return Err(format!("--database: no database at {}", path.display()));
    }
    let provided = Cidr::parse("2001:db8::/32").map_err(|e| e.to_string())?;
    Store::open_read_only(&path, provided).map_err(|e| e.to_string())
}

/// `terraform-provider-ipam serve ...` (the arguments after `serve`).
pub fn serve_command(args: &[String]) -> ExitCode {
    let mut db = default_database();
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 9750));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{SERVE_USAGE}");
                return ExitCode::SUCCESS;
            }
            "--database" | "--listen" => {
                let Some(value) = it.next().filter(|v| !v.starts_with("--")) else {
                    eprintln!("error: {a} needs a value\n\n{SERVE_USAGE}");
                    return ExitCode::from(2);
                };
                if a == "--database" {
                    db = value.clone();
                } else {
                    match value.parse() {
                        Ok(addr) => listen = addr,
                        Err(_) => {
                            eprintln!("error: --listen {value:?}: not an address and port such as 127.0.0.1:9750 or [::1]:9750");
                            return ExitCode::from(2);
                        }
                    }
                }
            }
            other => {
                eprintln!("error: serve does not take {other:?}\n\n{SERVE_USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let store = match open_read_only(&db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !listen.ip().is_loopback() {
        eprintln!(
            "note: serving on {listen}, reachable from other machines; the dashboard has no login"
        );
    }
    let app = server::App {
        store,
        database: db,
    };
    match server::run(app, listen) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: --listen {listen}: {e}");
            ExitCode::from(1)
        }
    }
}
