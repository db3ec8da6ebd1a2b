//! `ipam_vpc_allocation` (unnamed and named), `ipam_pool_cidr_allocation` and the
//! `ipam_preview_next_cidr` resource: their lifecycle, and every refusal of a request a pool
//! cannot serve, on the attribute at fault and naming what conflicts.

use crate::harness::*;
use tfplug::Value;

#[test]
fn vpc_allocation_lifecycle() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let config = |d: &str| {
        p.vpc(&[
            ("description", s(d)),
            ("disallowed_cidrs", strings(&["10.1.0.0/24"])),
        ])
    };
    let state = tf.create("ipam_vpc_allocation", &config("app"));
    assert_eq!(
        get(&state, "cidr"),
        "10.1.16.0/20",
        "the first /20 holds a disallowed block"
    );
    assert_eq!(num(&state, "netmask_length"), 20);
    let id = get(&state, "id");
    assert!(is_id(&id, "ipam-pool-alloc"), "{id}");
    assert!(is_id(&get(&state, "vpc_id"), "vpc"));
    assert_eq!(get(&state, "owner_id"), ACCOUNT);
    assert_eq!(get(&state, "region"), REGION);
    tf.assert_no_changes("ipam_vpc_allocation", &state, &config("app"));

    let state = tf.update("ipam_vpc_allocation", &state, &config("app v2"));
    assert_eq!(
        get(&state, "cidr"),
        "10.1.16.0/20",
        "an update keeps the block"
    );
    tf.assert_no_changes("ipam_vpc_allocation", &state, &config("app v2"));
    let stored = db.store().get_allocation(&id).unwrap().expect("stored");
    assert_eq!(stored.description.as_deref(), Some("app v2"));

    // Another netmask is a new block: a replacement.
    let planned = tf
        .plan("ipam_vpc_allocation", &state, &{
            let mut c = config("app v2");
            c.set_attr("netmask_length", n(22));
            c
        })
        .unwrap();
    assert_eq!(planned.replace, ["netmask_length"]);

    db.provider()
        .assert_imports("ipam_vpc_allocation", &id, &state, &config("app v2"));

    tf.destroy("ipam_vpc_allocation", &state);
    assert!(
        db.store().get_allocation(&id).unwrap().is_none(),
        "released"
    );
}

#[test]
fn an_allocation_released_elsewhere_is_gone_on_refresh() {
    let db = Db::new();
    let p = Platform::new(&db);
    let state = p.tf.create("ipam_vpc_allocation", &p.vpc(&[]));
    db.store()
        .release(&actor(ACCOUNT), &get(&state, "id"))
        .unwrap();
    assert_eq!(p.tf.read("ipam_vpc_allocation", &state).unwrap(), None);
}

#[test]
fn a_named_allocation_is_known_at_plan_and_the_same_in_every_plan() {
    let db = Db::new();
    let p = Platform::new(&db);
    let config = p.vpc(&[("name", s("payments"))]);
    let first =
        p.tf.plan("ipam_vpc_allocation", &Value::Null, &config)
            .unwrap();
    let cidr = get(&first.state, "cidr");
    assert_eq!(cidr, "10.1.0.0/20");
    // Another run (another provider instance) plans the same block for the same name.
    let again = db
        .provider()
        .plan("ipam_vpc_allocation", &Value::Null, &config)
        .unwrap();
    assert_eq!(get(&again.state, "cidr"), cidr);
    // Meanwhile an unnamed allocation does not get the reserved block.
    let other = db.provider().create("ipam_vpc_allocation", &p.vpc(&[]));
    assert_ne!(get(&other, "cidr"), cidr);
    let state =
        p.tf.apply("ipam_vpc_allocation", &Value::Null, &first, &config)
            .unwrap();
    assert_eq!(
        get(&state, "cidr"),
        cidr,
        "apply allocates the planned block"
    );
    p.tf.assert_no_changes("ipam_vpc_allocation", &state, &config);
    // The name is taken now: another configuration with it fails at plan, on name.
    db.provider()
        .plan("ipam_vpc_allocation", &Value::Null, &config)
        .unwrap_err()
        .error_on(
            "name",
            &["the name \"payments\" is already used in the pool"],
        );
    p.tf.destroy("ipam_vpc_allocation", &state);
}

