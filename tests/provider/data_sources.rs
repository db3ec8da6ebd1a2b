//! Every data source through ReadDataSource, on the platform with three allocations: its main
//! answer, and the refusals of a query that matches nothing or is out of range.

use crate::harness::*;
use tfplug::Value;

fn filter(name: &str, values: &[&str]) -> Value {
    Value::list([obj(&[
        ("name", s(name)),
        ("values", Value::set(values.iter().map(|v| s(v)))),
    ])])
}

/// The platform and, in its production pool, a /20 described "first", a /24 and a named /20.
fn populated(db: &Db) -> Platform {
    let p = Platform::new(db);
    p.tf.create(
        "ipam_vpc_allocation",
        &p.vpc(&[("description", s("first"))]),
    );
    p.tf.create("ipam_vpc_allocation", &p.vpc(&[("netmask_length", n(24))]));
    p.tf.create("ipam_vpc_allocation", &p.vpc(&[("name", s("held"))]));
    p
}

fn number(v: &Value, name: &str) -> u128 {
    v.get(name)
        .and_then(Value::as_number)
        .and_then(|n| n.to_u128())
        .unwrap_or_else(|| panic!("no number {name} in {v:?}"))
}

#[test]
fn utilization_counts_and_warns() {
    let db = Db::new();
    let p = populated(&db);
    let (u, diags) =
        p.tf.data(
            "ipam_utilization",
            &obj(&[("ipam_pool_id", s(&p.prod)), ("warn_at_percent", n(5))]),
        )
        .unwrap();
    assert_eq!(get(&u, "address_family"), "ipv4");
    assert_eq!(number(&u, "total_addresses"), 65536);
    assert_eq!(number(&u, "allocated_addresses"), 4096 + 256 + 4096);
    assert_eq!(number(&u, "available_addresses"), 65536 - 4096 - 256 - 4096);
    assert_eq!(number(&u, "allocation_count"), 3);
    assert_eq!(number(&u, "largest_free_netmask_length"), 17);
    let cidrs = u.get("cidrs").and_then(Value::as_list).unwrap();
    assert_eq!(get(&cidrs[0], "cidr"), "10.1.0.0/16");
    let blocks = u.get("available_blocks").and_then(Value::as_map).unwrap();
    assert_eq!(blocks["16"].as_number().and_then(|n| n.to_i64()), Some(0));
    assert_eq!(
        blocks["24"].as_number().and_then(|n| n.to_i64()),
        Some(256 - 16 - 16 - 1)
    );
    let warnings = diags.warnings();
    assert_eq!(warnings.len(), 1, "{diags:#?}");
    assert!(
        warnings[0].summary.contains("Utilization above threshold"),
        "{diags:#?}"
    );

    // The scope's total holds the top pool's /8.
    let (scope, _) =
        p.tf.data("ipam_utilization", &obj(&[("ipam_scope_id", s(&p.scope))]))
            .unwrap();
    assert_eq!(number(&scope, "total_addresses"), 1 << 24);
    // Exactly one of the three, and a percentage.
    p.tf.data(
        "ipam_utilization",
        &obj(&[("ipam_pool_id", s(&p.prod)), ("ipam_scope_id", s(&p.scope))]),
    )
    .unwrap_err();
    p.tf.data(
        "ipam_utilization",
        &obj(&[("ipam_pool_id", s(&p.prod)), ("warn_at_percent", n(150))]),
    )
    .unwrap_err()
    .error_on(
        "warn_at_percent",
        &["150 is not a percentage: use a number from 0 to 100"],
    );
}

