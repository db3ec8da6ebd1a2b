//! `ipam_pool` and `ipam_pool_cidr`: their lifecycle, the pool rules checked at plan (locale,
//! family, netmask limits), and the pool CIDR checks on `cidr` (overlap, family, the parent's
//! rules), with a CIDR's destroy refused while allocations live in it.

use crate::harness::*;
use tfplug::Value;

#[test]
fn pool_lifecycle() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create(
        "ipam",
        &obj(&[("operating_regions", regions(&["us-east-1"]))]),
    );
    let scope = get(&ipam, "private_default_scope_id");
    let config = |description: &str, default: i64| {
        obj(&[
            ("ipam_scope_id", s(&scope)),
            ("address_family", s("ipv4")),
            ("locale", s("us-east-1")),
            ("description", s(description)),
            ("allocation_min_netmask_length", n(16)),
            ("allocation_max_netmask_length", n(28)),
            ("allocation_default_netmask_length", n(default)),
            ("tags", tags(&[("env", "test")])),
        ])
    };
    let state = tf.create("ipam_pool", &config("top", 20));
    let id = get(&state, "id");
    assert!(is_id(&id, "ipam-pool"), "{id}");
    assert_eq!(
        get(&state, "arn"),
        format!("arn:aws:ec2::{ACCOUNT}:ipam-pool/{id}")
    );
    assert_eq!(get(&state, "ipam_id"), get(&ipam, "id"));
    assert_eq!(get(&state, "ipam_scope_type"), "private");
    assert_eq!(num(&state, "pool_depth"), 1);
    assert_eq!(get(&state, "state"), "create-complete");
    assert_eq!(get(&state, "owner_id"), ACCOUNT);
    assert_eq!(state.get("tags_all"), Some(&tags(&[("env", "test")])));
    tf.assert_no_changes("ipam_pool", &state, &config("top", 20));

    // Description and guardrails change in place.
    let state = tf.update("ipam_pool", &state, &config("top v2", 22));
    assert_eq!(num(&state, "allocation_default_netmask_length"), 22);
    assert_eq!(get(&state, "id"), id);
    tf.assert_no_changes("ipam_pool", &state, &config("top v2", 22));
    let stored = db.store().get_pool(&id).unwrap().expect("the pool");
    assert_eq!(stored.description.as_deref(), Some("top v2"));

    db.provider()
        .assert_imports("ipam_pool", &id, &state, &config("top v2", 22));

    // Another family replaces the pool.
    let mut v6 = config("top v2", 22);
    v6.set_attr("address_family", s("ipv6"));
    let planned = tf.plan("ipam_pool", &state, &v6).unwrap();
    assert_eq!(planned.replace, ["address_family"]);

    tf.destroy("ipam_pool", &state);
}

#[test]
fn pool_cidr_lifecycle() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let config = obj(&[("ipam_pool_id", s(&p.top)), ("cidr", s("172.16.0.0/12"))]);
    let state = tf.create("ipam_pool_cidr", &config);
    assert_eq!(get(&state, "id"), format!("172.16.0.0/12_{}", p.top));
    assert!(is_id(&get(&state, "ipam_pool_cidr_id"), "ipam-pool-cidr"));
    assert_eq!(num(&state, "netmask_length"), 12);
    tf.assert_no_changes("ipam_pool_cidr", &state, &config);
    db.provider()
        .assert_imports("ipam_pool_cidr", &get(&state, "id"), &state, &config);

    // A child pool's CIDR by netmask length: allocated from its parent, lowest free first
    // (the production pool holds 10.1.0.0/16).
    let by_length = obj(&[("ipam_pool_id", s(&p.prod)), ("netmask_length", n(16))]);
    let child = tf.create("ipam_pool_cidr", &by_length);
    assert_eq!(get(&child, "cidr"), "10.0.0.0/16");
    tf.assert_no_changes("ipam_pool_cidr", &child, &by_length);

    // Another block is a replacement.
    let other = obj(&[("ipam_pool_id", s(&p.top)), ("cidr", s("172.16.0.0/16"))]);
    assert_eq!(
        tf.plan("ipam_pool_cidr", &state, &other).unwrap().replace,
        ["cidr"]
    );

    tf.destroy("ipam_pool_cidr", &child);
    tf.destroy("ipam_pool_cidr", &state);
    let cidrs = db.store().pool_cidrs(&p.top).unwrap();
    let cidrs: Vec<String> = cidrs.iter().map(|c| c.cidr.to_string()).collect();
    assert_eq!(cidrs, ["10.0.0.0/8"]);
}

