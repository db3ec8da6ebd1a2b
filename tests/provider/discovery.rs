//! `ipam_resource_discovery` and its association: their lifecycle, sources refused at plan
//! naming each file, and the discovered CIDRs data source's compliance answer.

use crate::harness::*;
use std::path::PathBuf;
use tfplug::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discovery")
}

fn source(path: &str, extra: &[(&str, Value)]) -> Value {
    let mut v = obj(&[("path", s(path))]);
    for (k, x) in extra {
        v.set_attr(k, x.clone());
    }
    v
}

fn discovery_config(description: &str) -> Value {
    let vpcs = fixtures().join("describe-vpcs.json").display().to_string();
    obj(&[
        ("description", s(description)),
        ("operating_regions", regions(&["us-east-1"])),
        ("excluded_resource_ids", strings(&["vpc-0a000000000000005"])),
        (
            "source",
            Value::list([source(
                &vpcs,
                &[
                    ("region", s("us-east-1")),
                    ("account_id", s("111122223333")),
                ],
            )]),
        ),
    ])
}

#[test]
fn resource_discovery_and_association_lifecycle() {
    let db = Db::new();
    let tf = db.provider();
    let config = discovery_config("by hand");
    let d = tf.create("ipam_resource_discovery", &config);
    let id = get(&d, "id");
    assert!(is_id(&id, "ipam-res-disc"), "{id}");
    assert_eq!(
        get(&d, "arn"),
        format!("arn:aws:ec2::{ACCOUNT}:ipam-resource-discovery/{id}")
    );
    assert_eq!(d.get("last_scanned"), Some(&Value::Null));
    assert_eq!(get(&d, "owner_id"), ACCOUNT);
    tf.assert_no_changes("ipam_resource_discovery", &d, &config);
    let config = discovery_config("by hand, v2");
    let d = tf.update("ipam_resource_discovery", &d, &config);
    tf.assert_no_changes("ipam_resource_discovery", &d, &config);
    db.provider()
        .assert_imports("ipam_resource_discovery", &id, &d, &config);

    let ipam = tf.create(
        "ipam",
        &obj(&[("operating_regions", regions(&["us-east-1"]))]),
    );
    let assoc_config = |t: &str| {
        obj(&[
            ("ipam_id", s(&get(&ipam, "id"))),
            ("ipam_resource_discovery_id", s(&id)),
            ("tags", tags(&[("n", t)])),
        ])
    };
    let a = tf.create("ipam_resource_discovery_association", &assoc_config("one"));
    let assoc_id = get(&a, "id");
    assert!(is_id(&assoc_id, "ipam-res-disc-assoc"), "{assoc_id}");
    assert_eq!(get(&a, "ipam_arn"), get(&ipam, "arn"));
    assert_eq!(get(&a, "state"), "associated");
    tf.assert_no_changes(
        "ipam_resource_discovery_association",
        &a,
        &assoc_config("one"),
    );
    let a = tf.update(
        "ipam_resource_discovery_association",
        &a,
        &assoc_config("two"),
    );
    assert_eq!(a.get("tags_all"), Some(&tags(&[("n", "two")])));
    tf.assert_no_changes(
        "ipam_resource_discovery_association",
        &a,
        &assoc_config("two"),
    );
    // Tags live in Terraform's state only: an import reads the association without them, and
    // planning the configured tags after it is an update in place.
    let imported = db
        .provider()
        .import("ipam_resource_discovery_association", &assoc_id)
        .unwrap();
    assert_eq!(get(&imported, "ipam_resource_discovery_id"), id);
    assert_eq!(imported.get("tags"), Some(&Value::Null));
    let planned = tf
        .plan(
            "ipam_resource_discovery_association",
            &imported,
            &assoc_config("two"),
        )
        .unwrap();
    assert!(planned.replace.is_empty(), "{planned:?}");
    assert_eq!(planned.state.get("tags_all"), Some(&tags(&[("n", "two")])));
    // The IPAM counts it.
    let ipam = tf.read("ipam", &ipam).unwrap().unwrap();
    assert_eq!(num(&ipam, "resource_discovery_association_count"), 1);

    tf.destroy("ipam_resource_discovery_association", &a);
    tf.destroy("ipam_resource_discovery", &d);
}

