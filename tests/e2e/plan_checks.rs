//! Bad input and the plan-time guarantees: every malformed or impossible value fails
//! `terraform plan` (or validate) with a diagnostic on its attribute, and the database is
//! unchanged, compared row by row before and after.

use crate::support;

use crate::support::{rejected, Tf, Workspace};

/// A team configuration allocating from `pool` with the given attribute lines.
fn team(pool: &str, body: &str) -> String {
    format!("resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n{body}\n}}\n")
}

const PROD_TAGS: &str = "  tags = {\n    environment = \"production\"\n  }";

#[test]
fn malformed_values_are_diagnostics_on_their_attribute() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let tags = PROD_TAGS;
    // Host bits set: the message gives the normalised block, and points at cidr.
    rejected(
        &w,
        &team(&pool, &format!("  cidr = \"10.1.2.3/24\"\n{tags}")),
        &[
            "10.1.2.3/24 has host bits set; did you mean 10.1.2.0/24?",
            "on main.tf",
            "cidr = \"10.1.2.3/24\"",
        ],
    );
    // Prefix out of range.
    rejected(
        &w,
        &team(&pool, &format!("  netmask_length = 129\n{tags}")),
        &["129 is not a prefix length", "netmask_length = 129"],
    );
    // Beyond the pool's guardrails.
    rejected(
        &w,
        &team(&pool, &format!("  netmask_length = 26\n{tags}")),
        &[
            "a /26 is smaller than the pool allows",
            "allocation_max_netmask_length is 24",
        ],
    );
    // IPv6 in an IPv4 pool.
    rejected(
        &w,
        &team(&pool, &format!("  cidr = \"2001:db8::/56\"\n{tags}")),
        &["2001:db8::/56 is an ipv6 block, but the pool holds ipv4 addresses"],
    );
    // Outside the pool.
    rejected(
        &w,
        &team(&pool, &format!("  cidr = \"10.2.0.0/20\"\n{tags}")),
        &["10.2.0.0/20 is not inside the pool", "10.1.0.0/16"],
    );
    // Unknown pool id.
    rejected(
        &w,
        &team("ipam-pool-0123456789abcdef0", tags),
        &[
            "no IPAM pool with id \"ipam-pool-0123456789abcdef0\"",
            "ipam_pool_id",
        ],
    );
    // A required tag missing.
    rejected(
        &w,
        &team(&pool, ""),
        &[
            "requires the allocation tags environment = \"production\"",
            "missing: environment = \"production\"",
        ],
    );
    // Disallowed CIDR that is not a CIDR.
    rejected(
        &w,
        &team(
            &pool,
            &format!("  disallowed_cidrs = [\"10.1.0.0/33\"]\n{tags}"),
        ),
        &["is not a CIDR block", "disallowed_cidrs"],
    );
    // An explicit block inside a disallowed one.
    rejected(
        &w,
        &team(
            &pool,
            &format!("  cidr = \"10.1.0.0/20\"\n  disallowed_cidrs = [\"10.1.0.0/16\"]\n{tags}"),
        ),
        &["overlaps the disallowed CIDR 10.1.0.0/16"],
    );
}

#[test]
fn swapped_min_max_fails_plan_saying_which_is_which() {
    let w = Workspace::new(Tf::V1_15);
    w.platform();
    let config = support::PLATFORM
        .replace(
            "allocation_min_netmask_length     = 16",
            "allocation_min_netmask_length     = 24",
        )
        .replace(
            "allocation_max_netmask_length     = 24",
            "allocation_max_netmask_length     = 16",
        );
    let before = w.dump();
    w.config(&config);
    let r = w.plan();
    assert_eq!(r.code, 1, "{}", r.text());
    let flat = support::flatten(&r.text());
    for n in [
        "allocation_min_netmask_length (24) is greater than allocation_max_netmask_length (16)",
        "the minimum netmask length is the LARGEST block",
        "did you mean min = 16, max = 24?",
        "allocation_min_netmask_length     = 24",
    ] {
        assert!(
            flat.contains(&support::flatten(n)),
            "expected {n:?} in:\n{}",
            r.text()
        );
    }
    assert_eq!(before, w.dump());
}

