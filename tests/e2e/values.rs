//! Values as users write them, and every check at plan (issue 10): CIDRs compared by meaning,
//! ambiguous spellings and values beyond AWS's limits refused at validate, pool-CIDR checks at
//! plan on the attribute at fault, database conditions titled for what they are. Every refused
//! input leaves the database as it was, compared row by row.

use crate::support;

use crate::support::{rejected, Tf, Workspace};

/// A private IPv6 pool with a top-level CIDR written in upper case, and an allocation from it
/// written in upper case too.
const UPPER_V6: &str = r#"
resource "ipam" "main" {}

resource "ipam_pool" "v6" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv6"
}

resource "ipam_pool_cidr" "v6" {
  ipam_pool_id = ipam_pool.v6.id
  cidr         = "FD00::/48"
}

resource "ipam_vpc_allocation" "a" {
  ipam_pool_id     = ipam_pool.v6.id
  cidr             = "FD00:0:0:100::/56"
  disallowed_cidrs = ["FD00:0:0:FF00::/56"]
  depends_on       = [ipam_pool_cidr.v6]
}

resource "ipam_vpc_allocation" "named" {
  ipam_pool_id = ipam_pool.v6.id
  name         = "upper"
  cidr         = "FD00:0:0:200::/56"
  depends_on   = [ipam_pool_cidr.v6]
}
"#;

/// Expects `r` to fail mentioning every needle.
#[track_caller]
fn fails(r: support::Run, needles: &[&str]) {
    needles.iter().fold(r, |r, n| r.fails_with(n));
}

#[test]
fn upper_case_ipv6_is_kept_as_written_and_stored_canonical() {
    let w = Workspace::new(Tf::V1_15);
    w.config(UPPER_V6);
    w.init();
    w.apply().ok();
    // State keeps the user's spelling; nothing to change afterwards (no taint, no replace).
    let a = w.resource("ipam_vpc_allocation.a");
    assert_eq!(a["cidr"], "FD00:0:0:100::/56");
    assert_eq!(a["disallowed_cidrs"][0], "FD00:0:0:FF00::/56");
    assert_eq!(w.resource("ipam_pool_cidr.v6")["cidr"], "FD00::/48");
    assert_eq!(
        w.resource("ipam_vpc_allocation.named")["cidr"],
        "FD00:0:0:200::/56"
    );
    w.assert_no_changes();
    // The database holds the canonical form.
    let dump = w.dump();
    assert!(dump.contains("fd00:0:0:100::/56"), "{dump}");
    assert!(!dump.contains("FD00"), "{dump}");
    // Another spelling of the same blocks is no change that replaces anything.
    w.config(
        &UPPER_V6
            .replace("\"FD00:0:0:100::/56\"", "\"fd00:0000:0:100::/56\"")
            .replace("\"FD00::/48\"", "\"fd00::/48\""),
    );
    // Terraform insists a configured value is planned as written, so the new spelling is an
    // in-place update of the state; nothing is replaced or reallocated.
    let r = w.plan();
    assert!(
        !r.text().contains("must be replaced") && r.text().contains(" 0 to destroy"),
        "{}",
        r.text()
    );
    let before = w.dump();
    w.apply().ok();
    w.assert_no_changes();
    assert_eq!(
        before
            .lines()
            .filter(|l| !l.starts_with("audit_events"))
            .collect::<Vec<_>>(),
        w.dump()
            .lines()
            .filter(|l| !l.starts_with("audit_events"))
            .collect::<Vec<_>>(),
        "a new spelling changed allocations"
    );
    w.destroy().ok();
}

#[test]
fn ambiguous_spellings_fail_validate_with_the_canonical_form() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let tags = "  tags = {\n    environment = \"production\"\n  }";
    let alloc = |cidr: &str| {
        format!("resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  cidr = \"{cidr}\"\n{tags}\n}}\n")
    };
    rejected(
        &w,
        &alloc("010.1.1.0/24"),
        &["\"010.1.1.0/24\" is ambiguous", "write 10.1.1.0/24", "cidr"],
    );
    rejected(
        &w,
        &alloc(" 10.1.1.0/24"),
        &["spaces around it", "write 10.1.1.0/24"],
    );
    let top = w.outputs()["top_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    rejected(
        &w,
        &format!("resource \"ipam_pool_cidr\" \"x\" {{\n  ipam_pool_id = \"{top}\"\n  cidr = \"011.0.0.0/8\"\n}}\n"),
        &["write 11.0.0.0/8"],
    );
    rejected(
        &w,
        &format!("resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  disallowed_cidrs = [\"010.1.0.0/20\"]\n{tags}\n}}\n"),
        &["write 10.1.0.0/20", "disallowed_cidrs"],
    );
}