#[test]
fn malformed_requests_are_refused_on_their_attribute() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let before = db.last_audit_seq();
    let refused = |extra: &[(&str, Value)]| {
        tf.plan("ipam_vpc_allocation", &Value::Null, &p.vpc(extra))
            .unwrap_err()
    };
    refused(&[("cidr", s("10.1.2.3/24"))]).error_on(
        "cidr",
        &["10.1.2.3/24 has host bits set; did you mean 10.1.2.0/24?"],
    );
    refused(&[("cidr", s("010.1.1.0/24"))]).error_on(
        "cidr",
        &["\"010.1.1.0/24\" is ambiguous", "write 10.1.1.0/24"],
    );
    refused(&[("cidr", s(" 10.1.1.0/24"))])
        .error_on("cidr", &["spaces around it", "write 10.1.1.0/24"]);
    let d = refused(&[("disallowed_cidrs", strings(&["010.1.0.0/20"]))]);
    let e = d.error_with(&["write 10.1.0.0/20"]);
    assert!(e.path.starts_with("disallowed_cidrs"), "{d:#?}");
    refused(&[("netmask_length", n(129))])
        .error_on("netmask_length", &["129 is not a prefix length"]);
    refused(&[("netmask_length", n(26))]).error_on(
        "netmask_length",
        &[
            "a /26 is smaller than the pool allows",
            "allocation_max_netmask_length is 24",
        ],
    );
    refused(&[("cidr", s("10.1.0.0/26"))]).error_on(
        "cidr",
        &[
            "a /26 is smaller than the pool allows",
            "ask for a /24 or larger",
        ],
    );
    refused(&[("netmask_length", n(33))]).error_on(
        "netmask_length",
        &["netmask length 33 is out of range for ipv4: use 0 to 32"],
    );
    refused(&[("cidr", s("2001:db8::/56"))]).error_on(
        "cidr",
        &["2001:db8::/56 is an ipv6 block, but the pool holds ipv4 addresses"],
    );
    refused(&[("cidr", s("10.2.0.0/20"))]).error_on(
        "cidr",
        &["10.2.0.0/20 is not inside the pool", "10.1.0.0/16"],
    );
    refused(&[("ipam_pool_id", s("ipam-pool-0123456789abcdef0"))]).error_on(
        "ipam_pool_id",
        &["no IPAM pool with id \"ipam-pool-0123456789abcdef0\""],
    );
    refused(&[("tags", tags(&[("team", "a")]))]).error_on(
        "tags",
        &[
            "requires the allocation tags environment = \"production\"",
            "Add tags = { environment = \"production\" }",
        ],
    );
    let d = refused(&[("disallowed_cidrs", strings(&["10.1.0.0/33"]))]);
    let e = d.0.iter().find(|d| d.error).unwrap();
    assert!(e.path.starts_with("disallowed_cidrs"), "{d:#?}");
    assert!(e.detail.contains("is not a CIDR block"), "{d:#?}");
    // On the resource as a whole today, not on cidr (see the report of issue #23).
    refused(&[
        ("cidr", s("10.1.0.0/20")),
        ("disallowed_cidrs", strings(&["10.1.0.0/16"])),
    ])
    .error_with(&["10.1.0.0/20 overlaps the disallowed CIDR 10.1.0.0/16"]);
    // Nothing was allocated or written by any of them.
    assert!(db.store().list_allocations(&p.prod).unwrap().is_empty());
    assert_eq!(
        db.last_audit_seq(),
        before,
        "a refused plan wrote to the database"
    );
}

#[test]
fn an_overlap_names_the_conflicting_allocation() {
    let db = Db::new();
    let p = Platform::new(&db);
    let first = db.provider().create(
        "ipam_vpc_allocation",
        &p.vpc(&[("cidr", s("10.1.4.0/22")), ("description", s("payments"))]),
    );
    p.tf.plan(
        "ipam_vpc_allocation",
        &Value::Null,
        &p.vpc(&[("cidr", s("10.1.0.0/20"))]),
    )
    .unwrap_err()
    .error_on(
        "cidr",
        &[
            "10.1.0.0/20 overlaps the allocation 10.1.4.0/22",
            &get(&first, "id"),
            "\"payments\"",
            "the lowest free /20 is 10.1.16.0/20",
        ],
    );
}

