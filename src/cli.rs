//! The commands a person runs: a quick look at what a database has handed out.

use ipam::store::{Store, UtilizationTarget};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "terraform-provider-ipam: a Terraform provider (run by Terraform), and a small CLI.

Usage:
  terraform-provider-ipam allocations [--database PATH]   list every pool and its allocations
  terraform-provider-ipam audit [--database PATH] [--object ID] [--limit N]
                                                          the newest changes (default 50), oldest first
  terraform-provider-ipam --debug                         serve for TF_REATTACH_PROVIDERS
  terraform-provider-ipam --version";

pub fn run(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("--version") => {
            println!("terraform-provider-ipam {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(command @ ("allocations" | "audit")) => {
            let mut db = std::env::var("IPAM_DATABASE").unwrap_or_else(|_| "ipam.db".into());
            let mut object = None;
            let mut limit = 50u32;
            let mut it = args.iter().skip(1);
            while let Some(a) = it.next() {
                let Some(value) = it.next() else {
                    return usage();
                };
                match (command, a.as_str()) {
                    (_, "--database") => db = value.clone(),
                    ("audit", "--object") => object = Some(value.clone()),
                    ("audit", "--limit") => match value.parse() {
                        Ok(n) => limit = n,
                        Err(_) => return usage(),
                    },
                    _ => return usage(),
                }
            }
            let result = match command {
                "audit" => audit(&db, object.as_deref(), limit),
                _ => allocations(&db),
            };
            match result {
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

/// Opens an existing database; a CLI that looks must not create an empty one by mistake.
fn open(db: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let path = PathBuf::from(db.strip_prefix("sqlite://").unwrap_or(db));
    if !path.exists() {
        return Err(format!("no database at {}", path.display()).into());
    }
    Ok(Store::open(
        &path,
        ipam::engine::Cidr::parse("2001:db8::/32")?,
    )?)
}

fn audit(db: &str, object: Option<&str>, limit: u32) -> Result<(), Box<dyn std::error::Error>> {
    let events = open(db)?.audit_events(object, limit)?;
    if events.is_empty() {
        println!("(no events)");
    }
    for e in events {
        println!(
            "{:>6}  {}  {}  {:<24} {:<34} {}",
            e.seq,
            utc(e.at),
            e.account_id,
            e.action,
            e.object_id,
            e.cidr().unwrap_or("")
        );
    }
    Ok(())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (the civil-from-days conversion of the proleptic
/// Gregorian calendar).
fn utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

fn allocations(db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(db)?;
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

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_651_199), "2026-11-25T23:59:59Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
    }
}
