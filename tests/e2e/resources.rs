//! Every resource under real Terraform: create, an empty second plan, in-place updates,
//! import with an empty plan after it, destroy, and the refusals of the lifecycle rules.

use crate::support;

use crate::support::{Tf, Workspace};

fn is_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            h.len() == 17
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

const IPAM: &str = r#"
resource "ipam" "main" {
  description       = "DESC"
  operating_regions { region_name = "us-east-1" }
  operating_regions { region_name = "eu-west-1" }
  tags = {
    team = "platform"
  }
}
"#;

fn ipam_lifecycle(tf: Tf) {
    let w = Workspace::new(tf);
    w.config(&IPAM.replace("DESC", "first"));
    w.init();
    w.apply().ok();
    let r = w.resource("ipam.main");
    assert!(is_id(r["id"].as_str().unwrap(), "ipam"), "{r}");
    assert!(
        is_id(
            r["private_default_scope_id"].as_str().unwrap(),
            "ipam-scope"
        ),
        "{r}"
    );
    assert!(
        is_id(r["public_default_scope_id"].as_str().unwrap(), "ipam-scope"),
        "{r}"
    );
    assert_eq!(r["scope_count"], 2);
    w.assert_no_changes();

    w.config(&IPAM.replace("DESC", "second"));
    let out = w.apply().ok();
    assert!(out.stdout.contains("1 changed"), "{}", out.text());
    assert_eq!(w.resource("ipam.main")["description"], "second");
    w.assert_no_changes();

    // Another configuration adopts the same IPAM by id.
    let id = r["id"].as_str().unwrap().to_string();
    let other = w.sibling();
    other.config(&IPAM.replace("DESC", "second"));
    other.init();
    other.import("ipam.main", &id).ok();
    other.assert_no_changes();

    w.destroy().ok();
    let fresh = w.sibling();
    fresh.config(&IPAM.replace("DESC", "second"));
    fresh.init();
    fresh
        .import("ipam.main", &id)
        .fails_with("Cannot import non-existent remote object");
}

#[test]
fn ipam_lifecycle_on_terraform_1_15() {
    ipam_lifecycle(Tf::V1_15);
}

#[test]
fn ipam_lifecycle_on_terraform_1_0() {
    ipam_lifecycle(Tf::V1_0);
}

const HIERARCHY_EXTRA: &str = r#"
resource "ipam_scope" "lab" {
  ipam_id     = ipam.main.id
  description = "lab"
}

resource "ipam_vpc_allocation" "app" {
  ipam_pool_id     = ipam_pool.prod.id
  description      = "app"
  disallowed_cidrs = ["10.1.0.0/24"]
  tags = {
    environment = "production"
  }
  depends_on = [ipam_pool_cidr.prod]
}
"#;

