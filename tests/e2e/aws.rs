//! Coming from the AWS provider: configurations written as an AWS user writes them for the
//! `aws_vpc_ipam*` resources and data sources, renamed mechanically, run through validate,
//! plan, apply and a second, empty plan; new resources import by id; a state written by the
//! previous `operating_regions` schema (a set of strings, schema version 0) upgrades and plans
//! empty.

use crate::support;

use crate::support::{Tf, Workspace};
use std::path::Path;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws")
        .join(name);
    std::fs::read_to_string(p).expect("fixture")
}

/// The `region_name` of each `operating_regions` block of a resource's state, sorted.
fn region_names(resource: &serde_json::Value) -> Vec<&str> {
    let mut regions: Vec<&str> = resource["operating_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region_name"].as_str().unwrap())
        .collect();
    regions.sort();
    regions
}

/// validate, plan, apply, then an empty plan.
#[track_caller]
fn round_trip(w: &Workspace) {
    w.init();
    w.run(&["validate", "-no-color"]).ok();
    let p = w.plan();
    assert_eq!(p.code, 2, "plan should propose changes:\n{}", p.text());
    w.apply().ok();
    w.assert_no_changes();
}

#[test]
fn aws_resources_and_data_sources_after_the_rename() {
    let w = Workspace::new(Tf::V1_15);
    w.config(&fixture("platform.tf"));
    round_trip(&w);
    let o = w.outputs();
    let ipam_arn = o["ipam_arn"]["value"].as_str().unwrap().to_string();
    assert!(
        ipam_arn.starts_with("arn:aws:ec2::000000000000:ipam/ipam-"),
        "{ipam_arn}"
    );
    assert_eq!(o["ipam_owner"]["value"], "000000000000");
    assert!(o["scope_arn"]["value"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:ec2::000000000000:ipam-scope/ipam-scope-"));
    assert_eq!(
        o["scope_ipam_arn"]["value"].as_str(),
        Some(ipam_arn.as_str())
    );
    let pool = o["workloads_pool"]["value"].as_str().unwrap().to_string();
    assert_eq!(
        o["pool_arn"]["value"],
        format!("arn:aws:ec2::000000000000:ipam-pool/{pool}")
    );
    let reserved = &o["reserved"]["value"];
    assert_eq!(reserved["resource_type"], "custom");
    assert_eq!(reserved["resource_owner"], "000000000000");
    let alloc = reserved["allocation_id"].as_str().unwrap();
    assert!(alloc.starts_with("ipam-pool-alloc-"), "{alloc}");
    assert_eq!(o["reserved_id"]["value"], format!("{alloc}_{pool}"));
    assert_eq!(o["sized_cidr"]["value"], "172.20.1.16/28");
    assert_eq!(o["next_block_cidr"]["value"], "172.20.16.0/22");
    assert_eq!(o["around_one_address"]["value"], "172.20.16.16/28");
    let preview = o["preview_cidr"]["value"].as_str().unwrap().to_string();
    assert!(
        preview.ends_with("/26") && preview != "172.20.2.0/26",
        "{preview}"
    );
    let ipam = w.resource("ipam.corp");
    assert_eq!(region_names(&ipam), ["eu-west-1", "us-east-1", "us-west-2"]);
    assert_eq!(ipam["tier"], "advanced");
    assert_eq!(ipam["tags_all"]["Owner"], "network-team");
    // Left out: the provider's region, and the blocks stay left out in state.
    let lab = w.resource("ipam.lab");
    assert_eq!(lab["operating_regions"].as_array().unwrap().len(), 1);
    let ctx = w.resource("ipam_pool_cidr.byoip_v6");
    assert_eq!(
        ctx["cidr_authorization_context"][0]["signature"],
        "c2lnbmVkIGJ5IHRoZSByaXI="
    );

    // Another team reads the platform through the data sources and allocates from it.
    let c = w.sibling();
    c.config(&fixture("consumer.tf"));
    let ipam_id = ipam["id"].as_str().unwrap();
    c.write("terraform.tfvars", &format!("ipam_id = \"{ipam_id}\"\n"));
    round_trip(&c);
    let o = c.outputs();
    assert_eq!(o["ipam"]["value"]["arn"].as_str(), Some(ipam_arn.as_str()));
    assert_eq!(
        o["ipam"]["value"]["regions"],
        serde_json::json!(["eu-west-1", "us-east-1", "us-west-2"])
    );
    assert_eq!(o["ipams"]["value"]["by_id"], serde_json::json!([ipam_id]));
    assert_eq!(o["ipams"]["value"]["by_tag"], serde_json::json!([ipam_id]));
    assert_eq!(o["pool"]["value"]["id"], pool);
    assert_eq!(o["pool"]["value"]["same"], pool);
    assert_eq!(o["pool"]["value"]["default"], 24);
    assert_eq!(
        o["pools"]["value"]["regional"],
        serde_json::json!(["sized by netmask", "workload pool"])
    );
    assert_eq!(
        o["pools"]["value"]["tagged"],
        serde_json::json!(["regional parent"])
    );
    assert_eq!(
        o["cidrs"]["value"]["all"],
        serde_json::json!([{"cidr": "172.20.0.0/20", "state": "provisioned"}])
    );
    assert_eq!(
        o["cidrs"]["value"]["provisioned"],
        serde_json::json!(["172.20.0.0/20"])
    );
    assert!(o["from_preview"]["value"]
        .as_str()
        .unwrap()
        .ends_with("/27"));
}

#[test]
fn resource_planning_pools_plan_subnets_inside_the_vpc() {
    let w = Workspace::new(Tf::V1_15);
    w.config(&fixture("planning.tf"));
    round_trip(&w);
    let o = w.outputs();
    let vpc = o["vpc_cidr"]["value"].as_str().unwrap();
    assert_eq!(vpc, "10.0.0.0/24");
    assert_eq!(
        o["subnets"]["value"],
        serde_json::json!(["10.0.0.0/26", "10.0.0.64/26"])
    );
    let pool = w.resource("ipam_pool.app_subnets");
    assert_eq!(pool["source_resource"][0]["resource_type"], "vpc");
    let vpc = w.resource("ipam_vpc_allocation.app");
    let (vpc_id, parent) = (
        vpc["vpc_id"].as_str().unwrap(),
        vpc["ipam_pool_id"].as_str().unwrap(),
    );
    let scope = pool["ipam_scope_id"].as_str().unwrap();
    // A source that is not that VPC's is refused at plan, saying what to write.
    let wrong = |owner: &str, id: &str| {
        format!("resource \"ipam_pool\" \"x\" {{\n  address_family = \"ipv4\"\n  ipam_scope_id = \"{scope}\"\n  locale = \"us-east-1\"\n  source_ipam_pool_id = \"{parent}\"\n  source_resource {{\n    resource_id = \"{id}\"\n    resource_owner = \"{owner}\"\n    resource_region = \"us-east-1\"\n    resource_type = \"vpc\"\n  }}\n}}\n")
    };
    support::rejected(
        &w,
        &wrong("111111111111", vpc_id),
        &["set resource_owner to 000000000000"],
    );
    support::rejected(
        &w,
        &wrong("000000000000", "vpc-00000000000000000"),
        &["no VPC with id \"vpc-00000000000000000\""],
    );
    let planning = pool["id"].as_str().unwrap();
    support::rejected(
        &w,
        &format!("resource \"ipam_pool_cidr\" \"x\" {{\n  ipam_pool_id = \"{planning}\"\n  cidr = \"10.0.0.0/24\"\n}}\n"),
        &["is a resource planning pool", "ipam_pool_cidr_allocation instead"],
    );
    // Another configuration plans the same VPC's subnets: the VPC cannot go while it does.
    let other = w.sibling();
    other.config(&wrong("000000000000", vpc_id));
    other.init();
    other.apply().ok();
    w.destroy().fails_with(&format!(
        "the VPC {vpc_id} is the source resource of the pool(s)"
    ));
    other.destroy().ok();
    // Destroying everything releases the subnets, the planning pool and then the VPC.
    w.destroy().ok();
}

#[test]
fn new_resources_import_by_id() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let body = format!(
        "resource \"ipam_pool_cidr_allocation\" \"a\" {{\n  ipam_pool_id = \"{pool}\"\n  cidr = \"10.1.64.0/20\"\n  description = \"imported\"\n}}\n"
    );
    let first = w.sibling();
    first.config(&body);
    first.init();
    first.apply().ok();
    let made = first.resource("ipam_pool_cidr_allocation.a");
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(
        id,
        format!(
            "{}_{pool}",
            made["ipam_pool_allocation_id"].as_str().unwrap()
        )
    );

    // Another configuration adopts it with an import block and plans nothing else.
    let second = w.sibling();
    second.config(&format!(
        "{body}\nimport {{\n  to = ipam_pool_cidr_allocation.a\n  id = \"{id}\"\n}}\n"
    ));
    second.init();
    let p = second.plan();
    assert!(
        p.text()
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        p.text()
    );
    second.apply().ok();
    second.assert_no_changes();

    // And with the CLI, on Terraform 1.0.
    let old = Workspace::new(Tf::V1_0);
    let mut old = old;
    old.db = w.db.clone();
    old.config(&body);
    old.init();
    old.import("ipam_pool_cidr_allocation.a", &id).ok();
    old.assert_no_changes();

    // A malformed id says what an id looks like.
    let bad = w.sibling();
    bad.config(&body);
    bad.init();
    bad.import("ipam_pool_cidr_allocation.a", "nonsense")
        .fails_with("<ipam_pool_allocation_id>_<ipam_pool_id>");

    // Tags change in place; tags_all follows.
    second.config(&body.replace(
        "description = \"imported\"\n",
        "description = \"imported\"\n  tags = { Team = \"edge\" }\n",
    ));
    let p = second.plan();
    assert!(
        p.text().contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        p.text()
    );
    second.apply().ok();
    second.assert_no_changes();
    let tagged = second.resource("ipam_pool_cidr_allocation.a");
    assert_eq!(tagged["tags_all"]["Team"], "edge");
    assert_eq!(tagged["id"], id);
}

/// Rewrites the IPAM in a state file into the previous schema's shape (version 0:
/// `operating_regions` a set of strings; no arn, owner_id, tags_all, tier, enable_private_gua
/// or region), as the previous release wrote it.
fn to_version_0(w: &Workspace) {
    let path = w.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for r in state["resources"].as_array_mut().unwrap() {
        if r["type"] != "ipam" {
            continue;
        }
        for i in r["instances"].as_array_mut().unwrap() {
            i["schema_version"] = 0.into();
            let a = i["attributes"].as_object_mut().unwrap();
            let regions: Vec<serde_json::Value> = a["operating_regions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["region_name"].clone())
                .collect();
            a.insert("operating_regions".into(), regions.into());
            for gone in [
                "metered_account",
                "arn",
                "owner_id",
                "tags_all",
                "tier",
                "enable_private_gua",
                "region",
            ] {
                a.remove(gone);
            }
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

#[test]
fn states_of_the_previous_operating_regions_schema_upgrade_with_an_empty_plan() {
    for tf in [Tf::V1_15, Tf::V1_0] {
        let w = Workspace::new(tf);
        w.config(support::PLATFORM);
        w.init();
        w.apply().ok();
        to_version_0(&w);
        let text = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
        assert!(
            text.contains("\"us-east-1\",") || text.contains("\"us-east-1\"\n"),
            "the state holds the old list form:\n{text}"
        );
        w.assert_no_changes();
        w.apply().ok();
        let ipam = w.resource("ipam.main");
        assert_eq!(ipam["operating_regions"].as_array().unwrap().len(), 2);
        assert!(ipam["arn"].as_str().unwrap().starts_with("arn:aws:ec2::"));
        let text = std::fs::read_to_string(w.path().join("terraform.tfstate")).unwrap();
        assert!(text.contains("\"schema_version\": 1"), "{text}");
    }
}

/// `aws_vpc_ipam_resource_discovery` and `_association` renamed: `operating_regions` blocks as
/// on `ipam`, AWS's attributes, tags on the association, the IPAM counting its associations.
#[test]
fn resource_discovery_after_the_rename() {
    let w = Workspace::new(Tf::V1_15);
    w.write(
        "vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-0a1b2c3d4e5f60718", "CidrBlock": "10.200.0.0/16", "OwnerId": "111122223333", "State": "available"}]}"#,
    );
    w.config(&fixture("discovery.tf"));
    round_trip(&w);
    let o = w.outputs();
    let hub_arn = o["hub_arn"]["value"].as_str().unwrap();
    let d = &o["discovery"]["value"];
    assert!(
        d["arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:ec2::000000000000:ipam-resource-discovery/ipam-res-disc-"),
        "{d}"
    );
    assert_eq!(d["is_default"], false);
    assert_eq!(d["region"], "us-east-1");
    assert_eq!(d["tags_all"]["Team"], "spoke");
    let a = &o["association"]["value"];
    assert!(
        a["arn"].as_str().unwrap().starts_with(
            "arn:aws:ec2::000000000000:ipam-resource-discovery-association/ipam-res-disc-assoc-"
        ),
        "{a}"
    );
    assert_eq!(a["ipam_arn"], hub_arn);
    assert_eq!(a["state"], "associated");
    assert_eq!(a["is_default"], false);
    assert_eq!(a["tags_all"]["Name"], "spoke");
    let hub = &o["hub"]["value"];
    assert_eq!(hub["associations"], 2, "{hub}");
    assert_eq!(hub["listed"][0], 2, "{hub}");
    assert!(hub["default_discovery"].is_null(), "{hub}");
    assert!(hub["state_message"].is_null(), "{hub}");
    let spoke = w.resource("ipam_resource_discovery.spoke");
    assert_eq!(region_names(&spoke), ["us-east-1", "us-west-2"]);
    // Left out: the provider's region, and the blocks stay left out in state, as on `ipam`.
    let onprem = w.resource("ipam_resource_discovery.onprem");
    assert_eq!(
        onprem["operating_regions"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(onprem["ipam_resource_discovery_region"], "us-east-1");

    // Association tags change in place (kept in state), and the association stays.
    let before = w.resource("ipam_resource_discovery_association.spoke")["id"].clone();
    w.config(
        &fixture("discovery.tf").replace("\"Name\" = \"spoke\"", "\"Name\" = \"spoke-renamed\""),
    );
    let r = w.apply().ok();
    assert!(
        support::flatten(&r.stdout).contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.text()
    );
    let after = w.resource("ipam_resource_discovery_association.spoke");
    assert_eq!(after["id"], before);
    assert_eq!(after["tags"]["Name"], "spoke-renamed");
    w.assert_no_changes();

    // A bad region name fails as on `ipam`; so does another region than the provider's.
    let bad = w.sibling();
    bad.config("resource \"ipam_resource_discovery\" \"x\" {\n  operating_regions {\n    region_name = \"moon\"\n  }\n}\n");
    bad.init();
    bad.plan()
        .fails_with("\"moon\" does not look like a region name");
    bad.config("resource \"ipam_resource_discovery_association\" \"x\" {\n  region = \"eu-west-1\"\n  ipam_id = \"ipam-00000000000000000\"\n  ipam_resource_discovery_id = \"ipam-res-disc-00000000000000000\"\n}\n");
    bad.plan()
        .fails_with("but this provider block serves \"us-east-1\"");
}

#[test]
fn aws_arguments_without_a_local_meaning_say_why() {
    let w = Workspace::new(Tf::V1_15);
    w.config("resource \"ipam\" \"x\" {\n  region = \"eu-west-1\"\n}\n");
    w.init();
    w.plan()
        .fails_with("but this provider block serves \"us-east-1\"");
    w.config("resource \"ipam_pool\" \"x\" {\n  address_family = \"ipv4\"\n  ipam_scope_id = \"ipam-scope-00000000000000000\"\n  source_resource {\n    resource_id = \"subnet-1\"\n    resource_type = \"subnet\"\n    resource_owner = \"000000000000\"\n    resource_region = \"us-east-1\"\n  }\n}\n");
    w.plan()
        .fails_with("\"subnet\" is not a resource type that can source a pool: use \"vpc\"");
    w.config("resource \"ipam_preview_next_cidr\" \"x\" {\n  ipam_pool_id = \"ipam-pool-00000000000000000\"\n  netmask_length = 28\n}\n");
    w.plan()
        .fails_with("no IPAM pool with id \"ipam-pool-00000000000000000\" exists");
    w.config("data \"ipam_ipams\" \"x\" {\n  region = \"ap-south-1\"\n}\n");
    w.plan()
        .fails_with("region is \"ap-south-1\", but this provider block serves \"us-east-1\"");
    w.config("resource \"ipam\" \"x\" {\n  tier = \"premium\"\n}\n");
    w.plan().fails_with("\"premium\" is not an IPAM tier");
    w.config("data \"ipam_pools\" \"x\" {\n  filter {\n    name   = \"colour\"\n    values = [\"red\"]\n  }\n}\n");
    w.plan().fails_with("\"colour\" is not a filter name here");
    w.config(
        "resource \"ipam\" \"x\" {\n  operating_regions {\n    region_name = \"moon\"\n  }\n}\n",
    );
    w.plan()
        .fails_with("\"moon\" does not look like a region name");
}

/// How many rows each table of what a configuration creates still holds.
fn leftovers(w: &Workspace) -> Vec<(&'static str, String)> {
    [
        "ipams",
        "scopes",
        "pools",
        "pool_cidrs",
        "free_blocks",
        "allocations",
    ]
    .into_iter()
    .map(|t| {
        let n = w.query(&format!("SELECT COUNT(*) FROM {t}"))[0][0]
            .clone()
            .unwrap_or_default();
        (t, n)
    })
    .filter(|(_, n)| n != "0")
    .collect()
}

fn destroy_with(w: &Workspace, parallelism: Option<u32>) -> support::Run {
    let p = parallelism.map(|p| format!("-parallelism={p}"));
    let mut args = vec!["destroy", "-auto-approve", "-input=false", "-no-color"];
    args.extend(p.as_deref());
    w.run(&args)
}

/// Applies `teardown.tf` in the order its missing depends_on leave to the user: the parent's
/// CIDR, then the children's, then (with `rest` targets, or everything) what they hold.
fn apply_teardown(w: &Workspace, rest: &[&str]) {
    w.config(&fixture("teardown.tf"));
    w.init();
    let apply = |targets: &[&str]| {
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend(targets);
        w.run(&args).ok();
    };
    apply(&["-target=ipam_pool_cidr.parent_test"]);
    apply(&[
        "-target=ipam_pool_cidr.child_test",
        "-target=ipam_pool_cidr.sized",
    ]);
    apply(rest);
}

/// The AWS documentation's shape (no depends_on between allocations and pool CIDRs, or
/// between a child pool and its parent's CIDR) applies, plans empty, and destroys in one run
/// whatever order Terraform's parallel walk takes: a pool CIDR's deprovisioning waits for the
/// allocations and child pool CIDRs the same destroy is releasing. Nothing is left but the
/// audit log.
#[test]
fn aws_shaped_configurations_destroy_in_one_run() {
    for parallelism in [None, Some(2)] {
        let w = Workspace::new(Tf::V1_15);
        apply_teardown(&w, &[]);
        w.assert_no_changes();
        let r = destroy_with(&w, parallelism);
        assert_eq!(r.code, 0, "parallelism {parallelism:?}:\n{}", r.text());
        assert_eq!(leftovers(&w), [], "parallelism {parallelism:?}");
        let audit = w.query("SELECT COUNT(*) FROM audit_events")[0][0].clone();
        assert_ne!(audit.as_deref(), Some("0"), "the audit log stays");
    }
}

/// A named allocation missing from the state (here: an apply that targeted the rest) is
/// planned, and so reserved, by the refresh `terraform destroy` runs first. The reservation
/// must not keep its pool CIDR: it goes with it, audited, and the destroy empties the database.
#[test]
fn a_named_allocation_missing_from_the_state_does_not_block_the_destroy() {
    let w = Workspace::new(Tf::V1_15);
    apply_teardown(
        &w,
        &[
            "-target=ipam_vpc_allocation.vpcs",
            "-target=ipam_pool_cidr_allocation.example",
            "-target=ipam_pool_cidr_allocation.parent_block",
        ],
    );
    for round in 0..2 {
        let r = w.destroy();
        assert_eq!(r.code, 0, "round {round}:\n{}", r.text());
        assert_eq!(leftovers(&w), [], "round {round}");
    }
    let dropped = w.query(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'drop-reservation-with-pool-cidr'",
    );
    assert_eq!(
        dropped[0][0].as_deref(),
        Some("1"),
        "the destroy's refresh reserved the name once; the reservation went with its CIDR"
    );
}
