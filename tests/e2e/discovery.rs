//! Discovery under real Terraform 1.15.5: a discovery over a state written by Terraform with
//! this provider, hand-written AWS state and `aws ec2 describe-*` output gives every CIDR its
//! status; auto-import adopts exactly the eligible VPC CIDRs; tightening a pool's rules makes
//! its allocation noncompliant; the CLI prints the table and gates on statuses; bad sources
//! fail naming the file with nothing written.

use crate::support;

use crate::support::{rejected, Tf, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discovery")
}

/// The pool that auto-imports: a child of the platform's top pool, 10.2.0.0/16, at most /24.
const IMPORTS: &str = r#"
resource "ipam_pool" "imports" {
  ipam_scope_id                 = "SCOPE"
  address_family                = "ipv4"
  source_ipam_pool_id           = "TOP"
  locale                        = "us-east-1"
  description                   = "imports"
  auto_import                   = true
  allocation_max_netmask_length = 24
}

resource "ipam_pool_cidr" "imports" {
  ipam_pool_id = ipam_pool.imports.id
  cidr         = "10.2.0.0/16"
}

output "imports_pool" {
  value = ipam_pool.imports.id
}
"#;

/// Every discovered CIDR by "resource_id cidr": (compliance, overlap, pool, ip_usage).
type Table = BTreeMap<String, (Value, String, Value, Value)>;

fn table(list: &Value) -> Table {
    list.as_array()
        .expect("a list of CIDRs")
        .iter()
        .map(|c| {
            (
                format!(
                    "{} {}",
                    c["resource_id"].as_str().unwrap(),
                    c["resource_cidr"].as_str().unwrap()
                ),
                (
                    c["compliance_status"].clone(),
                    c["overlap_status"].as_str().unwrap().to_string(),
                    c["ipam_pool_id"].clone(),
                    c["ip_usage"].clone(),
                ),
            )
        })
        .collect()
}

fn discovery_rows(w: &Workspace) -> String {
    let mut out = String::new();
    for t in [
        "resource_discoveries",
        "resource_discovery_associations",
        "discovered_cidrs",
    ] {
        for r in w.query(&format!("SELECT * FROM {t} ORDER BY 1, 2")) {
            out.push_str(&format!("{t} {r:?}\n"));
        }
    }
    out
}