#[test]
fn utilization_of_ipv6_is_exact() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create("ipam", &obj(&[]));
    let pool = tf.create(
        "ipam_pool",
        &obj(&[
            ("ipam_scope_id", s(&get(&ipam, "public_default_scope_id"))),
            ("address_family", s("ipv6")),
            ("aws_service", s("ec2")),
            ("allocation_default_netmask_length", n(56)),
        ]),
    );
    let pool = get(&pool, "id");
    tf.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&pool)), ("netmask_length", n(40))]),
    );
    let a = tf.create("ipam_vpc_allocation", &obj(&[("ipam_pool_id", s(&pool))]));
    assert_eq!(get(&a, "cidr"), "2001:db8::/56");
    let (u, _) = tf
        .data("ipam_utilization", &obj(&[("ipam_pool_id", s(&pool))]))
        .unwrap();
    assert_eq!(number(&u, "total_addresses"), 1 << 88);
    assert_eq!(number(&u, "allocated_addresses"), 1 << 72);
}

#[test]
fn pool_by_filter_and_by_id() {
    let db = Db::new();
    let p = populated(&db);
    let (pool, _) =
        p.tf.data(
            "ipam_pool",
            &obj(&[("filter", filter("description", &["prod"]))]),
        )
        .unwrap();
    assert_eq!(get(&pool, "id"), p.prod);
    assert_eq!(pool.get("cidrs"), Some(&Value::list([s("10.1.0.0/16")])));
    assert_eq!(num(&pool, "allocation_default_netmask_length"), 20);
    let (by_id, _) =
        p.tf.data("ipam_pool", &obj(&[("ipam_pool_id", s(&p.top))]))
            .unwrap();
    assert_eq!(get(&by_id, "description"), "top");
    let d =
        p.tf.data(
            "ipam_pool",
            &obj(&[("filter", filter("tag:team", &["nobody"]))]),
        )
        .unwrap_err();
    assert!(
        d.0.iter().any(|d| format!("{} {}", d.summary, d.detail)
            .contains("No IPAM pool in this database matches")),
        "{d:#?}"
    );
}

#[test]
fn pool_allocations_in_address_order() {
    let db = Db::new();
    let p = populated(&db);
    let (v, _) =
        p.tf.data(
            "ipam_pool_allocations",
            &obj(&[("ipam_pool_id", s(&p.prod))]),
        )
        .unwrap();
    let allocs = v.get("allocations").and_then(Value::as_list).unwrap();
    let cidrs: Vec<String> = allocs.iter().map(|a| get(a, "cidr")).collect();
    assert_eq!(cidrs, ["10.1.0.0/20", "10.1.16.0/24", "10.1.32.0/20"]);
    let first = allocs
        .iter()
        .find(|a| a.get("description") == Some(&s("first")))
        .expect("the described allocation");
    assert_eq!(get(first, "resource_type"), "vpc");
    assert!(get(first, "resource_id").starts_with("vpc-"));
    assert_eq!(get(first, "owner_id"), ACCOUNT);
}

#[test]
fn preview_next_cidr_skips_disallowed_blocks_and_reserves_nothing() {
    let db = Db::new();
    let p = populated(&db);
    let config = obj(&[
        ("ipam_pool_id", s(&p.prod)),
        ("netmask_length", n(24)),
        ("disallowed_cidrs", strings(&["10.1.17.0/24"])),
    ]);
    let (v, _) = p.tf.data("ipam_preview_next_cidr", &config).unwrap();
    assert_eq!(
        get(&v, "cidr"),
        "10.1.18.0/24",
        "10.1.17.0/24 is disallowed"
    );
    let (again, _) = p.tf.data("ipam_preview_next_cidr", &config).unwrap();
    assert_eq!(
        get(&again, "cidr"),
        "10.1.18.0/24",
        "the first answer reserved nothing"
    );
    let d =
        p.tf.data(
            "ipam_preview_next_cidr",
            &obj(&[("ipam_pool_id", s(&p.prod)), ("netmask_length", n(40))]),
        )
        .unwrap_err();
    d.error_on(
        "netmask_length",
        &["netmask length 40 is out of range for ipv4"],
    );
}

