//! The seed's cross-account flow under real Terraform: the management account builds the
//! organization and delegates IPAM to the networking account, which builds the IPAM, its pools
//! and a share of the dev pool with the dev unit; accounts in that unit (or a unit inside it)
//! allocate, an account outside fails at plan, a non-admin cannot create a pool, and removing
//! the share keeps allocations and refuses new ones. Each account is its own configuration
//! directory on one database, its provider block naming its `account_id`.

use crate::support;

use crate::support::{flatten, Tf, Workspace, SOURCE, VERSION};

const MANAGEMENT: &str = "111111111111";
const NETWORKING: &str = "222222222222";
const DEV: &str = "333333333333";
const WEB: &str = "444444444444";
const OUTSIDE: &str = "555555555555";

/// A configuration directory on `db`'s database acting as `account`.
fn account(db: &Workspace, account: &str, body: &str) -> Workspace {
    let w = db.sibling();
    configure(&w, account, body);
    w.init();
    w
}

fn configure(w: &Workspace, account: &str, body: &str) {
    w.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    ipam = {{\n      source  = \"{}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"ipam\" {{\n  database   = \"{}\"\n  account_id = \"{account}\"\n}}\n\n{body}\n",
            SOURCE.trim_start_matches("registry.terraform.io/"),
            w.db.display()
        ),
    );
}

const ORGANIZATION: &str = r#"
resource "ipam_organization" "org" {}

resource "ipam_organizational_unit" "dev" {
  name      = "dev"
  parent_id = ipam_organization.org.root_id
}

resource "ipam_organizational_unit" "web" {
  name      = "dev-web"
  parent_id = ipam_organizational_unit.dev.id
}

resource "ipam_organization_account" "networking" {
  account_id = "222222222222"
  name       = "networking"
  parent_id  = ipam_organization.org.root_id
}

resource "ipam_organization_account" "dev" {
  account_id = "333333333333"
  name       = "dev"
  parent_id  = ipam_organizational_unit.dev.id
}

resource "ipam_organization_account" "web" {
  account_id = "444444444444"
  name       = "web"
  parent_id  = ipam_organizational_unit.web.id
}

resource "ipam_organization_account" "outside" {
  account_id = "555555555555"
  name       = "data"
  parent_id  = ipam_organization.org.root_id
}

resource "ipam_organization_admin_account" "networking" {
  delegated_admin_account_id = ipam_organization_account.networking.account_id
}

output "dev_ou" { value = ipam_organizational_unit.dev.id }
output "dev_ou_arn" { value = ipam_organizational_unit.dev.arn }
"#;

/// The networking account's IPAM, its dev pool and (when `share` is given) the share.
fn networking(dev_ou_arn: &str, share: bool) -> String {
    let share = if share {
        format!(
            r#"
resource "ipam_resource_share" "dev" {{
  name          = "dev-pool"
  resource_arns = [ipam_pool.dev.arn]
  principals    = ["{dev_ou_arn}"]
}}

output "share" {{ value = ipam_resource_share.dev.id }}
"#
        )
    } else {
        String::new()
    };
    format!(
        r#"
resource "ipam" "main" {{
  operating_regions {{ region_name = "us-east-1" }}
}}

resource "ipam_pool" "dev" {{
  address_family = "ipv4"
  ipam_scope_id  = ipam.main.private_default_scope_id
  locale         = "us-east-1"
  description    = "dev"
}}

resource "ipam_pool_cidr" "dev" {{
  ipam_pool_id = ipam_pool.dev.id
  cidr         = "10.1.0.0/16"
}}

output "pool" {{ value = ipam_pool.dev.id }}
{share}
"#
    )
}

fn vpc(pool: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!("resource \"ipam_vpc_allocation\" \"{n}\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n}}\n")
        })
        .collect()
}

fn output(w: &Workspace, name: &str) -> String {
    w.outputs()[name]["value"].as_str().unwrap().to_string()
}

#[track_caller]
fn plan_fails(w: &Workspace, needles: &[&str]) {
    let r = w.plan();
    assert_eq!(r.code, 1, "plan should fail:\n{}", r.text());
    for n in needles {
        assert!(
            flatten(&r.text()).contains(&flatten(n)),
            "expected {n:?} in:\n{}",
            r.text()
        );
    }
}

