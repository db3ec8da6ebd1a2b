//! `ipam` and `ipam_scope`: their lifecycle, the IPAM's refusal to go while it holds pools,
//! and AWS's limits on descriptions, tags and region names.

use crate::harness::*;
use tfplug::Value;

fn ipam_config(description: &str) -> Value {
    obj(&[
        ("description", s(description)),
        ("operating_regions", regions(&["us-east-1", "eu-west-1"])),
        ("tags", tags(&[("team", "platform")])),
    ])
}

#[test]
fn ipam_lifecycle() {
    let db = Db::new();
    let tf = db.provider();
    let config = ipam_config("first");
    let state = tf.create("ipam", &config);
    let id = get(&state, "id");
    assert!(is_id(&id, "ipam"), "{id}");
    assert!(is_id(
        &get(&state, "private_default_scope_id"),
        "ipam-scope"
    ));
    assert!(is_id(&get(&state, "public_default_scope_id"), "ipam-scope"));
    assert_eq!(num(&state, "scope_count"), 2);
    assert_eq!(get(&state, "owner_id"), ACCOUNT);
    assert_eq!(
        get(&state, "arn"),
        format!("arn:aws:ec2::{ACCOUNT}:ipam/{id}")
    );
    assert_eq!(state.get("tags_all"), Some(&tags(&[("team", "platform")])));
    tf.assert_no_changes("ipam", &state, &config);

    let config = ipam_config("second");
    let state = tf.update("ipam", &state, &config);
    assert_eq!(get(&state, "description"), "second");
    assert_eq!(get(&state, "id"), id, "an update keeps the id");
    tf.assert_no_changes("ipam", &state, &config);

    // Another configuration (another provider instance) adopts it by id.
    db.provider().assert_imports("ipam", &id, &state, &config);

    tf.destroy("ipam", &state);
    let d = db.provider().import("ipam", &id).unwrap_err();
    assert_eq!(d.0[0].summary, "Cannot import non-existent remote object");
}

#[test]
fn an_ipam_with_pools_is_destroyed_only_with_cascade() {
    let db = Db::new();
    let p = Platform::new(&db);
    let config = obj(&[("operating_regions", regions(&["us-east-1", "eu-west-1"]))]);
    let d = p.tf.try_destroy("ipam", &p.ipam).unwrap_err();
    d.error_on("cascade", &["still has 2 pool(s)", "set cascade = true"]);
    assert_eq!(
        db.store().get_pool(&p.prod).unwrap().map(|x| x.id),
        Some(p.prod.clone())
    );

    let mut cascade = config.clone();
    cascade.set_attr("cascade", Value::bool(true));
    let state = p.tf.update("ipam", &p.ipam, &cascade);
    p.tf.destroy("ipam", &state);
    assert_eq!(
        db.store().get_pool(&p.prod).unwrap().map(|x| x.id),
        None,
        "cascade removed the pools"
    );
}

#[test]
fn scope_lifecycle() {
    let db = Db::new();
    let tf = db.provider();
    let ipam = tf.create("ipam", &obj(&[]));
    let config = |d: &str| obj(&[("ipam_id", s(&get(&ipam, "id"))), ("description", s(d))]);
    let state = tf.create("ipam_scope", &config("lab"));
    let id = get(&state, "id");
    assert!(is_id(&id, "ipam-scope"), "{id}");
    assert_eq!(get(&state, "ipam_scope_type"), "private");
    assert_eq!(state.get("is_default"), Some(&Value::bool(false)));
    assert_eq!(num(&state, "pool_count"), 0);
    tf.assert_no_changes("ipam_scope", &state, &config("lab"));

    let state = tf.update("ipam_scope", &state, &config("lab v2"));
    assert_eq!(get(&state, "description"), "lab v2");
    tf.assert_no_changes("ipam_scope", &state, &config("lab v2"));
    db.provider()
        .assert_imports("ipam_scope", &id, &state, &config("lab v2"));

    // Another IPAM is a replacement, not an update.
    let other = tf.create("ipam", &obj(&[]));
    let moved = obj(&[
        ("ipam_id", s(&get(&other, "id"))),
        ("description", s("lab v2")),
    ]);
    let planned = tf.plan("ipam_scope", &state, &moved).unwrap();
    assert_eq!(planned.replace, ["ipam_id"]);

    tf.destroy("ipam_scope", &state);
    // The IPAM's scope count follows.
    let ipam = tf.read("ipam", &ipam).unwrap().unwrap();
    assert_eq!(num(&ipam, "scope_count"), 2);
}