#[test]
fn ipam_ipams_pools_and_pool_cidrs() {
    let db = Db::new();
    let p = populated(&db);
    let ipam_id = get(&p.ipam, "id");
    let (ipam, _) = p.tf.data("ipam", &obj(&[("id", s(&ipam_id))])).unwrap();
    assert_eq!(get(&ipam, "private_default_scope_id"), p.scope);
    assert_eq!(num(&ipam, "scope_count"), 2);

    let (ipams, _) = p.tf.data("ipam_ipams", &obj(&[])).unwrap();
    let ids: Vec<String> = ipams
        .get("ipams")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .map(|i| get(i, "id"))
        .collect();
    assert_eq!(ids, [ipam_id]);

    let (pools, _) =
        p.tf.data(
            "ipam_pools",
            &obj(&[("filter", filter("ipam-scope-id", &[&p.scope]))]),
        )
        .unwrap();
    let mut ids: Vec<String> = pools
        .get("ipam_pools")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .map(|i| get(i, "id"))
        .collect();
    ids.sort();
    let mut want = vec![p.top.clone(), p.prod.clone()];
    want.sort();
    assert_eq!(ids, want);
    p.tf.data(
        "ipam_pools",
        &obj(&[("filter", filter("colour", &["red"]))]),
    )
    .unwrap_err()
    .error_on("filter", &["\"colour\" is not a filter name here"]);

    let (cidrs, _) =
        p.tf.data("ipam_pool_cidrs", &obj(&[("ipam_pool_id", s(&p.top))]))
            .unwrap();
    let list = cidrs
        .get("ipam_pool_cidrs")
        .and_then(Value::as_list)
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(get(&list[0], "cidr"), "10.0.0.0/8");
    assert_eq!(get(&list[0], "state"), "provisioned");
}

/// What every data source shares: without a configured store each refuses with the same
/// error, and one with the AWS-style `region` refuses another region on `region` and accepts
/// the provider's own.
#[test]
fn every_data_source_refuses_an_unconfigured_provider_and_another_region() {
    let db = Db::new();
    let p = populated(&db);
    let pool = s(&p.prod);
    let with_region = [
        ("ipam", obj(&[("id", s(&get(&p.ipam, "id")))])),
        ("ipam_ipams", obj(&[])),
        ("ipam_pool", obj(&[("id", pool.clone())])),
        ("ipam_pools", obj(&[])),
        ("ipam_pool_cidrs", obj(&[("ipam_pool_id", pool.clone())])),
        (
            "ipam_preview_next_cidr",
            obj(&[("ipam_pool_id", pool.clone())]),
        ),
    ];
    for (name, config) in &with_region {
        let mut other = config.clone();
        other.set_attr("region", s("eu-west-1"));
        let d = p.tf.data(name, &other).unwrap_err();
        let e = d.error_on(
            "region",
            &["region is \"eu-west-1\", but this provider block serves \"us-east-1\""],
        );
        assert_eq!(e.summary, "Region differs from the provider's", "{name}");
        assert_eq!(d.0.iter().filter(|d| d.error).count(), 1, "{name}: {d:#?}");
        let mut own = config.clone();
        own.set_attr("region", s(REGION));
        p.tf.data(name, &own)
            .unwrap_or_else(|d| panic!("{name} in its own region: {d:#?}"));
    }
    let without_region = [
        ("ipam_utilization", obj(&[("ipam_pool_id", pool.clone())])),
        ("ipam_pool_allocations", obj(&[("ipam_pool_id", pool)])),
        (
            "ipam_discovered_resource_cidrs",
            obj(&[(
                "ipam_resource_discovery_id",
                s("ipam-res-disc-00000000000000000"),
            )]),
        ),
    ];
    let unconfigured = Tf::new();
    for (name, config) in with_region.iter().chain(&without_region) {
        let d = unconfigured.data(name, config).unwrap_err();
        let e = d.error_on("", &["could not open its database"]);
        assert_eq!(e.summary, "Provider not configured", "{name}");
        assert_eq!(d.0.len(), 1, "{name}: {d:#?}");
    }
}