#[test]
fn pool_rules_are_refused_at_plan_on_the_attribute() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let before = db.last_audit_seq();
    let pool = |extra: &[(&str, Value)]| {
        let mut v = obj(&[
            ("ipam_scope_id", s(&p.scope)),
            ("address_family", s("ipv4")),
        ]);
        for (k, x) in extra {
            v.set_attr(k, x.clone());
        }
        v
    };
    let refused = |config: Value| tf.plan("ipam_pool", &Value::Null, &config).unwrap_err();
    refused(pool(&[("locale", s("ap-south-1"))])).error_on(
        "locale",
        &[
            "locale \"ap-south-1\" is not an operating region",
            "(eu-west-1, us-east-1)",
        ],
    );
    refused(pool(&[
        ("source_ipam_pool_id", s(&p.prod)),
        ("locale", s("eu-west-1")),
    ]))
    .error_on(
        "locale",
        &["has locale \"us-east-1\"; a child pool's locale must be the same"],
    );
    refused(pool(&[
        ("source_ipam_pool_id", s(&p.prod)),
        ("locale", s("us-east-1")),
        ("address_family", s("ipv6")),
    ]))
    .error_on(
        "address_family",
        &["a child pool must have the same address_family"],
    );
    refused(pool(&[("address_family", s("ipv5"))]))
        .error_on("address_family", &["\"ipv5\" is not an address family"]);
    refused(pool(&[
        ("allocation_min_netmask_length", n(16)),
        ("allocation_max_netmask_length", n(20)),
        ("allocation_default_netmask_length", n(24)),
    ]))
    .error_on(
        "allocation_default_netmask_length",
        &["(24) must lie between"],
    );
    refused(pool(&[
        ("allocation_min_netmask_length", n(24)),
        ("allocation_max_netmask_length", n(16)),
    ]))
    .error_on(
        "allocation_min_netmask_length",
        &[
            "allocation_min_netmask_length (24) is greater than allocation_max_netmask_length (16)",
            "did you mean min = 16, max = 24?",
        ],
    );
    // The platform's pools are all there is.
    let pools = db.store().find_pools(None, &[], None).unwrap();
    assert_eq!(pools.len(), 2);
    assert_eq!(
        db.last_audit_seq(),
        before,
        "a refused plan wrote to the database"
    );
}

#[test]
fn pool_cidr_checks_run_at_plan_on_cidr() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let cidr = |pool: &str, c: &str| obj(&[("ipam_pool_id", s(pool)), ("cidr", s(c))]);
    let refused = |config: Value| {
        tf.plan("ipam_pool_cidr", &Value::Null, &config)
            .unwrap_err()
    };
    refused(cidr(&p.top, "10.128.0.0/9")).error_on("cidr", &["10.128.0.0/9 overlaps 10.0.0.0/8"]);
    refused(cidr(&p.top, "fd00::/48")).error_on(
        "cidr",
        &["fd00::/48 is an ipv6 block, but the pool holds ipv4 addresses"],
    );
    // Host bits set: validate says what was meant.
    tf.validate("ipam_pool_cidr", &cidr(&p.top, "11.0.0.1/8"))
        .error_on("cidr", &["did you mean 11.0.0.0/8?"]);
    tf.validate("ipam_pool_cidr", &cidr(&p.top, "011.0.0.0/8"))
        .error_on("cidr", &["write 11.0.0.0/8"]);
    // A CIDR of a child of the production pool must meet prod's rules (at most /24).
    let child = tf.create(
        "ipam_pool",
        &obj(&[
            ("ipam_scope_id", s(&p.scope)),
            ("address_family", s("ipv4")),
            ("source_ipam_pool_id", s(&p.prod)),
            ("locale", s("us-east-1")),
        ]),
    );
    refused(cidr(&get(&child, "id"), "10.1.0.0/25"))
        .error_on("cidr", &["a /25 is smaller than the pool allows"]);
}

#[test]
fn a_pool_cidr_holding_allocations_is_not_destroyed() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let alloc = tf.create(
        "ipam_vpc_allocation",
        &p.vpc(&[("description", s("payments"))]),
    );
    // A CIDR of the platform's whose destroy waits only a second for what it holds.
    let config = obj(&[
        ("ipam_pool_id", s(&p.top)),
        ("cidr", s("172.16.0.0/12")),
        ("timeouts", obj(&[("delete", s("1s"))])),
    ]);
    let extra = tf.create("ipam_pool_cidr", &config);
    tf.destroy("ipam_pool_cidr", &extra);
    let prod_cidr = tf
        .import("ipam_pool_cidr", &format!("10.1.0.0/16_{}", p.prod))
        .unwrap();
    let mut quick = prod_cidr.clone();
    quick.set_attr("timeouts", complete_timeouts(tf, "1s"));
    let d = tf.try_destroy("ipam_pool_cidr", &quick).unwrap_err();
    let e = d.0.iter().find(|d| d.error).unwrap();
    let text = format!("{} {}", e.summary, e.detail);
    for needle in [
        "10.1.0.0/16 still holds 1 allocation(s)",
        &get(&alloc, "id"),
        "10.1.0.0/20",
        "\"payments\"",
        "cascade = true",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert_eq!(
        db.store().pool_cidrs(&p.prod).unwrap().len(),
        1,
        "the CIDR is still there"
    );
}