#[test]
fn bad_sources_fail_the_plan_naming_each_file() {
    let db = Db::new();
    let tf = db.provider();
    let fx = fixtures();
    let at = |name: &str| fx.join(name).display().to_string();
    let config = obj(&[(
        "source",
        Value::list([
            source(&at("missing.tfstate"), &[]),
            source(&at("old-v3.tfstate"), &[]),
            source(&at("not-a-source.json"), &[]),
            source(&at("nothing-*.json"), &[]),
        ]),
    )]);
    let d = tf
        .plan("ipam_resource_discovery", &Value::Null, &config)
        .unwrap_err();
    let text: String =
        d.0.iter()
            .map(|d| format!("{} [{}] {}\n", d.summary, d.path, d.detail))
            .collect();
    for needle in [
        "missing.tfstate: no such file",
        "old-v3.tfstate: a Terraform state of version 3",
        "not-a-source.json: neither a Terraform state",
        "nothing-*.json: no file matches this pattern",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(
        d.0.iter()
            .filter(|d| d.error)
            .all(|d| d.path.starts_with("source")),
        "{text}"
    );

    let d = tf.validate(
        "ipam_resource_discovery",
        &obj(&[(
            "source",
            Value::list([source(
                "x.json",
                &[("region", s("mars")), ("account_id", s("12"))],
            )]),
        )]),
    );
    d.error_on(
        "source[0].region",
        &["\"mars\" does not look like a region name"],
    );
    d.error_on("source", &["\"12\" is not an account id"]);
    let d = tf.validate(
        "ipam_resource_discovery",
        &obj(&[("operating_regions", regions(&["Europe"]))]),
    );
    let e = d.error_with(&["\"Europe\" does not look like a region name"]);
    assert!(e.path.starts_with("operating_regions"), "{d:#?}");
}

/// A source that cannot be read when the data source scans fails the read with one error per
/// file, in the order of the sources, each on the data source as a whole.
#[test]
fn unreadable_sources_fail_the_scan_naming_each_file() {
    let db = Db::new();
    let tf = db.provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name).display().to_string();
    for name in ["first.json", "second.json"] {
        std::fs::copy(fixtures().join("describe-vpcs.json"), at(name)).expect("copy a source");
    }
    let mut config = discovery_config("gone");
    config.set_attr(
        "source",
        Value::list(["first.json", "second.json"].map(|name| {
            source(
                &at(name),
                &[
                    ("region", s("us-east-1")),
                    ("account_id", s("111122223333")),
                ],
            )
        })),
    );
    let d = tf.create("ipam_resource_discovery", &config);
    for name in ["first.json", "second.json"] {
        std::fs::remove_file(at(name)).expect("remove a source");
    }
    let d = tf
        .data(
            "ipam_discovered_resource_cidrs",
            &obj(&[("ipam_resource_discovery_id", s(&get(&d, "id")))]),
        )
        .unwrap_err();
    let errors: Vec<&Diag> = d.0.iter().filter(|d| d.error).collect();
    assert_eq!(errors.len(), 2, "{d:#?}");
    for (e, name) in errors.iter().zip(["first.json", "second.json"]) {
        assert_eq!(e.summary, "Cannot read a discovery source", "{d:#?}");
        assert_eq!(e.path, "", "{d:#?}");
        assert!(e.detail.contains(&at(name)), "{name} not in {d:#?}");
        assert!(
            e.detail.ends_with("Nothing was scanned or written."),
            "{d:#?}"
        );
    }
}

