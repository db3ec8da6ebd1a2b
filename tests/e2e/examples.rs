//! The examples and functions from real HCL: every example validates, the functions answer from
//! outputs (and fail naming the argument), the example module rejects overlapping subnets, and
//! Terraform 1.0.3 runs the quickstart.

use crate::support;

use crate::support::{Tf, Workspace};
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn functions_answer_from_hcl() {
    let w = Workspace::new(Tf::V1_15);
    w.config(
        r#"
output "overlaps" { value = provider::ipam::overlaps("10.0.0.0/16", "10.0.128.0/17") }
output "disjoint" { value = provider::ipam::overlaps("10.0.0.0/16", "10.1.0.0/16") }
output "contains" { value = provider::ipam::contains("10.0.0.0/8", "10.1.0.0/16") }
output "pairs"    { value = provider::ipam::find_overlaps(["10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/17"]) }
output "subnets"  { value = provider::ipam::subnets("10.1.0.0/16", 4, 8) }
output "v6"       { value = provider::ipam::subnets("2001:db8::/56", 2, 64) }
output "size"     { value = provider::ipam::size("2001:db8::/56") }
output "all_v6"   { value = provider::ipam::size("::/0") }
"#,
    );
    w.init();
    w.apply().ok();
    let o = w.outputs();
    assert_eq!(o["overlaps"]["value"], true);
    assert_eq!(o["disjoint"]["value"], false);
    assert_eq!(o["contains"]["value"], true);
    assert_eq!(
        o["pairs"]["value"],
        serde_json::json!([["10.0.0.0/16", "10.0.128.0/17"]])
    );
    assert_eq!(
        o["subnets"]["value"],
        serde_json::json!(["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"])
    );
    assert_eq!(
        o["v6"]["value"],
        serde_json::json!(["2001:db8::/64", "2001:db8:0:1::/64"])
    );
    assert_eq!(o["size"]["value"].to_string(), "4722366482869645213696");
    assert_eq!(
        o["all_v6"]["value"].to_string(),
        "340282366920938463463374607431768211456"
    );

    w.config(r#"output "bad" { value = provider::ipam::subnets("10.1.2.3/16", 4, 8) }"#);
    w.plan()
        .fails_with("10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?");
    w.config(r#"output "bad" { value = provider::ipam::subnets("10.1.0.0/16", 4, 20) }"#);
    w.plan()
        .fails_with("host_bits 20 does not fit in 10.1.0.0/16");
}

#[test]
fn the_example_module_rejects_overlapping_subnets() {
    let w = Workspace::new(Tf::V1_15);
    let module = examples().join("modules/subnet-plan");
    let call = |subnets: &str| {
        format!(
            "module \"plan\" {{\n  source   = \"{}\"\n  vpc_cidr = \"10.1.0.0/16\"\n  subnets  = {{ {subnets} }}\n}}\n",
            module.display()
        )
    };
    w.config(&call(r#"a = "10.1.0.0/24", b = "10.1.1.0/24""#));
    w.init();
    w.apply().ok();
    w.config(&call(r#"a = "10.1.0.0/23", b = "10.1.1.0/24""#));
    w.plan()
        .fails_with("Subnets overlap: [[\"10.1.0.0/23\",\"10.1.1.0/24\"]]");
    w.config(&call(r#"a = "10.2.0.0/24""#));
    w.plan().fails_with("Subnets outside 10.1.0.0/16: a");
}

#[test]
fn every_example_validates() {
    let mut dirs = Vec::new();
    for group in ["resources", "data-sources", "functions"] {
        for e in std::fs::read_dir(examples().join(group)).unwrap() {
            dirs.push(e.unwrap().path());
        }
    }
    dirs.push(examples().join("provider"));
    dirs.push(examples().join("quickstart"));
    dirs.push(examples().join("quickstart/app"));
    dirs.push(examples().join("discovery"));
    let w = Workspace::new(Tf::V1_15);
    w.config("");
    w.init();
    for dir in dirs {
        let mut body = String::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "tf") {
                body.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
        // Each example stands alone: keep only its resources, data sources and outputs.
        let body = strip_blocks(&body, &["terraform {", "provider \"ipam\" {"]);
        w.config(&body);
        let r = w.run(&["validate", "-no-color"]);
        assert_eq!(
            r.code,
            0,
            "{} does not validate:\n{}",
            dir.display(),
            r.text()
        );
    }
}

/// Removes top-level blocks starting with any of `heads` (the harness writes its own).
fn strip_blocks(text: &str, heads: &[&str]) -> String {
    let mut out = String::new();
    let mut depth = 0i32;
    let mut skipping = false;
    for line in text.lines() {
        if depth == 0 && heads.iter().any(|h| line.starts_with(h)) {
            skipping = true;
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
        if skipping && depth == 0 {
            skipping = false;
        }
    }
    out
}

#[test]
fn terraform_1_0_runs_the_quickstart() {
    let w = Workspace::new(Tf::V1_0);
    let mut main = std::fs::read_to_string(examples().join("quickstart/main.tf")).unwrap();
    // As written, the quickstart's database is `ipam.db` in its directory, which is `w.db` on
    // SQLite; on PostgreSQL the same configuration points at this run's database instead.
    if support::pg::backend() == support::pg::Backend::Postgres {
        let file = "database = \"ipam.db\"";
        assert!(
            main.contains(file),
            "the quickstart names its database file"
        );
        main = main.replace(file, &format!("database = \"{}\"", w.db.display()));
    }
    w.write("main.tf", &main);
    w.init();
    w.apply().ok();
    let o = w.outputs();
    assert_eq!(o["vpc_cidrs"]["value"]["search"], "10.1.0.0/22");
    assert_eq!(o["vpc_cidrs"]["value"]["sandbox"], "10.2.0.0/24");
    assert_eq!(o["vpc_cidrs"]["value"]["payments_ipv6"], "2001:db8::/56");
    w.assert_no_changes();

    // The binary's CLI on the quickstart's database: its stdout, after checking it succeeded.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
            .args(&args[..1])
            .arg("--database")
            .arg(&w.db)
            .args(&args[1..])
            .output()
            .expect("run the CLI");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };

    // The quickstart's last step: the CLI lists the pools as their hierarchy, each child pool
    // indented under its parent, then every allocation with its id, under headers.
    let text = cli(&["allocations"]);
    let lines: Vec<&str> = text.lines().collect();
    let line_of = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not listed:\n{text}"))
    };
    let (pools, top, production, allocations, search) = (
        line_of("POOL"),
        line_of(" 10.0.0.0/8 "),
        line_of(" 10.1.0.0/16 "),
        line_of("ALLOCATION"),
        line_of(" 10.1.0.0/22 "),
    );
    assert!(lines[top].starts_with("ipam-pool-"), "{text}");
    assert!(lines[production].starts_with("  ipam-pool-"), "{text}");
    assert!(lines[search].starts_with("ipam-pool-alloc-"), "{text}");
    assert!(
        pools < top && top < production && production < allocations && allocations < search,
        "{text}"
    );

    // The audit log: every change, oldest first; one object's history with --object.
    let audit = |args: &[&str]| cli(&[&["audit"], args].concat());
    let log = audit(&[]);
    let first_pool = log.find("create-ipam-pool").expect("pools created");
    let search_alloc = log
        .lines()
        .find(|l| l.contains("allocate-cidr") && l.trim_end().ends_with("10.1.0.0/22"))
        .unwrap_or_else(|| panic!("the search VPC's allocation is not in the log:\n{log}"));
    assert!(first_pool < log.find(search_alloc).unwrap(), "{log}");
    let alloc_id = search_alloc.split_whitespace().nth(4).unwrap();
    let history = audit(&["--object", alloc_id]);
    // A header, then the one event.
    assert_eq!(history.lines().count(), 2, "{history}");
    assert_eq!(audit(&["--limit", "1"]).lines().count(), 2);

    // A reader that stops early (`| head`): no panic, success.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["allocations", "--database"])
        .arg(&w.db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the CLI");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for the CLI");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    w.destroy().ok();
}