#[test]
fn a_plan_the_pool_cannot_hold_fails_before_apply() {
    let db = Db::new();
    let p = Platform::new(&db);
    // The /16 holds sixteen /20s: one plan (one provider instance) of seventeen fails on the
    // seventeenth, counting the sixteen pending before it.
    let run = db.provider();
    for i in 0..16 {
        run.plan("ipam_vpc_allocation", &Value::Null, &p.vpc(&[]))
            .unwrap_or_else(|d| panic!("allocation {i}: {d:#?}"));
    }
    run.plan("ipam_vpc_allocation", &Value::Null, &p.vpc(&[]))
        .unwrap_err()
        .error_on(
            "netmask_length",
            &[
                "has room for 16 of the 17 new allocations from it in this plan",
                "the largest free blocks are: 10.1.0.0/16",
            ],
        );
    // Sixteen applied fill it; a seventeenth then says it is full.
    for _ in 0..16 {
        p.tf.create("ipam_vpc_allocation", &p.vpc(&[]));
    }
    db.provider()
        .plan("ipam_vpc_allocation", &Value::Null, &p.vpc(&[]))
        .unwrap_err()
        .error_on(
            "netmask_length",
            &["has no free /20; it has no free space left"],
        );
}

#[test]
fn a_pool_of_another_region_cannot_serve_this_provider() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create(
        "ipam",
        &obj(&[("operating_regions", regions(&["us-east-1", "eu-west-1"]))]),
    );
    let mut config = prod_pool(&get(&ipam, "private_default_scope_id"), "");
    config.set_attr("source_ipam_pool_id", Value::Null);
    config.set_attr("locale", s("eu-west-1"));
    let pool = get(&tf.create("ipam_pool", &config), "id");
    tf.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&pool)), ("cidr", s("10.1.0.0/16"))]),
    );
    tf.plan(
        "ipam_vpc_allocation",
        &Value::Null,
        &obj(&[("ipam_pool_id", s(&pool)), ("tags", tags(PROD_TAGS))]),
    )
    .unwrap_err()
    .error_on(
        "ipam_pool_id",
        &["has locale \"eu-west-1\", but this provider allocates for the region \"us-east-1\""],
    );
}

#[test]
fn pool_cidr_allocation_lifecycle() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let config = |t: &str| {
        obj(&[
            ("ipam_pool_id", s(&p.top)),
            ("netmask_length", n(24)),
            ("tags", tags(&[("n", t)])),
        ])
    };
    let state = tf.create("ipam_pool_cidr_allocation", &config("one"));
    let alloc = get(&state, "ipam_pool_allocation_id");
    assert_eq!(get(&state, "id"), format!("{alloc}_{}", p.top));
    assert_eq!(get(&state, "resource_type"), "custom");
    assert_eq!(get(&state, "resource_owner"), ACCOUNT);
    // 10.0.0.0/8 holds the production pool's 10.1.0.0/16: the lowest free /24 is below it.
    assert_eq!(get(&state, "cidr"), "10.0.0.0/24");
    assert_eq!(state.get("tags_all"), Some(&tags(&[("n", "one")])));
    tf.assert_no_changes("ipam_pool_cidr_allocation", &state, &config("one"));

    let state = tf.update("ipam_pool_cidr_allocation", &state, &config("two"));
    assert_eq!(state.get("tags_all"), Some(&tags(&[("n", "two")])));
    tf.assert_no_changes("ipam_pool_cidr_allocation", &state, &config("two"));
    db.provider().assert_imports(
        "ipam_pool_cidr_allocation",
        &get(&state, "id"),
        &state,
        &config("two"),
    );
    // An id in another shape says which.
    let d = db
        .provider()
        .import("ipam_pool_cidr_allocation", &alloc)
        .unwrap_err();
    assert!(
        d.0.iter().any(|d| format!("{} {}", d.summary, d.detail)
            .contains("<ipam_pool_allocation_id>_<ipam_pool_id>")),
        "{d:#?}"
    );
    tf.destroy("ipam_pool_cidr_allocation", &state);
    assert!(db.store().get_allocation(&alloc).unwrap().is_none());
}

#[test]
fn preview_next_cidr_resource_keeps_its_first_answer() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let config = obj(&[
        ("ipam_pool_id", s(&p.prod)),
        ("netmask_length", n(24)),
        ("disallowed_cidrs", strings(&["10.1.0.0/24"])),
    ]);
    let state = tf.create("ipam_preview_next_cidr", &config);
    assert_eq!(get(&state, "cidr"), "10.1.1.0/24");
    // It reserves nothing: an allocation may take the block, and the preview keeps its answer.
    let taken = tf.create("ipam_vpc_allocation", &p.vpc(&[("cidr", s("10.1.0.0/20"))]));
    assert_eq!(get(&taken, "cidr"), "10.1.0.0/20");
    tf.assert_no_changes("ipam_preview_next_cidr", &state, &config);
    // Nothing is stored: it cannot be imported, and its destroy only forgets it.
    db.provider()
        .import("ipam_preview_next_cidr", &get(&state, "id"))
        .unwrap_err()
        .error_with(&["Cannot import a preview", "declare the resource"]);
    tf.try_destroy("ipam_preview_next_cidr", &state).unwrap();
}

