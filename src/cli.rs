//! The commands a person runs: a quick look at what a database has handed out.

use ipam::engine::Cidr;
use ipam::store::{AllocationState, Pool, Store, UtilizationTarget};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "terraform-provider-ipam: a Terraform provider (run by Terraform), and a small CLI.

Usage:
  terraform-provider-ipam allocations [--database PATH]   list every pool and its allocations
  terraform-provider-ipam audit [--database PATH] [--object ID] [--limit N]
                                                          the newest changes (default 50), oldest first
  terraform-provider-ipam discover [--discovery ID] [--fail-on STATUS,...] [--json]
                                                          scan discoveries: the compliance table
  terraform-provider-ipam --debug                         serve for TF_REATTACH_PROVIDERS
  terraform-provider-ipam --version";

/// Runs a CLI command; `None` when the arguments are not one (the binary then serves
/// Terraform).
pub fn run(args: &[String]) -> Option<ExitCode> {
    let code = match args.first().map(String::as_str)? {
        "--version" => {
            println!("terraform-provider-ipam {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        command @ ("allocations" | "audit") => {
            let mut db = std::env::var("IPAM_DATABASE").unwrap_or_else(|_| "ipam.db".into());
            let mut object = None;
            let mut limit = 50u32;
            let mut it = args.iter().skip(1);
            while let Some(a) = it.next() {
                let Some(value) = it.next() else {
                    return Some(usage());
                };
                match (command, a.as_str()) {
                    (_, "--database") => db = value.clone(),
                    ("audit", "--object") => object = Some(value.clone()),
                    ("audit", "--limit") => match value.parse() {
                        Ok(n) => limit = n,
                        Err(_) => return Some(usage()),
                    },
                    _ => return Some(usage()),
                }
            }
            let result = match command {
                "audit" => audit(&db, object.as_deref(), limit),
                _ => allocations(&db),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                // A reader that stops early (`| head`) is not an error.
                Err(e)
                    if e.downcast_ref::<std::io::Error>()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
                {
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        "discover" => ipam::discovery::cli::run(&args[1..]),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => return None,
    };
    Some(code)
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Opens an existing database; a CLI that looks must not create an empty one by mistake.
fn open(db: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let path = PathBuf::from(db.strip_prefix("sqlite://").unwrap_or(db));
    if !path.exists() {
        return Err(format!("no database at {}", path.display()).into());
    }
    Ok(Store::open(&path, Cidr::parse("2001:db8::/32")?)?)
}

fn audit(db: &str, object: Option<&str>, limit: u32) -> Result<(), Box<dyn std::error::Error>> {
    let events = open(db)?.audit_events(object, limit)?;
    let mut out = std::io::stdout().lock();
    if events.is_empty() {
        writeln!(out, "(no events)")?;
    }
    for e in events {
        writeln!(
            out,
            "{:>6}  {}  {}  {:<24} {:<34} {}",
            e.seq,
            tfplug::time::rfc3339_utc(e.at, None),
            e.account_id,
            e.action,
            e.object_id,
            e.cidr().unwrap_or("")
        )?;
    }
    Ok(())
}

fn allocations(db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(db)?;
    let pools = store.find_pools(None, &[], None)?;
    let mut out = std::io::stdout().lock();
    if pools.is_empty() {
        writeln!(out, "(no pools)")?;
    }
    // Printed as the hierarchy: top-level pools (IPv4 first), each followed by its children,
    // siblings in address order.
    let mut listed = Vec::with_capacity(pools.len());
    for p in pools {
        let cidrs: Vec<Cidr> = store.pool_cidrs(&p.id)?.iter().map(|c| c.cidr).collect();
        listed.push((p, cidrs));
    }
    listed.sort_by_cached_key(|(p, cidrs)| {
        (
            p.family.to_string(),
            cidrs.first().map(|c| (c.start(), c.prefix_len())),
        )
    });
    // A pool whose parent is not listed is shown at the top.
    let ids: HashSet<&str> = listed.iter().map(|(p, _)| p.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, (p, _)) in listed.iter().enumerate() {
        let parent = p.parent_id.as_deref().filter(|id| ids.contains(id));
        children.entry(parent).or_default().push(i);
    }
    let tree = Tree {
        store: &store,
        listed: &listed,
        children: &children,
    };
    tree.print(&mut out, None, 0)
}

/// The pools in listing order and, for each parent (`None`: the top), its children's indexes.
struct Tree<'a> {
    store: &'a Store,
    listed: &'a [(Pool, Vec<Cidr>)],
    children: &'a HashMap<Option<&'a str>, Vec<usize>>,
}

impl Tree<'_> {
    fn print(
        &self,
        out: &mut dyn Write,
        parent: Option<&str>,
        level: usize,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for &i in self
            .children
            .get(&parent)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let (p, cidrs) = &self.listed[i];
            print_pool(out, self.store, p, cidrs, level)?;
            self.print(out, Some(&p.id), level + 1)?;
        }
        Ok(())
    }
}

fn print_pool(
    out: &mut dyn Write,
    store: &Store,
    p: &Pool,
    cidrs: &[Cidr],
    level: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let indent = "    ".repeat(level);
    let u = store.utilization(UtilizationTarget::Pool(&p.id))?;
    let cidrs: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
    writeln!(
        out,
        "{indent}{}  {}  {}  [{}]  {}/{} addresses used ({}%)",
        p.id,
        p.family,
        p.description.as_deref().unwrap_or("-"),
        cidrs.join(", "),
        u.allocated,
        u.total,
        u.percent()
    )?;
    for a in store.list_allocations(&p.id)? {
        let state = match a.state {
            AllocationState::Reserved => " (reserved)",
            AllocationState::Allocated => "",
        };
        writeln!(
            out,
            "{indent}    {:<22} {:<10} {:<28} {}{}",
            a.cidr.to_string(),
            a.kind.as_str(),
            a.resource_id
                .as_deref()
                .or(a.name.as_deref())
                .unwrap_or("-"),
            a.description.as_deref().unwrap_or(""),
            state
        )?;
    }
    Ok(())
}