#[test]
fn limits_follow_aws() {
    let w = Workspace::new(Tf::V1_15);
    w.config("resource \"ipam\" \"main\" {}\n");
    w.init();
    w.apply().ok();
    let long_key = "k".repeat(129);
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            "resource \"ipam\" \"x\" {\n  operating_regions = []\n}\n".into(),
            vec!["Did you mean to define a block of type \"operating_regions\"?".into()],
        ),
        (
            // The previous schema's list form: Terraform itself points at the block form.
            "resource \"ipam\" \"x\" {\n  operating_regions = [\"us-east-1\"]\n}\n".into(),
            vec!["Did you mean to define a block of type \"operating_regions\"?".into()],
        ),
        (
            "resource \"ipam\" \"x\" {\n  operating_regions { region_name = \"moon\" }\n}\n".into(),
            vec!["\"moon\" does not look like a region name".into()],
        ),
        (
            format!("resource \"ipam\" \"x\" {{\n  tags = {{ {long_key} = \"v\" }}\n}}\n"),
            vec!["is 129 characters long".into(), "keys of tags take 1 to 128 characters".into()],
        ),
        (
            format!("resource \"ipam\" \"x\" {{\n  description = \"{}\"\n}}\n", "d".repeat(256)),
            vec!["is 256 characters long: description takes 0 to 255 characters".into()],
        ),
        (
            format!(
                "resource \"ipam\" \"x\" {{\n  tags = {{\n{}  }}\n}}\n",
                (0..51).map(|i| format!("    k{i} = \"v\"\n")).collect::<String>()
            ),
            vec!["tags has 51 elements: at most 50 are allowed".into()],
        ),
        (
            "data \"ipam_utilization\" \"x\" {\n  ipam_id = \"ipam-00000000000000000\"\n  warn_at_percent = 150\n}\n".into(),
            vec!["150 is not a percentage: use a number from 0 to 100".into()],
        ),
    ];
    for (config, needles) in cases {
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        rejected(&w, &config, &needles);
    }
}

#[test]
fn pool_cidr_checks_run_at_plan_on_the_attribute() {
    let w = Workspace::new(Tf::V1_15);
    w.platform();
    let scope = w.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let top = w.outputs()["top_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let prod = w.outputs()["prod_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    // Another top-level pool of the scope overlapping 10.0.0.0/8: the pool is created in the
    // same plan, so its id is unknown; the existing top pool's own CIDR list is checked here.
    rejected(
        &w,
        &format!("resource \"ipam_pool_cidr\" \"x\" {{\n  ipam_pool_id = \"{top}\"\n  cidr = \"10.128.0.0/9\"\n}}\n"),
        &["10.128.0.0/9 overlaps 10.0.0.0/8", "cidr"],
    );
    // The wrong family.
    rejected(
        &w,
        &format!("resource \"ipam_pool_cidr\" \"x\" {{\n  ipam_pool_id = \"{top}\"\n  cidr = \"fd00::/48\"\n}}\n"),
        &["fd00::/48 is an ipv6 block, but the pool holds ipv4 addresses", "cidr"],
    );
    // A child CIDR that breaks its (top-level) parent's netmask rules: a child of prod.
    let child = format!(
        "resource \"ipam_pool\" \"c\" {{\n  ipam_scope_id = \"{scope}\"\n  address_family = \"ipv4\"\n  source_ipam_pool_id = \"{prod}\"\n  locale = \"us-east-1\"\n}}\n"
    );
    let t = w.sibling();
    t.config(&child);
    t.init();
    t.apply().ok();
    let c = t.resource("ipam_pool.c")["id"]
        .as_str()
        .unwrap()
        .to_string();
    rejected(
        &w,
        &format!("resource \"ipam_pool_cidr\" \"x\" {{\n  ipam_pool_id = \"{c}\"\n  cidr = \"10.1.0.0/25\"\n}}\n"),
        &["a /25 is smaller than the pool allows", "cidr = \"10.1.0.0/25\""],
    );
    // An explicit allocation cidr that breaks the pool's netmask rules is on cidr.
    rejected(
        &w,
        &format!("resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{prod}\"\n  cidr = \"10.1.0.0/26\"\n  tags = {{ environment = \"production\" }}\n}}\n"),
        &["a /26 is smaller than the pool allows", "ask for a /24 or larger", "cidr = \"10.1.0.0/26\""],
    );
    // A missing required tag points at tags and says what to add.
    rejected(
        &w,
        &format!("resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{prod}\"\n  tags = {{ team = \"a\" }}\n}}\n"),
        &["Add tags = { environment = \"production\" }", "tags = { team = \"a\" }"],
    );
}

#[test]
fn deprovision_refused_names_the_allocations_and_cascade() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform_quick();
    let t = w.sibling();
    t.config(&format!(
        "resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  description = \"payments\"\n  tags = {{ environment = \"production\" }}\n}}\n"
    ));
    t.init();
    t.apply().ok();
    let id = t.resource("ipam_vpc_allocation.x")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Removing the prod pool CIDR while the allocation lives in it.
    let start = support::PLATFORM
        .find("resource \"ipam_pool_cidr\" \"prod\"")
        .unwrap();
    let end = start + support::PLATFORM[start..].find("}\n").unwrap() + 2;
    w.config(&format!(
        "{}{}",
        &support::PLATFORM[..start],
        &support::PLATFORM[end..]
    ));
    let r = w.apply();
    fails(
        r,
        &[
            "10.1.0.0/16 still holds 1 allocation(s)",
            &id,
            "10.1.0.0/20",
            "\"payments\"",
            "cascade = true",
        ],
    );
}