#[test]
fn limits_follow_aws_on_the_attribute() {
    let db = Db::new();
    let tf = db.provider();
    let long_key = "k".repeat(129);
    tf.validate("ipam", &obj(&[("tags", tags(&[(&long_key, "v")]))]))
        .error_on(
            &format!("tags[{long_key:?}]"),
            &["is 129 characters long", "1 to 128 characters"],
        );
    tf.validate("ipam", &obj(&[("description", s(&"d".repeat(256)))]))
        .error_on(
            "description",
            &["is 256 characters long: description takes 0 to 255 characters"],
        );
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    tf.validate("ipam", &obj(&[("tags", tags(&many))]))
        .error_on("tags", &["tags has 51 elements: at most 50 are allowed"]);
    let d = tf.validate("ipam", &obj(&[("operating_regions", regions(&["moon"]))]));
    let e = d.0.iter().find(|d| d.error).expect("an error");
    assert!(
        e.path.starts_with("operating_regions") && e.path.ends_with("region_name"),
        "{d:#?}"
    );
    assert!(
        e.detail
            .contains("\"moon\" does not look like a region name"),
        "{d:#?}"
    );
    // Nothing was written by any of them.
    assert!(db.store().list_ipams().unwrap().is_empty());
}

/// AWS arguments that have no local effect are accepted only with the value that means what
/// they mean here, and say why otherwise.
#[test]
fn aws_arguments_without_a_local_meaning_say_why() {
    let db = Db::new();
    let tf = db.provider();
    tf.plan("ipam", &Value::Null, &obj(&[("region", s("eu-west-1"))]))
        .unwrap_err()
        .error_on("region", &["but this provider block serves \"us-east-1\""]);
    tf.plan("ipam", &Value::Null, &obj(&[("tier", s("premium"))]))
        .unwrap_err()
        .error_on("tier", &["\"premium\" is not an IPAM tier"]);
    tf.plan(
        "ipam_preview_next_cidr",
        &Value::Null,
        &obj(&[
            ("ipam_pool_id", s("ipam-pool-00000000000000000")),
            ("netmask_length", n(28)),
        ]),
    )
    .unwrap_err()
    .error_on(
        "ipam_pool_id",
        &["no IPAM pool with id \"ipam-pool-00000000000000000\" exists"],
    );
    tf.data("ipam_ipams", &obj(&[("region", s("ap-south-1"))]))
        .unwrap_err()
        .error_on(
            "region",
            &["region is \"ap-south-1\", but this provider block serves \"us-east-1\""],
        );
    let subnet = obj(&[
        ("address_family", s("ipv4")),
        ("ipam_scope_id", s("ipam-scope-00000000000000000")),
        (
            "source_resource",
            Value::list([obj(&[
                ("resource_id", s("subnet-1")),
                ("resource_type", s("subnet")),
                ("resource_owner", s(ACCOUNT)),
                ("resource_region", s("us-east-1")),
            ])]),
        ),
    ]);
    let d = tf.plan("ipam_pool", &Value::Null, &subnet).unwrap_err();
    let e =
        d.error_with(&["\"subnet\" is not a resource type that can source a pool: use \"vpc\""]);
    assert!(e.path.starts_with("source_resource"), "{d:#?}");
    assert!(db.store().list_ipams().unwrap().is_empty());
}

/// A pool's locale is checked against the operating regions of an IPAM planned in the same
/// run (the pool's scope id is unknown until that IPAM is applied).
#[test]
fn a_bad_locale_fails_plan_when_the_ipam_is_planned_with_it() {
    let db = Db::new();
    let run = db.provider();
    run.plan(
        "ipam",
        &Value::Null,
        &obj(&[("operating_regions", regions(&["us-east-1"]))]),
    )
    .unwrap();
    let pool = |locale: &str| {
        obj(&[
            ("ipam_scope_id", Value::Unknown),
            ("address_family", s("ipv4")),
            ("locale", s(locale)),
        ])
    };
    run.plan("ipam_pool", &Value::Null, &pool("eu-west-1"))
        .unwrap_err()
        .error_on(
            "locale",
            &["locale \"eu-west-1\" is not an operating region of the IPAM planned with this pool (us-east-1)"],
        );
    run.plan("ipam_pool", &Value::Null, &pool("us-east-1"))
        .unwrap();
    assert!(
        db.store().list_ipams().unwrap().is_empty(),
        "nothing written at plan"
    );
}
