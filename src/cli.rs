//! The commands a person runs: a quick look at what a database has handed out.

use ipam::store::{Store, UtilizationTarget};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "terraform-provider-ipam: a Terraform provider (run by Terraform), and a small CLI.

Usage:
  terraform-provider-ipam allocations [--database PATH]   list every pool and its allocations
  terraform-provider-ipam --debug                         serve for TF_REATTACH_PROVIDERS
  terraform-provider-ipam --version";

pub fn run(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("--version") => {
            println!("terraform-provider-ipam {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("allocations") => {
            let mut db = std::env::var("IPAM_DATABASE").unwrap_or_else(|_| "ipam.db".into());
            let mut it = args.iter().skip(1);
            while let Some(a) = it.next() {
                if a == "--database" {
                    match it.next() {
                        Some(p) => db = p.clone(),
                        None => return usage(),
                    }
                } else {
                    return usage();
                }
            }
            match allocations(&db) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        _ => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn allocations(db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(db.strip_prefix("sqlite://").unwrap_or(db));
    if !path.exists() {
        return Err(format!("no database at {}", path.display()).into());
    }
    let store = Store::open(&path, ipam::engine::Cidr::parse("2001:db8::/32")?)?;
    let pools = store.find_pools(None, &[], None)?;
    if pools.is_empty() {
        println!("(no pools)");
    }
    // Printed as the hierarchy: top-level pools (IPv4 first), each followed by its children,
    // siblings in address order.
    let mut listed = Vec::with_capacity(pools.len());
    for p in pools {
        let cidrs: Vec<ipam::engine::Cidr> =
            store.pool_cidrs(&p.id)?.iter().map(|c| c.cidr).collect();
        listed.push((p, cidrs));
    }
    listed.sort_by(|(a, ac), (b, bc)| {
        (
            a.family.to_string(),
            ac.first().map(|c| (c.start(), c.prefix_len())),
        )
            .cmp(&(
                b.family.to_string(),
                bc.first().map(|c| (c.start(), c.prefix_len())),
            ))
    });
    let ids: std::collections::HashSet<&str> = listed.iter().map(|(p, _)| p.id.as_str()).collect();
    let roots: Vec<usize> = (0..listed.len())
        .filter(|&i| {
            listed[i]
                .0
                .parent_id
                .as_deref()
                .is_none_or(|parent| !ids.contains(parent))
        })
        .collect();
    for i in roots {
        print_pool(&store, &listed, i, 0)?;
    }
    Ok(())
}

fn print_pool(
    store: &Store,
    listed: &[(ipam::store::Pool, Vec<ipam::engine::Cidr>)],
    i: usize,
    level: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let (p, cidrs) = &listed[i];
    let indent = "    ".repeat(level);
    let u = store.utilization(UtilizationTarget::Pool(&p.id))?;
    let cidrs: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
    println!(
        "{indent}{}  {}  {}  [{}]  {}/{} addresses used ({}%)",
        p.id,
        p.family,
        p.description.as_deref().unwrap_or("-"),
        cidrs.join(", "),
        u.allocated,
        u.total,
        u.percent()
    );
    for a in store.list_allocations(&p.id)? {
        let state = match a.state {
            ipam::store::AllocationState::Reserved => " (reserved)",
            ipam::store::AllocationState::Allocated => "",
        };
        println!(
            "{indent}    {:<22} {:<10} {:<28} {}{}",
            a.cidr.to_string(),
            a.kind.as_str(),
            a.resource_id
                .as_deref()
                .or(a.name.as_deref())
                .unwrap_or("-"),
            a.description.as_deref().unwrap_or(""),
            state
        );
    }
    for (j, (child, _)) in listed.iter().enumerate() {
        if child.parent_id.as_deref() == Some(p.id.as_str()) {
            print_pool(store, listed, j, level + 1)?;
        }
    }
    Ok(())
}