#[test]
fn overlap_names_the_conflicting_allocation() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let first = w.sibling();
    first.config(&team(
        &pool,
        &format!("  cidr = \"10.1.4.0/22\"\n  description = \"payments\"\n{PROD_TAGS}"),
    ));
    first.init();
    first.apply().ok();
    let id = first.resource("ipam_vpc_allocation.x")["id"]
        .as_str()
        .unwrap()
        .to_string();
    rejected(
        &w,
        &team(&pool, &format!("  cidr = \"10.1.0.0/20\"\n{PROD_TAGS}")),
        &[
            "10.1.0.0/20 overlaps the allocation 10.1.4.0/22",
            &id,
            "\"payments\"",
            "the lowest free /20 is 10.1.16.0/20",
            "cidr = \"10.1.0.0/20\"",
        ],
    );
}

#[test]
fn a_plan_the_pool_cannot_hold_fails_before_apply() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    // The /16 holds sixteen /20s; seventeen in one plan fail at plan, listing what is free.
    let config = format!(
        "resource \"ipam_vpc_allocation\" \"many\" {{\n  count        = 17\n  ipam_pool_id = \"{pool}\"\n{PROD_TAGS}\n}}\n"
    );
    rejected(
        &w,
        &config,
        &[
            "has room for 16 of the 17 new allocations from it in this plan (this /20 is one too many)",
            "the largest free blocks are: 10.1.0.0/16",
            "Plan at most 16 new allocations from this pool",
        ],
    );
    // Sixteen fit, and a seventeenth later says what is left.
    let t = w.sibling();
    t.config(&config.replace("count        = 17", "count        = 16"));
    t.init();
    t.apply().ok();
    t.assert_no_changes();
    rejected(
        &w,
        &team(&pool, PROD_TAGS),
        &[
            "has no free /20; it has no free space left",
            "The pool is full: provision another CIDR to the pool",
        ],
    );
}

#[test]
fn pool_rules_are_checked_at_plan() {
    let w = Workspace::new(Tf::V1_15);
    w.platform();
    let scope = w.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let prod = w.resource("ipam_pool.prod")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pool = |extra: &str| {
        format!("resource \"ipam_pool\" \"x\" {{\n  ipam_scope_id  = \"{scope}\"\n  address_family = \"ipv4\"\n{extra}\n}}\n")
    };
    // A locale the IPAM does not operate in.
    rejected(
        &w,
        &pool("  locale = \"ap-south-1\""),
        &[
            "locale \"ap-south-1\" is not an operating region",
            "(eu-west-1, us-east-1)",
        ],
    );
    // A child's locale differs from its parent's.
    rejected(
        &w,
        &pool(&format!(
            "  source_ipam_pool_id = \"{prod}\"\n  locale = \"eu-west-1\""
        )),
        &["has locale \"us-east-1\"; a child pool's locale must be the same"],
    );
    // A child of another family.
    rejected(
        &w,
        &pool(&format!(
            "  source_ipam_pool_id = \"{prod}\"\n  locale = \"us-east-1\""
        ))
        .replace("\"ipv4\"", "\"ipv6\""),
        &["a child pool must have the same address_family"],
    );
    // An address family that does not exist, and a default outside min..max.
    rejected(
        &w,
        &pool("").replace("\"ipv4\"", "\"ipv5\""),
        &["\"ipv5\" is not an address family"],
    );
    rejected(&w, &pool("  allocation_min_netmask_length = 16\n  allocation_max_netmask_length = 20\n  allocation_default_netmask_length = 24"), &["allocation_default_netmask_length (24) must lie between"]);
}