/// A CIDR is kept in state as written when it means the same block (upper-case IPv6), the
/// database holds the canonical form, and a new spelling of the same block replaces nothing.
#[test]
fn upper_case_ipv6_is_kept_as_written_and_stored_canonical() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create("ipam", &obj(&[]));
    let pool = tf.create(
        "ipam_pool",
        &obj(&[
            ("ipam_scope_id", s(&get(&ipam, "private_default_scope_id"))),
            ("address_family", s("ipv6")),
        ]),
    );
    let pool = get(&pool, "id");
    let pool_cidr = obj(&[("ipam_pool_id", s(&pool)), ("cidr", s("FD00::/48"))]);
    let c = tf.create("ipam_pool_cidr", &pool_cidr);
    assert_eq!(get(&c, "cidr"), "FD00::/48");
    tf.assert_no_changes("ipam_pool_cidr", &c, &pool_cidr);
    let config = |cidr: &str| {
        obj(&[
            ("ipam_pool_id", s(&pool)),
            ("cidr", s(cidr)),
            ("disallowed_cidrs", strings(&["FD00:0:0:FF00::/56"])),
        ])
    };
    let a = tf.create("ipam_vpc_allocation", &config("FD00:0:0:100::/56"));
    assert_eq!(get(&a, "cidr"), "FD00:0:0:100::/56");
    assert_eq!(
        a.get("disallowed_cidrs"),
        Some(&strings(&["FD00:0:0:FF00::/56"]))
    );
    tf.assert_no_changes("ipam_vpc_allocation", &a, &config("FD00:0:0:100::/56"));
    let stored = db.store().get_allocation(&get(&a, "id")).unwrap().unwrap();
    assert_eq!(stored.cidr.to_string(), "fd00:0:0:100::/56");
    // Another spelling: planned as written (Terraform insists), never a replacement.
    let planned = tf
        .plan("ipam_vpc_allocation", &a, &config("fd00:0000:0:100::/56"))
        .unwrap();
    assert!(planned.replace.is_empty(), "{planned:?}");
    assert_eq!(get(&planned.state, "id"), get(&a, "id"));
}

/// A reservation planned and never applied expires after the provider's `reservation_ttl`,
/// and its block goes to the next request.
#[test]
fn an_expired_reservation_gives_its_space_back() {
    let db = Db::new();
    let p = Platform::new(&db);
    let short = db.provider_with(ACCOUNT, &[("reservation_ttl", s("1s"))]);
    let planned = short
        .plan(
            "ipam_vpc_allocation",
            &Value::Null,
            &p.vpc(&[("name", s("temp"))]),
        )
        .unwrap();
    let cidr = get(&planned.state, "cidr");
    // While it lives, the block is not handed out.
    let held = db
        .provider()
        .plan("ipam_vpc_allocation", &Value::Null, &p.vpc(&[]))
        .unwrap();
    assert_ne!(held.state.get("cidr"), Some(&s(&cidr)));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let after = db.provider().create("ipam_vpc_allocation", &p.vpc(&[]));
    assert_eq!(get(&after, "cidr"), cidr, "the expired block was reused");
}

/// A prefix longer than the pool's family allows (a /33 of IPv4) fails the plan on every
/// attribute that takes a netmask, and nothing is written.
#[test]
fn a_netmask_beyond_the_pools_family_fails_the_plan_on_every_attribute() {
    let db = Db::new();
    let p = Platform::new(&db);
    let with = |extra: &[(&str, Value)]| {
        let mut v = obj(&[("ipam_pool_id", s(&p.prod)), ("netmask_length", n(33))]);
        for (k, x) in extra {
            v.set_attr(k, x.clone());
        }
        v
    };
    let cases = [
        ("ipam_vpc_allocation", with(&[("tags", tags(PROD_TAGS))])),
        (
            "ipam_vpc_allocation",
            with(&[("tags", tags(PROD_TAGS)), ("name", s("web"))]),
        ),
        ("ipam_pool_cidr_allocation", with(&[])),
        ("ipam_pool_cidr", with(&[])),
        ("ipam_preview_next_cidr", with(&[])),
    ];
    for (ty, config) in cases {
        p.tf.plan(ty, &Value::Null, &config)
            .unwrap_err()
            .error_on(
                "netmask_length",
                &["netmask length 33 is out of range for ipv4: use 0 to 32 (the pool holds ipv4 addresses, whose longest prefix is /32)"],
            );
    }
    assert!(db.store().list_allocations(&p.prod).unwrap().is_empty());
}