#[test]
fn hierarchy_imports_into_another_configuration() {
    let w = Workspace::new(Tf::V1_15);
    let config = format!("{}{HIERARCHY_EXTRA}", support::PLATFORM);
    w.config(&config);
    w.init();
    w.apply().ok();
    w.assert_no_changes();
    let alloc = w.resource("ipam_vpc_allocation.app");
    assert_eq!(
        alloc["cidr"], "10.1.16.0/20",
        "the first /20 holds a disallowed block"
    );
    assert_eq!(alloc["netmask_length"], 20);
    assert!(is_id(alloc["id"].as_str().unwrap(), "ipam-pool-alloc"));
    assert!(is_id(alloc["vpc_id"].as_str().unwrap(), "vpc"));
    assert_eq!(alloc["owner_id"], "000000000000");
    assert_eq!(alloc["region"], "us-east-1");
    let prod = w.resource("ipam_pool.prod");
    assert_eq!(prod["pool_depth"], 2);
    assert_eq!(prod["state"], "create-complete");
    let cidr = w.resource("ipam_pool_cidr.prod");
    assert_eq!(
        cidr["id"],
        format!("10.1.0.0/16_{}", prod["id"].as_str().unwrap())
    );
    assert!(is_id(
        cidr["ipam_pool_cidr_id"].as_str().unwrap(),
        "ipam-pool-cidr"
    ));

    let other = w.sibling();
    other.config(&config);
    other.init();
    for addr in [
        "ipam.main",
        "ipam_pool.top",
        "ipam_pool.prod",
        "ipam_scope.lab",
        "ipam_vpc_allocation.app",
    ] {
        let id = w.resource(addr)["id"].as_str().unwrap().to_string();
        other.import(addr, &id).ok();
    }
    for addr in ["ipam_pool_cidr.top", "ipam_pool_cidr.prod"] {
        let id = w.resource(addr)["id"].as_str().unwrap().to_string();
        other.import(addr, &id).ok();
    }
    other.assert_no_changes();

    // The same through `import {}` blocks (Terraform >= 1.5): planned as imports with no
    // change, applied, then an empty plan.
    let blocks: String = [
        "ipam.main",
        "ipam_pool.top",
        "ipam_pool.prod",
        "ipam_scope.lab",
        "ipam_vpc_allocation.app",
        "ipam_pool_cidr.top",
        "ipam_pool_cidr.prod",
    ]
    .iter()
    .map(|addr| {
        let id = w.resource(addr)["id"].as_str().unwrap().to_string();
        format!("import {{\n  to = {addr}\n  id = \"{id}\"\n}}\n")
    })
    .collect();
    let third = w.sibling();
    third.config(&format!("{config}{blocks}"));
    third.init();
    let plan = third.plan();
    assert_eq!(plan.code, 2, "imports are changes:\n{}", plan.text());
    assert!(
        plan.stdout
            .contains("7 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.text()
    );
    third.apply().ok();
    third.assert_no_changes();

    // In-place updates: pool guardrails and allocation description change without replacement.
    let updated = config
        .replace(
            "allocation_default_netmask_length = 20",
            "allocation_default_netmask_length = 22",
        )
        .replace(
            "description      = \"app\"",
            "description      = \"app v2\"",
        );
    w.config(&updated);
    let out = w.apply().ok();
    assert!(
        out.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        out.text()
    );
    w.assert_no_changes();
    w.destroy().ok();
}

#[test]
fn allocation_released_outside_terraform_is_planned_again() {
    let w = Workspace::new(Tf::V1_15);
    w.config(&format!("{}{HIERARCHY_EXTRA}", support::PLATFORM));
    w.init();
    w.apply().ok();
    let id = w.resource("ipam_vpc_allocation.app")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let store =
        ipam::store::Store::open(&w.db, ipam::engine::Cidr::parse("2001:db8::/32").unwrap())
            .unwrap();
    let actor = ipam::store::Actor::new("000000000000", "us-east-1");
    store.release(&actor, &id).unwrap();
    drop(store);
    let r = w.plan();
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(
        r.stdout.contains("ipam_vpc_allocation.app will be created"),
        "{}",
        r.text()
    );
}

#[test]
fn lifecycle_refusals_say_what_remains() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform_quick();
    // Another team allocates from the production pool.
    let team = w.sibling();
    team.config(&format!(
        r#"resource "ipam_vpc_allocation" "x" {{
  ipam_pool_id = "{pool}"
  tags = {{
    environment = "production"
  }}
}}"#
    ));
    team.init();
    team.apply().ok();
    let r = w.destroy();
    // After waiting the CIDR's timeouts.delete (3s here) for the allocation to go.
    r.fails_with("still holds 1 allocation(s)")
        .fails_with("Waited 3.")
        .fails_with("timeouts { delete");
    // The platform's destroy waits longer now, holding no lock: the team's destroy runs
    // meanwhile, and the platform's then goes through in the same run.
    w.config(&support::platform_waiting("3m"));
    w.apply().ok();
    let waiting = w
        .command(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start terraform destroy");
    // Terraform reports a destroy still running after 10 seconds.
    std::thread::sleep(std::time::Duration::from_secs(13));
    team.destroy().ok();
    let out = waiting.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("ipam_pool_cidr.prod: Still destroying"),
        "the CIDR waited for the team's allocation: {text}"
    );
    assert_eq!(
        w.query("SELECT COUNT(*) FROM pools")[0][0].as_deref(),
        Some("0")
    );
}

#[test]
fn ipam_destroy_without_cascade_names_remaining_pools() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let _ = pool;
    // Forget the pools from this state so only the IPAM is destroyed.
    for addr in [
        "ipam_pool_cidr.prod",
        "ipam_pool.prod",
        "ipam_pool_cidr.top",
        "ipam_pool.top",
    ] {
        w.run(&["state", "rm", addr]).ok();
    }
    w.config(
        "resource \"ipam\" \"main\" {\n  operating_regions { region_name = \"us-east-1\" }\n  operating_regions { region_name = \"eu-west-1\" }\n}\n",
    );
    w.destroy().fails_with("still has 2 pool(s)");
    w.config("resource \"ipam\" \"main\" {\n  operating_regions { region_name = \"us-east-1\" }\n  operating_regions { region_name = \"eu-west-1\" }\n  cascade = true\n}\n");
    w.apply().ok();
    w.destroy().ok();
    assert!(!w.dump().contains("pools "), "cascade removed the pools");
}