#[test]
fn a_pool_of_another_region_cannot_serve_this_provider() {
    let w = Workspace::new(Tf::V1_15);
    w.config(&support::PLATFORM.replace(
        "locale                            = \"us-east-1\"",
        "locale                            = \"eu-west-1\"",
    ));
    w.init();
    w.apply().ok();
    let pool = w.outputs()["prod_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    rejected(
        &w,
        &team(&pool, PROD_TAGS),
        &["has locale \"eu-west-1\", but this provider allocates for the region \"us-east-1\""],
    );
}

/// Two new pool CIDRs of one plan are checked together: overlapping each other (in one pool,
/// or drawn from one parent) fails the plan naming the other, not the apply halfway; two that
/// fit together plan and apply.
#[test]
fn new_pool_cidrs_of_one_plan_are_checked_together() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let top = w.outputs()["top_pool"]["value"]
        .as_str()
        .expect("top_pool output")
        .to_string();
    let two = |pool: &str, a: &str, b: &str| {
        format!(
            "resource \"ipam_pool_cidr\" \"a\" {{\n  ipam_pool_id = \"{pool}\"\n  cidr         = \"{a}\"\n}}\nresource \"ipam_pool_cidr\" \"b\" {{\n  ipam_pool_id = \"{pool}\"\n  cidr         = \"{b}\"\n}}\n"
        )
    };
    // A child pool: both would be allocated from the parent, and overlap there.
    rejected(
        &w,
        &two(&prod, "10.2.0.0/16", "10.2.128.0/17"),
        &[
            "Cannot provision the CIDR",
            "another ipam_pool_cidr in this same plan, not yet applied",
            &format!("in {prod}"),
        ],
    );
    // A top-level pool: its own CIDRs overlap.
    rejected(
        &w,
        &two(&top, "172.16.0.0/12", "172.16.0.0/16"),
        &["overlaps", "another ipam_pool_cidr in this same plan"],
    );
    // Two that fit together.
    let t = w.sibling();
    t.config(&two(&prod, "10.3.0.0/16", "10.4.0.0/16"));
    t.init();
    t.apply().ok();
    t.assert_no_changes();
}

/// A prefix longer than the pool's family allows (a /33 of IPv4) fails the plan on every
/// attribute that takes a netmask, each diagnostic naming its resource, and nothing is written
/// (before, a /33 passed plan and apply failed on a database constraint; the preview data
/// source answered 10.0.0.0/32).
#[test]
fn a_netmask_beyond_the_pools_family_fails_the_plan_on_every_attribute() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let config = format!(
        r#"
resource "ipam_vpc_allocation" "unnamed" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 33
{PROD_TAGS}
}}
resource "ipam_vpc_allocation" "named" {{
  ipam_pool_id   = "{prod}"
  name           = "web"
  netmask_length = 33
{PROD_TAGS}
}}
resource "ipam_pool_cidr_allocation" "custom" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 33
}}
resource "ipam_pool_cidr" "child" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 33
}}
resource "ipam_preview_next_cidr" "resource" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 33
}}
data "ipam_preview_next_cidr" "source" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 40
}}
"#
    );
    rejected(
        &w,
        &config,
        &[
            "netmask length 33 is out of range for ipv4: use 0 to 32 (the pool holds ipv4 addresses, whose longest prefix is /32)",
            "with ipam_vpc_allocation.unnamed",
            "with ipam_vpc_allocation.named",
            "with ipam_pool_cidr_allocation.custom",
            "with ipam_pool_cidr.child",
            "with ipam_preview_next_cidr.resource",
            "netmask length 40 is out of range for ipv4",
            "with data.ipam_preview_next_cidr.source",
        ],
    );
    // A pool new in the same plan cannot be checked at plan: apply refuses with the same
    // words, never a database constraint, and leaves no allocation.
    let scope = w.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = w.sibling();
    t.config(&format!(
        r#"
resource "ipam_pool" "new" {{
  ipam_scope_id  = "{scope}"
  address_family = "ipv4"
}}
resource "ipam_pool_cidr" "new" {{
  ipam_pool_id = ipam_pool.new.id
  cidr         = "172.16.0.0/24"
}}
resource "ipam_vpc_allocation" "a" {{
  ipam_pool_id   = ipam_pool.new.id
  netmask_length = 33
  depends_on     = [ipam_pool_cidr.new]
}}
"#
    ));
    t.init();
    let r = t.apply();
    let r = r.fails_with("netmask length 33 is out of range for ipv4: use 0 to 32");
    assert!(!r.text().contains("constraint"), "{}", r.text());
    let pool = t.resource("ipam_pool.new")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        t.query(&format!(
            "SELECT id FROM allocations WHERE pool_id = '{pool}'"
        ))
        .is_empty(),
        "an allocation was written"
    );
}