/// The audit log's acting accounts, in order.
fn audit_accounts(db: &Workspace) -> Vec<String> {
    db.query("SELECT account_id FROM audit_events ORDER BY seq")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

#[test]
fn the_seeds_cross_account_flow() {
    let db = Workspace::new(Tf::V1_15);
    let mgmt = account(&db, MANAGEMENT, ORGANIZATION);
    mgmt.apply().ok();
    mgmt.assert_no_changes();
    let dev_ou = output(&mgmt, "dev_ou");
    let dev_ou_arn = output(&mgmt, "dev_ou_arn");
    assert!(dev_ou_arn.ends_with(&dev_ou), "{dev_ou_arn}");

    // The management account delegated: it may no longer build pools.
    let m2 = account(&db, MANAGEMENT, &networking(&dev_ou_arn, false));
    plan_fails(
        &m2,
        &[
            "may not change this ipam",
            MANAGEMENT,
            &format!("only its IPAM admin account {NETWORKING} may"),
        ],
    );

    let net = account(&db, NETWORKING, &networking(&dev_ou_arn, true));
    net.apply().ok();
    net.assert_no_changes();
    let pool = output(&net, "pool");
    let share = output(&net, "share");

    // An account in the dev unit, and one in a unit inside it, allocate from the shared pool.
    let dev = account(&db, DEV, &vpc(&pool, &["app"]));
    dev.apply().ok();
    dev.assert_no_changes();
    let web = account(&db, WEB, &vpc(&pool, &["site"]));
    web.apply().ok();

    // What each account may use: shared_with_me, and the pool's shares.
    let looks = |acct: &str| {
        let w = account(
            &db,
            acct,
            &format!(
                "data \"ipam_pools\" \"mine\" {{\n  shared_with_me = true\n}}\ndata \"ipam_pool\" \"dev\" {{\n  id = \"{pool}\"\n}}\noutput \"mine\" {{ value = data.ipam_pools.mine.ipam_pools[*].id }}\noutput \"count\" {{ value = length(data.ipam_pools.mine.ipam_pools) }}\noutput \"shares\" {{ value = data.ipam_pool.dev.shares }}\n"
            ),
        );
        w.apply().ok();
        w.outputs()
    };
    let seen = looks(WEB);
    assert_eq!(seen["mine"]["value"], serde_json::json!([pool.clone()]));
    assert_eq!(seen["shares"]["value"][0]["id"], share.as_str());
    assert_eq!(
        seen["shares"]["value"][0]["principals"],
        serde_json::json!([dev_ou.clone()])
    );
    // Nothing shared: an empty list (length() refuses a null), as the AWS provider answers.
    let none = looks(OUTSIDE);
    assert_eq!(none["mine"]["value"], serde_json::json!([]));
    assert_eq!(none["count"]["value"], serde_json::json!(0));

    // An account outside the unit fails at plan, on ipam_pool_id, naming itself and the share.
    let outside = account(
        &db,
        OUTSIDE,
        &format!(
            "{}resource \"ipam_pool_cidr_allocation\" \"y\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 28\n}}\n",
            vpc(&pool, &["x"])
        ),
    );
    plan_fails(
        &outside,
        &[
            "The pool is not shared with this account",
            "ipam_pool_id",
            &format!("the account {OUTSIDE} may not allocate from the pool {pool}"),
            &share,
            &dev_ou,
            "resource \"ipam_vpc_allocation\" \"x\"",
            "resource \"ipam_pool_cidr_allocation\" \"y\"",
        ],
    );
    assert_ne!(outside.apply().code, 0, "apply cannot bypass the check");

    // A non-admin account cannot create a pool, at plan, on the resource.
    let rogue = account(
        &db,
        DEV,
        &format!("resource \"ipam_pool\" \"mine\" {{\n  address_family = \"ipv4\"\n  ipam_scope_id = \"{}\"\n}}\n",
            net.resource("ipam.main")["private_default_scope_id"].as_str().unwrap()),
    );
    plan_fails(
        &rogue,
        &[
            &format!("The account {DEV} may not change this ipam_pool"),
            &format!("only its IPAM admin account {NETWORKING} may"),
            "resource \"ipam_pool\" \"mine\"",
        ],
    );

    // Nor change one it holds in its state: the import reads, the change fails at plan.
    let scope = net.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pool_body = |description: &str| {
        format!("resource \"ipam_pool\" \"dev\" {{\n  address_family = \"ipv4\"\n  ipam_scope_id = \"{scope}\"\n  locale = \"us-east-1\"\n  description = \"{description}\"\n}}\n")
    };
    let changer = account(&db, DEV, &pool_body("dev"));
    changer.import("ipam_pool.dev", &pool).ok();
    changer.assert_no_changes();
    configure(&changer, DEV, &pool_body("mine now"));
    plan_fails(
        &changer,
        &[&format!("The account {DEV} may not change this ipam_pool")],
    );

    // Only the management account shapes the organization, even for the IPAM admin.
    let unit = account(
        &db,
        NETWORKING,
        &format!("resource \"ipam_organizational_unit\" \"mine\" {{\n  name = \"mine\"\n  parent_id = \"{dev_ou}\"\n}}\n"),
    );
    plan_fails(
        &unit,
        &[
            &format!("The account {NETWORKING} may not change this ipam_organizational_unit"),
            &format!("only its management account {MANAGEMENT} may"),
        ],
    );

    // The command line shows who owns each allocation.
    let listing = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["allocations", "--json", "--database"])
        .arg(&db.db)
        .output()
        .unwrap();
    let listing: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    let text = listing.to_string();
    for a in [DEV, WEB] {
        assert!(
            text.contains(&format!("\"owner_id\":\"{a}\"")),
            "{a} in {text}"
        );
    }

    // The audit log names the account behind each change.
    let actors = audit_accounts(&db);
    for a in [MANAGEMENT, NETWORKING, DEV, WEB] {
        assert!(actors.iter().any(|x| x == a), "{a} not in {actors:?}");
    }
    assert!(!actors.iter().any(|x| x == OUTSIDE), "{actors:?}");

    // Imports of every organization resource plan no changes afterwards.
    let again = account(&db, MANAGEMENT, ORGANIZATION);
    let org_id = mgmt.resource("ipam_organization.org")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let web_ou = mgmt.resource("ipam_organizational_unit.web")["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (address, id) in [
        ("ipam_organization.org", org_id.as_str()),
        ("ipam_organizational_unit.dev", dev_ou.as_str()),
        ("ipam_organizational_unit.web", web_ou.as_str()),
        ("ipam_organization_account.networking", NETWORKING),
        ("ipam_organization_account.dev", DEV),
        ("ipam_organization_account.web", WEB),
        ("ipam_organization_account.outside", OUTSIDE),
        ("ipam_organization_admin_account.networking", NETWORKING),
    ] {
        again.import(address, id).ok();
    }
    again.assert_no_changes();
    let net_again = db.sibling();
    configure(
        &net_again,
        NETWORKING,
        &format!(
            "{}\nimport {{\n  to = ipam_resource_share.dev\n  identity = {{ id = \"{share}\" }}\n}}\n",
            networking(&dev_ou_arn, true)
        ),
    );
    net_again.init();
    for (address, id) in [
        (
            "ipam.main",
            net.resource("ipam.main")["id"].as_str().unwrap(),
        ),
        ("ipam_pool.dev", pool.as_str()),
        (
            "ipam_pool_cidr.dev",
            net.resource("ipam_pool_cidr.dev")["id"].as_str().unwrap(),
        ),
    ] {
        net_again.import(address, id).ok();
    }
    net_again.run(&["apply", "-auto-approve", "-no-color"]).ok();
    net_again.assert_no_changes();

    // Removing the share keeps the allocations made through it and refuses new ones.
    configure(&net, NETWORKING, &networking(&dev_ou_arn, false));
    net.apply().ok();
    dev.assert_no_changes();
    assert_eq!(
        dev.resource("ipam_vpc_allocation.app")["ipam_pool_id"],
        pool.as_str()
    );
    configure(&dev, DEV, &vpc(&pool, &["app", "more"]));
    plan_fails(
        &dev,
        &[
            &format!("the account {DEV} may not allocate from the pool {pool}"),
            "the pool is not shared with anyone",
        ],
    );
}