#[test]
fn discovered_cidrs_say_what_is_managed() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let d = tf.create("ipam_resource_discovery", &discovery_config("cidrs"));
    tf.create(
        "ipam_resource_discovery_association",
        &obj(&[
            ("ipam_id", s(&get(&p.ipam, "id"))),
            ("ipam_resource_discovery_id", s(&get(&d, "id"))),
        ]),
    );
    let (v, _) = tf
        .data(
            "ipam_discovered_resource_cidrs",
            &obj(&[("ipam_resource_discovery_id", s(&get(&d, "id")))]),
        )
        .unwrap();
    let rows = v
        .get("ipam_discovered_resource_cidrs")
        .and_then(Value::as_list)
        .unwrap();
    let row = |cidr: &str| {
        rows.iter()
            .find(|r| r.get("resource_cidr") == Some(&s(cidr)))
            .unwrap_or_else(|| panic!("no {cidr} in {rows:#?}"))
    };
    let cli = row("10.2.32.0/20");
    assert_eq!(get(cli, "resource_id"), "vpc-0a000000000000004");
    assert_eq!(get(cli, "resource_type"), "vpc");
    assert_eq!(get(cli, "resource_owner_id"), "111122223333");
    assert_eq!(get(cli, "name"), "from-cli");
    assert_eq!(get(cli, "compliance_status"), "unmanaged");
    assert_eq!(cli.get("ipam_pool_id"), Some(&Value::Null));
    // The excluded VPC is ignored.
    let excluded: Vec<&Value> = rows
        .iter()
        .filter(|r| r.get("resource_id") == Some(&s("vpc-0a000000000000005")))
        .collect();
    assert!(!excluded.is_empty(), "{rows:#?}");
    assert!(
        excluded
            .iter()
            .all(|r| get(r, "compliance_status") == "ignored"),
        "{excluded:#?}"
    );
    // The scan is recorded: the discovery's last_scanned is set on its next refresh.
    let after = tf.read("ipam_resource_discovery", &d).unwrap().unwrap();
    assert_ne!(after.get("last_scanned"), Some(&Value::Null));
}

/// A pool with `auto_import` adopts, when a scan reads the discovery, the discovered VPC CIDRs
/// inside its CIDRs that meet its rules and overlap nothing; overlapping VPCs say so.
#[test]
fn auto_import_adopts_eligible_vpcs() {
    let db = Db::new();
    let p = Platform::new(&db);
    let tf = &p.tf;
    let imports = tf.create(
        "ipam_pool",
        &obj(&[
            ("ipam_scope_id", s(&p.scope)),
            ("address_family", s("ipv4")),
            ("source_ipam_pool_id", s(&p.top)),
            ("locale", s("us-east-1")),
            ("auto_import", Value::bool(true)),
            ("allocation_max_netmask_length", n(24)),
        ]),
    );
    let imports = get(&imports, "id");
    tf.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&imports)), ("cidr", s("10.2.0.0/16"))]),
    );
    let mut config = discovery_config("adopt");
    config.set_attr("excluded_resource_ids", Value::Null);
    let d = tf.create("ipam_resource_discovery", &config);
    tf.create(
        "ipam_resource_discovery_association",
        &obj(&[
            ("ipam_id", s(&get(&p.ipam, "id"))),
            ("ipam_resource_discovery_id", s(&get(&d, "id"))),
        ]),
    );
    let (v, _) = tf
        .data(
            "ipam_discovered_resource_cidrs",
            &obj(&[("ipam_resource_discovery_id", s(&get(&d, "id")))]),
        )
        .unwrap();
    let rows = v
        .get("ipam_discovered_resource_cidrs")
        .and_then(Value::as_list)
        .unwrap();
    let status = |cidr: &str| {
        let r = rows
            .iter()
            .find(|r| r.get("resource_cidr") == Some(&s(cidr)))
            .unwrap_or_else(|| panic!("no {cidr} in {rows:#?}"));
        (
            get(r, "compliance_status"),
            get(r, "overlap_status"),
            r.get("ipam_pool_id").cloned().unwrap_or(Value::Null),
        )
    };
    assert_eq!(
        status("10.2.32.0/20"),
        ("compliant".into(), "nonoverlapping".into(), s(&imports))
    );
    assert_eq!(
        status("10.70.0.0/16"),
        ("unmanaged".into(), "overlapping".into(), Value::Null)
    );
    assert_eq!(
        status("10.70.128.0/17"),
        ("unmanaged".into(), "overlapping".into(), Value::Null)
    );
    // The adopted CIDR is an allocation of the VPC's own id, of type imported.
    let (allocs, _) = tf
        .data(
            "ipam_pool_allocations",
            &obj(&[("ipam_pool_id", s(&imports))]),
        )
        .unwrap();
    let allocs = allocs.get("allocations").and_then(Value::as_list).unwrap();
    assert_eq!(allocs.len(), 1, "{allocs:#?}");
    assert_eq!(get(&allocs[0], "cidr"), "10.2.32.0/20");
    assert_eq!(get(&allocs[0], "resource_type"), "imported");
    assert_eq!(get(&allocs[0], "resource_id"), "vpc-0a000000000000004");
}