/// One of every resource that can change in place; `{X}` marks the one value each update
/// changes (a description, a name or tags: whichever changes in place).
const EVERY_RESOURCE: &str = r#"
resource "ipam" "main" {
  description = "main"
  tags        = { team = "{X}" }
}

resource "ipam_scope" "s" {
  ipam_id     = ipam.main.id
  description = "scope {X}"
}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "top {X}"
  tags           = { env = "test" }
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "ipam_vpc_allocation" "v" {
  ipam_pool_id   = ipam_pool.top.id
  netmask_length = 16
  description    = "vpc {X}"
  depends_on     = [ipam_pool_cidr.top]
}

resource "ipam_pool_cidr_allocation" "c" {
  ipam_pool_id   = ipam_pool.top.id
  netmask_length = 24
  tags           = { n = "{X}" }
  depends_on     = [ipam_pool_cidr.top]
}

resource "ipam_resource_discovery" "d" {
  description = "discovery {X}"
  source {
    path = "describe-vpcs.json"
  }
}

resource "ipam_resource_discovery_association" "a" {
  ipam_id                    = ipam.main.id
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
  tags                       = { n = "{X}" }
}

resource "ipam_organization" "org" {}

resource "ipam_organizational_unit" "ou" {
  name      = "unit {X}"
  parent_id = ipam_organization.org.root_id
}

resource "ipam_organization_account" "acct" {
  account_id = "333333333333"
  name       = "account {X}"
  parent_id  = ipam_organizational_unit.ou.id
}

resource "ipam_resource_share" "share" {
  name          = "share {X}"
  resource_arns = [ipam_pool.top.arn]
  principals    = [ipam_organizational_unit.ou.id]
}
"#;