fn complete_timeouts(tf: &Tf, delete: &str) -> Value {
    let schema = tf.schema("ipam_pool_cidr");
    let b = schema.blocks.iter().find(|b| b.name == "timeouts").unwrap();
    complete(&b.schema, &obj(&[("delete", s(delete))]))
}

/// Two new pool CIDRs of one plan (one provider instance) are checked together: overlapping
/// each other in one pool, or drawn from one parent, fails the second's plan naming the first;
/// two that fit plan and apply.
#[test]
fn new_pool_cidrs_of_one_plan_are_checked_together() {
    let db = Db::new();
    let p = Platform::new(&db);
    let cidr = |pool: &str, c: &str| obj(&[("ipam_pool_id", s(pool)), ("cidr", s(c))]);
    let run = db.provider();
    run.plan(
        "ipam_pool_cidr",
        &Value::Null,
        &cidr(&p.prod, "10.2.0.0/16"),
    )
    .unwrap();
    run.plan(
        "ipam_pool_cidr",
        &Value::Null,
        &cidr(&p.prod, "10.2.128.0/17"),
    )
    .unwrap_err()
    .error_on(
        "cidr",
        &[
            "another ipam_pool_cidr in this same plan, not yet applied",
            &format!("in {}", p.prod),
        ],
    );
    let run = db.provider();
    run.plan(
        "ipam_pool_cidr",
        &Value::Null,
        &cidr(&p.top, "172.16.0.0/12"),
    )
    .unwrap();
    run.plan(
        "ipam_pool_cidr",
        &Value::Null,
        &cidr(&p.top, "172.16.0.0/16"),
    )
    .unwrap_err()
    .error_on(
        "cidr",
        &["overlaps", "another ipam_pool_cidr in this same plan"],
    );
    let run = db.provider();
    let a = run
        .plan(
            "ipam_pool_cidr",
            &Value::Null,
            &cidr(&p.prod, "10.3.0.0/16"),
        )
        .unwrap();
    let b = run
        .plan(
            "ipam_pool_cidr",
            &Value::Null,
            &cidr(&p.prod, "10.4.0.0/16"),
        )
        .unwrap();
    run.apply(
        "ipam_pool_cidr",
        &Value::Null,
        &a,
        &cidr(&p.prod, "10.3.0.0/16"),
    )
    .unwrap();
    run.apply(
        "ipam_pool_cidr",
        &Value::Null,
        &b,
        &cidr(&p.prod, "10.4.0.0/16"),
    )
    .unwrap();
    assert_eq!(db.store().pool_cidrs(&p.prod).unwrap().len(), 3);
}

/// A CIDR of a pool created in the same plan (its id unknown) cannot be checked against that
/// pool, but an overlap with an existing pool's CIDR is a warning on `cidr` naming it; a CIDR
/// overlapping nothing plans without one.
#[test]
fn a_new_pools_cidr_overlapping_existing_pools_warns_at_plan() {
    let db = Db::new();
    let p = Platform::new(&db);
    let cidr = |c: &str| obj(&[("ipam_pool_id", Value::Unknown), ("cidr", s(c))]);
    let planned =
        p.tf.plan("ipam_pool_cidr", &Value::Null, &cidr("10.1.128.0/17"))
            .unwrap();
    let warnings = planned.diags.warnings();
    assert_eq!(warnings.len(), 1, "{:#?}", planned.diags);
    assert_eq!(warnings[0].path, "cidr");
    assert_eq!(
        warnings[0].summary,
        "The new pool's CIDR overlaps an existing pool's"
    );
    for needle in [
        format!(
            "10.1.128.0/17 overlaps 10.0.0.0/8 of pool {} (\"top\") in scope {}",
            p.top, p.scope
        ),
        format!("10.1.0.0/16 of pool {} (\"prod\")", p.prod),
    ] {
        assert!(
            warnings[0].detail.contains(&needle),
            "{needle:?} not in {warnings:#?}"
        );
    }
    let clean =
        p.tf.plan("ipam_pool_cidr", &Value::Null, &cidr("192.168.0.0/16"))
            .unwrap();
    assert!(clean.diags.0.is_empty(), "{:#?}", clean.diags);
}

