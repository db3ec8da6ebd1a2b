//! Updating one attribute of each resource plans that change and nothing else: no unknown
//! value for what the provider knows at plan (`tags_all` is `tags`; counts, ids and ARNs an
//! update does not touch keep their values).

use crate::harness::*;
use std::collections::BTreeMap;
use tfplug::Value;

/// A resource's configuration as a function of the one value its update changes.
type Config = Box<dyn Fn(&str) -> Value>;

/// The attributes `planned` changes from `prior`: those that differ, and those unknown.
fn changed(prior: &Value, planned: &Value) -> Vec<String> {
    let (Value::Object(before), Value::Object(after)) = (prior, planned) else {
        panic!("not objects: {prior:?} {planned:?}");
    };
    after
        .iter()
        .filter(|(k, v)| !v.is_wholly_known() || before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
fn an_update_plans_only_what_changed() {
    let db = Db::new();
    let tf = db.provider();
    let vpcs = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discovery/describe-vpcs.json")
        .display()
        .to_string();
    // Each resource's configuration as a function of the one value its update changes, made
    // in dependency order with that value "one".
    let mut made: Vec<(&str, Value, Config)> = Vec::new();
    let mut make = |ty: &'static str, config: Config| {
        let state = tf.create(ty, &config("one"));
        made.push((ty, state.clone(), config));
        state
    };
    let ipam = make(
        "ipam",
        Box::new(|x| obj(&[("description", s("main")), ("tags", tags(&[("team", x)]))])),
    );
    let ipam_id = get(&ipam, "id");
    let scope = get(&ipam, "private_default_scope_id");
    let i = ipam_id.clone();
    make(
        "ipam_scope",
        Box::new(move |x| {
            obj(&[
                ("ipam_id", s(&i)),
                ("description", s(&format!("scope {x}"))),
            ])
        }),
    );
    let sc = scope.clone();
    let pool = make(
        "ipam_pool",
        Box::new(move |x| {
            obj(&[
                ("ipam_scope_id", s(&sc)),
                ("address_family", s("ipv4")),
                ("description", s(&format!("top {x}"))),
                ("tags", tags(&[("env", "test")])),
            ])
        }),
    );
    let pool_id = get(&pool, "id");
    tf.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&pool_id)), ("cidr", s("10.0.0.0/8"))]),
    );
    let pi = pool_id.clone();
    make(
        "ipam_vpc_allocation",
        Box::new(move |x| {
            obj(&[
                ("ipam_pool_id", s(&pi)),
                ("netmask_length", n(16)),
                ("description", s(&format!("vpc {x}"))),
            ])
        }),
    );
    let pi = pool_id.clone();
    make(
        "ipam_pool_cidr_allocation",
        Box::new(move |x| {
            obj(&[
                ("ipam_pool_id", s(&pi)),
                ("netmask_length", n(24)),
                ("tags", tags(&[("n", x)])),
            ])
        }),
    );
    let discovery = make(
        "ipam_resource_discovery",
        Box::new(move |x| {
            obj(&[
                ("description", s(&format!("discovery {x}"))),
                ("source", Value::list([obj(&[("path", s(&vpcs))])])),
            ])
        }),
    );
    let (i, d) = (ipam_id.clone(), get(&discovery, "id"));
    make(
        "ipam_resource_discovery_association",
        Box::new(move |x| {
            obj(&[
                ("ipam_id", s(&i)),
                ("ipam_resource_discovery_id", s(&d)),
                ("tags", tags(&[("n", x)])),
            ])
        }),
    );
    let org = make("ipam_organization", Box::new(|_| obj(&[])));
    let root = get(&org, "root_id");
    let unit = make(
        "ipam_organizational_unit",
        Box::new(move |x| obj(&[("name", s(&format!("unit {x}"))), ("parent_id", s(&root))])),
    );
    let unit_id = get(&unit, "id");
    let u = unit_id.clone();
    make(
        "ipam_organization_account",
        Box::new(move |x| {
            obj(&[
                ("account_id", s("333333333333")),
                ("name", s(&format!("account {x}"))),
                ("parent_id", s(&u)),
            ])
        }),
    );
    let arn = get(&pool, "arn");
    make(
        "ipam_resource_share",
        Box::new(move |x| {
            obj(&[
                ("name", s(&format!("share {x}"))),
                ("resource_arns", strings(&[&arn])),
                ("principals", strings(&[&unit_id])),
            ])
        }),
    );

    let expected: BTreeMap<&str, Vec<&str>> = [
        ("ipam", vec!["tags", "tags_all"]),
        ("ipam_scope", vec!["description"]),
        ("ipam_pool", vec!["description"]),
        ("ipam_vpc_allocation", vec!["description"]),
        ("ipam_pool_cidr_allocation", vec!["tags", "tags_all"]),
        ("ipam_resource_discovery", vec!["description"]),
        (
            "ipam_resource_discovery_association",
            vec!["tags", "tags_all"],
        ),
        ("ipam_organizational_unit", vec!["name"]),
        ("ipam_organization_account", vec!["name"]),
        ("ipam_resource_share", vec!["name"]),
    ]
    .into_iter()
    .collect();
    let mut seen = BTreeMap::new();
    for (ty, state, config) in &made {
        // The state a refresh reads, as Terraform plans from it.
        let prior = tf.read(ty, state).unwrap().expect("still there");
        let planned = tf
            .plan(ty, &prior, &config("two"))
            .unwrap_or_else(|d| panic!("plan {ty}: {d:#?}"));
        assert!(planned.replace.is_empty(), "{ty}: {:?}", planned.replace);
        let changes = changed(&prior, &planned.state);
        if changes.is_empty() {
            // A no-op (the organization has nothing to change): Terraform applies nothing.
            continue;
        }
        seen.insert(*ty, changes);
        if *ty == "ipam" {
            assert_eq!(
                planned.state.get("tags_all"),
                Some(&tags(&[("team", "two")]))
            );
        }
        let applied = tf.apply(ty, &prior, &planned, &config("two")).unwrap();
        tf.assert_no_changes(ty, &applied, &config("two"));
    }
    let seen: BTreeMap<&str, Vec<&str>> = seen
        .iter()
        .map(|(k, v)| (*k, v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(seen, expected);
}