/// The attributes an update plan changes: those whose planned value differs from the prior
/// state, and those left unknown until apply.
fn changed_attributes(change: &serde_json::Value) -> Vec<String> {
    let before = change["before"].as_object().cloned().unwrap_or_default();
    let after = change["after"].as_object().cloned().unwrap_or_default();
    let unknown = change["after_unknown"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // `after_unknown` mirrors nested values with `{}` or `[]`; `true` marks an unknown one.
    fn any_unknown(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::Array(a) => a.iter().any(any_unknown),
            serde_json::Value::Object(o) => o.values().any(any_unknown),
            _ => false,
        }
    }
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .chain(unknown.keys())
        .filter(|k| before.get(*k) != after.get(*k) || unknown.get(*k).is_some_and(any_unknown))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Updating one attribute of each resource plans that change and nothing else: no
/// `(known after apply)` for what the provider knows at plan (`tags_all` is `tags`; counts,
/// ids and ARNs an update does not touch keep their values).
#[test]
fn an_update_plans_only_what_changed() {
    let w = Workspace::new(Tf::V1_15);
    w.write("describe-vpcs.json", r#"{"Vpcs": []}"#);
    w.config(&EVERY_RESOURCE.replace("{X}", "one"));
    w.init();
    w.apply().ok();
    w.assert_no_changes();
    w.config(&EVERY_RESOURCE.replace("{X}", "two"));
    w.run(&["plan", "-out=update.tfplan", "-input=false", "-no-color"])
        .ok();
    let shown = w.run(&["show", "-json", "update.tfplan"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let expected: std::collections::BTreeMap<&str, Vec<&str>> = [
        ("ipam.main", vec!["tags", "tags_all"]),
        ("ipam_scope.s", vec!["description"]),
        ("ipam_pool.top", vec!["description"]),
        ("ipam_vpc_allocation.v", vec!["description"]),
        ("ipam_pool_cidr_allocation.c", vec!["tags", "tags_all"]),
        ("ipam_resource_discovery.d", vec!["description"]),
        (
            "ipam_resource_discovery_association.a",
            vec!["tags", "tags_all"],
        ),
        ("ipam_organizational_unit.ou", vec!["name"]),
        ("ipam_organization_account.acct", vec!["name"]),
        ("ipam_resource_share.share", vec!["name"]),
    ]
    .into_iter()
    .collect();
    let mut seen = std::collections::BTreeMap::new();
    for c in plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
    {
        let address = c["address"].as_str().unwrap().to_string();
        let actions = c["change"]["actions"].clone();
        if actions == serde_json::json!(["no-op"]) {
            continue;
        }
        assert_eq!(actions, serde_json::json!(["update"]), "{address}: {c}");
        seen.insert(address, changed_attributes(&c["change"]));
    }
    let seen: std::collections::BTreeMap<&str, Vec<&str>> = seen
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(seen, expected, "{}", shown.stdout);
    // The known tags_all is what apply writes.
    let tags_all = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "ipam.main")
        .map(|c| c["change"]["after"]["tags_all"].clone());
    assert_eq!(tags_all, Some(serde_json::json!({"team": "two"})));
    w.run(&["apply", "-input=false", "-no-color", "update.tfplan"])
        .ok();
    w.assert_no_changes();
}

/// A CIDR for a pool created in the same plan cannot be checked against that pool (its id is
/// unknown until apply), but an overlap with an existing pool's CIDR, in any IPAM or scope, is
/// a warning on `cidr` naming that CIDR, its pool and its scope; the plan still succeeds and
/// writes nothing, and a CIDR overlapping nothing plans without a warning.
#[test]
fn a_new_pools_cidr_overlapping_existing_pools_warns_at_plan() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let top = w.outputs()["top_pool"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let scope = w.query(&format!("SELECT scope_id FROM pools WHERE id = '{top}'"))[0][0]
        .clone()
        .unwrap();
    let t = w.sibling();
    t.config(
        r#"
resource "ipam" "other" {}

resource "ipam_pool" "elsewhere" {
  ipam_scope_id  = ipam.other.private_default_scope_id
  address_family = "ipv4"
}

resource "ipam_pool_cidr" "clash" {
  ipam_pool_id = ipam_pool.elsewhere.id
  cidr         = "10.1.128.0/17"
}

resource "ipam_pool" "fresh" {
  ipam_scope_id  = ipam.other.private_default_scope_id
  address_family = "ipv4"
}

resource "ipam_pool_cidr" "fresh" {
  ipam_pool_id = ipam_pool.fresh.id
  cidr         = "192.168.0.0/16"
}
"#,
    );
    t.init();
    let before = w.dump();
    let plan = t.plan();
    assert_eq!(plan.code, 2, "{}", plan.text());
    let text = support::flatten(&plan.text());
    assert_eq!(
        text.matches("Warning: The new pool's CIDR overlaps an existing pool's")
            .count(),
        1,
        "{text}"
    );
    for needle in [
        "with ipam_pool_cidr.clash",
        "in resource \"ipam_pool_cidr\" \"clash\"",
        &format!("10.1.128.0/17 overlaps 10.0.0.0/8 of pool {top} (\"top\") in scope {scope} (private, IPAM"),
        &format!("10.1.0.0/16 of pool {prod} (\"prod\") in scope {scope}"),
        "its id, scope and parent are unknown until apply",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(!text.contains("192.168.0.0/16 overlaps"), "{text}");
    assert_eq!(before, w.dump(), "a plan wrote to the database");
}