#[test]
fn a_locked_database_is_busy_not_a_pool_error() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let t = w.sibling();
    t.write(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    ipam = {{\n      source = \"local/ipam\"\n    }}\n  }}\n}}\nprovider \"ipam\" {{\n  database     = \"{}\"\n  lock_timeout = \"1s\"\n}}\nresource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  tags = {{ environment = \"production\" }}\n}}\n",
            w.db.display()
        ),
    );
    t.init();
    let lock = w.hold_write_lock();
    let r = t.apply();
    drop(lock);
    assert!(
        !r.text().contains("Cannot allocate from the pool"),
        "{}",
        r.text()
    );
    fails(r, &["The database is busy", "lock_timeout"]);
    // Once the other writer is done, the same configuration applies.
    t.apply().ok();
}

#[test]
fn a_bad_locale_fails_plan_when_the_ipam_is_planned_with_it() {
    let w = Workspace::new(Tf::V1_15);
    let config = r#"
resource "ipam" "main" {
  operating_regions { region_name = "us-east-1" }
}

resource "ipam_pool" "p" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  locale         = "eu-west-1"
}
"#;
    w.config(config);
    w.init();
    let r = w.plan();
    fails(
        r,
        &[
            "locale \"eu-west-1\" is not an operating region of the IPAM planned with this pool (us-east-1)",
            "locale         = \"eu-west-1\"",
        ],
    );
    assert_eq!(w.dump(), "", "nothing written at plan");
    // The same pool with a locale the IPAM has plans and applies.
    w.config(&config.replace("\"eu-west-1\"", "\"us-east-1\""));
    w.apply().ok();
}

#[test]
fn function_arguments_refuse_ambiguous_spellings_and_accept_any_case() {
    let w = Workspace::new(Tf::V1_15);
    w.config("output \"n\" {\n  value = provider::ipam::size(\"010.0.0.0/8\")\n}\n");
    w.init();
    fails(
        w.plan(),
        &["\"010.0.0.0/8\" is ambiguous", "write 10.0.0.0/8"],
    );
    w.config("output \"n\" {\n  value = provider::ipam::contains(\"FD00::/48\", \"fd00:0:0:100::/56\")\n}\n");
    w.apply().ok();
    assert_eq!(w.outputs()["n"]["value"], true);
}

#[test]
fn provided_ipv6_cidr_is_read_by_meaning_too() {
    let provider = |cidr: &str, db: &std::path::Path| {
        format!(
            "terraform {{\n  required_providers {{\n    ipam = {{\n      source = \"local/ipam\"\n    }}\n  }}\n}}\nprovider \"ipam\" {{\n  database           = \"{}\"\n  provided_ipv6_cidr = \"{cidr}\"\n}}\nresource \"ipam\" \"main\" {{}}\nresource \"ipam_pool\" \"pub\" {{\n  ipam_scope_id  = ipam.main.public_default_scope_id\n  address_family = \"ipv6\"\n  aws_service    = \"ec2\"\n}}\nresource \"ipam_pool_cidr\" \"pub\" {{\n  ipam_pool_id   = ipam_pool.pub.id\n  netmask_length = 52\n}}\n",
            db.display()
        )
    };
    let w = Workspace::new(Tf::V1_15);
    w.write("main.tf", &provider(" 2001:db8::/32", &w.db));
    w.init();
    fails(
        w.plan(),
        &[
            "provided_ipv6_cidr",
            "spaces around it",
            "write 2001:db8::/32",
        ],
    );
    w.write("main.tf", &provider("2001:DB8::/32", &w.db));
    w.apply().ok();
    assert_eq!(w.resource("ipam_pool_cidr.pub")["cidr"], "2001:db8::/52");
    w.assert_no_changes();
}