fn cli(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .arg("discover")
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("IPAM_DATABASE")
        .output()
        .expect("run the CLI");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn discovery_statuses_auto_import_and_the_ci_gate() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let top = w.outputs()["top_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let ipam = w.resource("ipam.main");
    let ipam_id = ipam["id"].as_str().unwrap().to_string();
    let scope = ipam["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();

    let imports = w.sibling();
    imports.config(&IMPORTS.replace("SCOPE", &scope).replace("TOP", &top));
    imports.init();
    imports.apply().ok();
    let imports_pool = imports.outputs()["imports_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();

    // A team's allocation, in a state written by real Terraform: the discovery's first source.
    let team = w.sibling();
    team.config(&format!(
        r#"
resource "ipam_vpc_allocation" "app" {{
  ipam_pool_id = "{prod}"
  tags = {{
    environment = "production"
  }}
}}
"#
    ));
    team.init();
    team.apply().ok();
    let app = team.resource("ipam_vpc_allocation.app");
    let app_vpc = app["vpc_id"].as_str().unwrap().to_string();
    assert_eq!(app["cidr"], "10.1.0.0/20");

    // The same state as `terraform show -json` prints it: read too, counted once.
    let show = team.run(&["show", "-json"]).ok();
    team.write("show.json", &show.stdout);

    let fx = fixtures();
    let d = w.sibling();
    d.config(&format!(
        r#"
resource "ipam_resource_discovery" "d" {{
  description = "everything built by hand"
  operating_regions {{
    region_name = "us-east-1"
  }}
  excluded_resource_ids = ["vpc-0a000000000000009"]
  source {{
    path = "{team_state}"
  }}
  source {{
    path = "{team_show}"
  }}
  source {{
    path       = "{fx}/network.tfstate"
    account_id = "111122223333"
  }}
  source {{
    path = "{fx}/terraform_data*"
  }}
  source {{
    path       = "{fx}/describe-*.json"
    region     = "us-east-1"
    account_id = "111122223333"
  }}
}}

resource "ipam_resource_discovery_association" "a" {{
  ipam_id                    = "{ipam_id}"
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
}}

output "discovery" {{
  value = ipam_resource_discovery.d.id
}}
"#,
        team_state = team.path().join("terraform.tfstate").display(),
        team_show = team.path().join("show.json").display(),
        fx = fx.display(),
    ));
    d.init();
    d.apply().ok();
    let disc = d.outputs()["discovery"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(disc.starts_with("ipam-res-disc-"), "{disc}");
    let state = d.resource("ipam_resource_discovery.d");
    assert_eq!(
        state["arn"],
        format!("arn:aws:ec2::000000000000:ipam-resource-discovery/{disc}")
    );
    assert_eq!(state["last_scanned"], Value::Null);
    d.assert_no_changes();

    let reader = w.sibling();
    let read_config = format!(
        r#"
data "ipam_discovered_resource_cidrs" "all" {{
  ipam_resource_discovery_id = "{disc}"
}}

data "ipam_discovered_resource_cidrs" "overlapping_vpcs" {{
  ipam_resource_discovery_id = "{disc}"
  filter {{
    name   = "resource-type"
    values = ["vpc"]
  }}
  filter {{
    name   = "overlap-status"
    values = ["overlapping"]
  }}
}}

data "ipam_discovered_resource_cidrs" "other_account" {{
  ipam_resource_discovery_id = "{disc}"
  resource_region            = "us-east-1"
  filter {{
    name   = "resource-owner-id"
    values = ["444455556666"]
  }}
}}

output "other_account" {{
  value = [for c in data.ipam_discovered_resource_cidrs.other_account.ipam_discovered_resource_cidrs : c.resource_id]
}}

output "all" {{
  value = data.ipam_discovered_resource_cidrs.all.ipam_discovered_resource_cidrs
}}

output "overlapping" {{
  value = [for c in data.ipam_discovered_resource_cidrs.overlapping_vpcs.ipam_discovered_resource_cidrs : c.resource_id]
}}
"#
    );
    reader.config(&read_config);
    reader.init();
    reader.apply().ok();
    let out = reader.outputs();
    let t = table(&out["all"]["value"]);
    let s = |c: &str| Value::String(c.into());
    let n = Value::Null;
    let expected: Table = [
        // Managed, but the hand-built clash VPC shares its addresses.
        (
            format!("{app_vpc} 10.1.0.0/20"),
            (s("compliant"), "overlapping", s(&prod), 0.into()),
        ),
        (
            "vpc-0a000000000000001 10.50.0.0/16".into(),
            (s("unmanaged"), "nonoverlapping", n.clone(), 0.5.into()),
        ),
        (
            "vpc-0a000000000000001 10.51.0.0/16".into(),
            (s("unmanaged"), "nonoverlapping", n.clone(), 0.into()),
        ),
        (
            "vpc-0a000000000000002 10.2.16.0/20".into(),
            (s("compliant"), "nonoverlapping", s(&imports_pool), 0.into()),
        ),
        (
            "vpc-0a000000000000003 10.1.0.0/24".into(),
            (s("unmanaged"), "overlapping", n.clone(), 0.into()),
        ),
        (
            "vpc-0a000000000000004 10.2.32.0/20".into(),
            (
                s("compliant"),
                "nonoverlapping",
                s(&imports_pool),
                0.25.into(),
            ),
        ),
        (
            "vpc-0a000000000000004 2600:1f18:1234:5600::/56".into(),
            (s("unmanaged"), "nonoverlapping", n.clone(), 0.into()),
        ),
        (
            "vpc-0a000000000000005 10.70.0.0/16".into(),
            (
                s("unmanaged"),
                "overlapping",
                n.clone(),
                (1.0 / 256.0).into(),
            ),
        ),
        (
            "vpc-0a000000000000006 10.70.128.0/17".into(),
            (s("unmanaged"), "overlapping", n.clone(), 0.into()),
        ),
        (
            "vpc-0a000000000000007 10.2.48.0/28".into(),
            (s("unmanaged"), "nonoverlapping", n.clone(), 0.into()),
        ),
        (
            "vpc-0a000000000000009 10.60.0.0/16".into(),
            (s("ignored"), "ignored", n.clone(), 0.into()),
        ),
        (
            "subnet-0a000000000000001 10.50.0.0/17".into(),
            (n.clone(), "nonoverlapping", n.clone(), n.clone()),
        ),
        (
            "subnet-0a000000000000004 10.2.32.0/22".into(),
            (n.clone(), "nonoverlapping", n.clone(), n.clone()),
        ),
        (
            "subnet-0a000000000000005 10.70.0.0/24".into(),
            (n.clone(), "nonoverlapping", n.clone(), n.clone()),
        ),
    ]
    .into_iter()
    .map(|(k, (c, o, p, u))| (k, (c, o.to_string(), p, u)))
    .collect();
    assert_eq!(t, expected);
    assert_eq!(
        out["overlapping"]["value"],
        serde_json::json!([
            app_vpc,
            "vpc-0a000000000000003",
            "vpc-0a000000000000005",
            "vpc-0a000000000000006"
        ])
    );

    assert_eq!(
        out["other_account"]["value"],
        serde_json::json!([
            "vpc-0a000000000000005",
            "vpc-0a000000000000006",
            "subnet-0a000000000000005"
        ])
    );

    // Exactly the two eligible CIDRs were adopted, as vpc allocations of their resources.
    let adopted = |w: &Workspace| -> Vec<(String, String, String)> {
        w.query(&format!(
            "SELECT cidr, kind, resource_id FROM allocations WHERE pool_id = '{imports_pool}' ORDER BY start"
        ))
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r[i].clone().unwrap_or_default();
            (cell(0), cell(1), cell(2))
        })
        .collect()
    };
    let want = vec![
        (
            "10.2.16.0/20".to_string(),
            "imported".to_string(),
            "vpc-0a000000000000002".to_string(),
        ),
        (
            "10.2.32.0/20".into(),
            "imported".into(),
            "vpc-0a000000000000004".into(),
        ),
    ];
    assert_eq!(adopted(&w), want);
    let audits = |w: &Workspace| -> String {
        w.query("SELECT COUNT(*) FROM audit_events WHERE action = 'auto-import-discovered-cidr'")[0]
            [0]
        .clone()
        .unwrap_or_default()
    };
    assert_eq!(audits(&w), "2");

    // The CLI: the table with headers, the JSON, and the gate.
    let (code, stdout, stderr) = cli(&w.db, &["--fail-on", "noncompliant"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("RESOURCE") && stdout.contains("COMPLIANCE") && stdout.contains("OVERLAP"),
        "{stdout}"
    );
    assert!(stdout.contains("vpc-0a000000000000003"), "{stdout}");
    let (code, _, stderr) = cli(
        &w.db,
        &["--discovery", &disc, "--fail-on", "unmanaged,overlapping"],
    );
    assert_eq!(code, 1, "{stderr}");
    let (code, stdout, _) = cli(&w.db, &["--json"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&stdout).expect("--json is JSON");
    assert_eq!(doc[0]["discovery_id"], disc.as_str());
    assert_eq!(doc[0]["cidrs"].as_array().unwrap().len(), expected.len());
    let (code, stdout, _) = cli(&w.db, &["--help"]);
    assert_eq!((code, stdout.starts_with("Usage:")), (0, true));
    let (code, _, stderr) = cli(&w.db, &["--fail-on", "sideways"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("\"sideways\""), "{stderr}");

    // Scanning again adopts nothing more.
    assert_eq!(adopted(&w), want);
    assert_eq!(audits(&w), "2");
    let state = d.resource("ipam_resource_discovery.d");
    assert_eq!(state["last_scanned"], Value::Null, "not refreshed yet");
    d.run(&["refresh", "-no-color"]).ok();
    let state = d.resource("ipam_resource_discovery.d");
    assert!(
        state["last_scanned"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{state}"
    );

    // Tighten the production pool: its allocation now breaks the rules.
    let tightened = support::PLATFORM.replace(
        "environment = \"production\"\n  }",
        "environment = \"production\"\n    team        = \"core\"\n  }",
    );
    assert_ne!(tightened, support::PLATFORM);
    w.config(&tightened);
    w.apply().ok();
    reader.apply().ok();
    let t = table(&reader.outputs()["all"]["value"]);
    assert_eq!(t[&format!("{app_vpc} 10.1.0.0/20")].0, "noncompliant");
    assert_eq!(t["vpc-0a000000000000002 10.2.16.0/20"].0, "compliant");
    let (code, _, _) = cli(&w.db, &["--fail-on", "noncompliant"]);
    assert_eq!(code, 1);

    // A source that turned bad: the read fails naming the file, and nothing is written.
    let broken = w.sibling();
    std::fs::copy(
        fx.join("not-a-source.json"),
        broken.path().join("inventory.json"),
    )
    .unwrap();
    broken.config(
        r#"
resource "ipam_resource_discovery" "b" {
  source {
    path = "inventory.json"
  }
}
"#,
    );
    broken.init();
    let before = (w.dump(), discovery_rows(&w));
    let r = broken.plan();
    assert_eq!(r.code, 1, "{}", r.text());
    assert!(
        support::flatten(&r.text()).contains("inventory.json: neither a Terraform state"),
        "{}",
        r.text()
    );
    assert_eq!(before, (w.dump(), discovery_rows(&w)));
}

#[test]
fn bad_sources_fail_the_plan_naming_each_file() {
    let w = Workspace::new(Tf::V1_15);
    w.platform();
    let fx = fixtures();
    rejected(
        &w,
        &format!(
            r#"
resource "ipam_resource_discovery" "d" {{
  source {{
    path = "{fx}/missing.tfstate"
  }}
  source {{
    path = "{fx}/old-v3.tfstate"
  }}
  source {{
    path = "{fx}/not-a-source.json"
  }}
  source {{
    path = "{fx}/nothing-*.json"
  }}
}}
"#,
            fx = fx.display()
        ),
        &[
            "missing.tfstate: no such file",
            "old-v3.tfstate: a Terraform state of version 3",
            "not-a-source.json: neither a Terraform state",
            "nothing-*.json: no file matches this pattern",
        ],
    );
    rejected(
        &w,
        r#"
resource "ipam_resource_discovery" "d" {
  operating_regions {
    region_name = "Europe"
  }
  source {
    path       = "x.json"
    region     = "mars"
    account_id = "12"
  }
}
"#,
        &[
            "\"Europe\" does not look like a region name",
            "\"mars\" does not look like a region name",
            "\"12\" is not an account id",
        ],
    );
}