/// A `describe-vpcs` listing: one VPC of the `outside` account (at the root: the dev share
/// does not reach it) in the networking pool's space.
const OUTSIDE_VPC: &str = r#"{"Vpcs": [
  {"VpcId": "vpc-0d000000000000001", "OwnerId": "555555555555", "CidrBlock": "10.1.128.0/20",
   "CidrBlockAssociationSet": [
     {"CidrBlock": "10.1.128.0/20", "CidrBlockState": {"State": "associated"}}]}
]}"#;

/// The discovered CIDRs of `discovery`, read through the data source: (cidr, compliance,
/// reason) of each VPC CIDR.
fn discovered(discovery: &str) -> String {
    format!(
        r#"
data "ipam_discovered_resource_cidrs" "all" {{
  ipam_resource_discovery_id = "{discovery}"
}}

output "found" {{
  value = [for c in data.ipam_discovered_resource_cidrs.all.ipam_discovered_resource_cidrs :
    {{ cidr = c.resource_cidr, compliance = c.compliance_status, reason = c.reason }} if c.resource_type == "vpc"]
}}
"#
    )
}

/// `discover` as `account` on `db`'s database: (exit code, stdout, stderr).
fn discover_as(db: &Workspace, account: &str) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["discover", "--database"])
        .arg(&db.db)
        .env("IPAM_ACCOUNT_ID", account)
        .env_remove("IPAM_DATABASE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn adoption_is_the_ipam_admins_act_and_never_fails_a_scan() {
    // On PostgreSQL the provider logs in as the database's owner, a trusted role: its scans
    // adopt whatever account the provider block names.
    let trusted = support::pg::backend() == support::pg::Backend::Postgres;
    let db = Workspace::new(Tf::V1_15);
    let mgmt = account(&db, MANAGEMENT, ORGANIZATION);
    mgmt.apply().ok();
    let admin_body = r#"
resource "ipam" "main" {
  operating_regions { region_name = "us-east-1" }
}

resource "ipam_pool" "imports" {
  address_family = "ipv4"
  ipam_scope_id  = ipam.main.private_default_scope_id
  locale         = "us-east-1"
  auto_import    = true
}

resource "ipam_pool_cidr" "imports" {
  ipam_pool_id = ipam_pool.imports.id
  cidr         = "10.1.0.0/16"
}

resource "ipam_resource_discovery" "d" {
  operating_regions { region_name = "us-east-1" }
  source {
    path   = "vpcs.json"
    region = "us-east-1"
  }
}

resource "ipam_resource_discovery_association" "a" {
  ipam_id                    = ipam.main.id
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
  depends_on                 = [ipam_pool_cidr.imports]
}

output "pool" { value = ipam_pool.imports.id }
output "discovery" { value = ipam_resource_discovery.d.id }
"#
    .to_string();
    let networking = account(&db, NETWORKING, &admin_body);
    networking.write("vpcs.json", OUTSIDE_VPC);
    networking.apply().ok();
    let pool = output(&networking, "pool");
    let discovery = output(&networking, "discovery");
    let imported = || {
        db.query(&format!(
            "SELECT cidr, kind, owner_id FROM allocations WHERE pool_id = '{pool}'"
        ))
    };

    // A team's plan reading the discovery succeeds; its scan adopts nothing and says why.
    let dev = account(&db, DEV, &discovered(&discovery));
    dev.write("vpcs.json", OUTSIDE_VPC);
    dev.apply().ok();
    let found = dev.outputs()["found"]["value"].clone();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    if !trusted {
        assert_eq!(found[0]["compliance"], "unmanaged", "{found}");
        let reason = found[0]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(NETWORKING) && reason.contains(DEV),
            "{reason}"
        );
        assert!(
            imported().is_empty(),
            "a team's scan adopted: {:?}",
            imported()
        );
        // `discover` run as the team: exit 0, the reason in the table.
        let (code, out, err) = discover_as(&networking, DEV);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("REASON") && out.contains(NETWORKING), "{out}");
        assert!(imported().is_empty());
    }

    // The admin's scan adopts the outside account's VPC, owned by that account.
    configure(
        &networking,
        NETWORKING,
        &format!("{admin_body}\n{}", discovered(&discovery)),
    );
    networking.apply().ok();
    let found = networking.outputs()["found"]["value"].clone();
    assert_eq!(found[0]["compliance"], "compliant", "{found}");
    assert_eq!(found[0]["reason"], serde_json::Value::Null, "{found}");
    assert_eq!(
        imported(),
        vec![vec![
            Some("10.1.128.0/20".to_string()),
            Some("imported".to_string()),
            Some(OUTSIDE.to_string())
        ]]
    );
    // Every plan keeps working, also the team's, and with auto_import set back to false.
    let r = dev.plan();
    assert_ne!(r.code, 1, "the team's plan failed:\n{}", r.text());
    configure(
        &networking,
        NETWORKING,
        &format!(
            "{}\n{}",
            admin_body.replace("auto_import    = true", "auto_import    = false"),
            discovered(&discovery)
        ),
    );
    networking.apply().ok();
    let (code, out, err) = discover_as(&networking, DEV);
    assert_eq!(code, 0, "{out}{err}");
}