/// A resource planning pool draws its space from a VPC allocation's CIDR; its allocations plan
/// the VPC's subnets, and a source that is not that VPC's is refused at plan.
#[test]
fn resource_planning_pool_plans_subnets_inside_the_vpc() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create(
        "ipam",
        &obj(&[("operating_regions", regions(&["us-east-1"]))]),
    );
    let scope = get(&ipam, "private_default_scope_id");
    let vpcs = tf.create(
        "ipam_pool",
        &obj(&[
            ("address_family", s("ipv4")),
            ("ipam_scope_id", s(&scope)),
            ("locale", s("us-east-1")),
        ]),
    );
    let vpcs = get(&vpcs, "id");
    tf.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&vpcs)), ("cidr", s("10.0.0.0/16"))]),
    );
    let vpc = tf.create(
        "ipam_vpc_allocation",
        &obj(&[("ipam_pool_id", s(&vpcs)), ("netmask_length", n(24))]),
    );
    assert_eq!(get(&vpc, "cidr"), "10.0.0.0/24");
    let planning = |owner: &str, id: &str| {
        obj(&[
            ("address_family", s("ipv4")),
            ("ipam_scope_id", s(&scope)),
            ("locale", s("us-east-1")),
            ("source_ipam_pool_id", s(&vpcs)),
            (
                "source_resource",
                Value::list([obj(&[
                    ("resource_id", s(id)),
                    ("resource_owner", s(owner)),
                    ("resource_region", s("us-east-1")),
                    ("resource_type", s("vpc")),
                ])]),
            ),
        ])
    };
    let vpc_id = get(&vpc, "vpc_id");
    let config = planning(ACCOUNT, &vpc_id);
    let pool = tf.create("ipam_pool", &config);
    tf.assert_no_changes("ipam_pool", &pool, &config);
    let pool_id = get(&pool, "id");
    let subnet = obj(&[("ipam_pool_id", s(&pool_id)), ("netmask_length", n(26))]);
    let a = tf.create("ipam_pool_cidr_allocation", &subnet);
    let b = tf.create("ipam_pool_cidr_allocation", &subnet);
    assert_eq!(
        [get(&a, "cidr"), get(&b, "cidr")],
        ["10.0.0.0/26", "10.0.0.64/26"]
    );

    let refused = |config: Value| tf.plan("ipam_pool", &Value::Null, &config).unwrap_err();
    refused(planning("222222222222", &vpc_id)).error_on(
        "source_resource",
        &[&format!("set resource_owner to {ACCOUNT}")],
    );
    refused(planning(ACCOUNT, "vpc-00000000000000000")).error_on(
        "source_resource",
        &["no VPC with id \"vpc-00000000000000000\""],
    );
    tf.plan(
        "ipam_pool_cidr",
        &Value::Null,
        &obj(&[("ipam_pool_id", s(&pool_id)), ("cidr", s("10.0.0.0/24"))]),
    )
    .unwrap_err()
    .error_on(
        "ipam_pool_id",
        &[
            "is a resource planning pool",
            "ipam_pool_cidr_allocation instead",
        ],
    );
    // The VPC cannot go while a pool plans its subnets.
    let d = tf.try_destroy("ipam_vpc_allocation", &vpc).unwrap_err();
    d.error_on(
        "",
        &[&format!(
            "the VPC {vpc_id} is the source resource of the pool(s)"
        )],
    );
    tf.destroy("ipam_pool_cidr_allocation", &a);
    tf.destroy("ipam_pool_cidr_allocation", &b);
    tf.destroy("ipam_pool", &pool);
    tf.destroy("ipam_vpc_allocation", &vpc);
}

/// A database this process may only read still plans a new pool CIDR: the check, which writes
/// what it checks and rolls it back, cannot run, so the plan says the check waits for apply
/// instead of failing.
#[test]
fn a_read_only_database_still_plans_a_pool_cidr() {
    if crate::pg::skip_on_postgres(
        "a_read_only_database_still_plans_a_pool_cidr",
        "a read-only SQLite file is what it tests",
    ) {
        return;
    }
    let db = Db::new();
    let p = Platform::new(&db);
    let before = db.last_audit_seq();
    let top = p.top.clone();
    drop(p);
    let file = std::path::Path::new(&db.location);
    let mut perms = std::fs::metadata(file).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(file, perms).unwrap();
    let tf = db.provider();
    let planned = tf
        .plan(
            "ipam_pool_cidr",
            &Value::Null,
            &obj(&[("ipam_pool_id", s(&top)), ("cidr", s("11.0.0.0/8"))]),
        )
        .expect("a read-only database plans");
    let warning = planned.diags.warnings();
    assert!(
        warning
            .iter()
            .any(|d| d.summary == "The new CIDR is checked at apply"),
        "{:#?}",
        planned.diags
    );
    assert_eq!(db.last_audit_seq(), before, "the plan wrote nothing");
}
