//! The audit log says everything that changed. For every resource, every attribute and block a
//! user can change in place (read from the schemas: not computed-only, not forcing
//! replacement, not config-only) is changed through the provider, one at a time, and the audit
//! event the update writes must differ between `before` and `after` and show the new value. A
//! new updatable attribute is walked too: the test fails until it is given a changed value
//! here, and then until the audit shows it.

use crate::harness::{Db, ACCOUNT};
use ipam::engine::{AllocationRequest, Cidr};
use ipam::provider::IpamProvider;
use ipam::store::{Actor, PoolSpec, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use tfplug::schema::Mode;
use tfplug::{Diagnostics, Provider, Resource, Value};

fn s(v: &str) -> Value {
    Value::string(v)
}

fn n(v: i64) -> Value {
    Value::number(v)
}

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), s(v)))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn regions(names: &[&str]) -> Value {
    Value::list(names.iter().map(|r| Value::object([("region_name", s(r))])))
}

/// How a resource under test is made, and the values its updatable attributes change to
/// where the generic ones (a new string, a new tag, the other boolean) do not fit.
struct Case {
    type_name: &'static str,
    create: Vec<(&'static str, Value)>,
    changes: Vec<(&'static str, Value)>,
    /// Updatable attributes whose change is not the database's, with the reason.
    not_stored: Vec<(&'static str, &'static str)>,
}

struct Harness {
    provider: IpamProvider,
    store: Store,
    _db: Db,
}

impl Harness {
    /// The provider's resources called directly (no gRPC service): the walk below feeds each
    /// update exactly the planned value it builds, which a plan would settle first.
    fn new() -> Harness {
        let db = Db::new();
        let provider = IpamProvider::new();
        let mut diags = Diagnostics::new();
        provider.configure(
            &Value::object([
                ("database", s(&db.location)),
                ("account_id", s(ACCOUNT)),
                ("region", s("us-east-1")),
            ]),
            "1.15.5",
            &mut diags,
        );
        assert!(!diags.has_errors(), "{diags:?}");
        Harness {
            provider,
            store: db.store(),
            _db: db,
        }
    }

    fn resource(&self, type_name: &str) -> Arc<dyn Resource> {
        self.provider
            .resources()
            .into_iter()
            .find(|r| r.type_name() == type_name)
            .unwrap_or_else(|| panic!("no resource {type_name}"))
    }

    fn create(&self, type_name: &str, attrs: &[(&'static str, Value)]) -> Value {
        let r = self.resource(type_name);
        let planned = r.schema().complete(Value::object(attrs.iter().cloned()));
        let mut diags = Diagnostics::new();
        let state = r.create(&planned, &mut diags);
        assert!(!diags.has_errors(), "create {type_name}: {diags:?}");
        r.schema().complete(state.expect("created"))
    }

    fn last_seq(&self) -> i64 {
        self.store
            .audit_events(None, 1)
            .unwrap()
            .first()
            .map_or(0, |e| e.seq)
    }
}

/// The generic new value of an attribute of `ty` whose prior value is `prior`.
fn generic_change(ty: &tfplug::Type, prior: &Value) -> Option<Value> {
    match ty {
        tfplug::Type::String => Some(s("changed by the audit test")),
        tfplug::Type::Map(_) => Some(map(&[("AuditTest", "changed")])),
        tfplug::Type::Bool => Some(Value::bool(!prior.as_bool().unwrap_or(false))),
        _ => None,
    }
}

fn walk(h: &Harness, case: &Case) {
    let r = h.resource(case.type_name);
    let schema = r.schema();
    let mut state = h.create(case.type_name, &case.create);
    let updatable = schema
        .attributes
        .iter()
        .filter(|a| a.mode != Mode::Computed && !a.requires_replace && !a.config_only)
        .map(|a| (a.name.clone(), Some(a.ty.clone())))
        .chain(
            schema
                .blocks
                .iter()
                .filter(|b| !b.config_only)
                .map(|b| (b.name.clone(), None)),
        );
    for (name, ty) in updatable {
        let name = name.as_str();
        if case.not_stored.iter().any(|(a, _)| *a == name) {
            continue;
        }
        let prior_value = state.get(name).cloned().unwrap_or(Value::Null);
        let value = case
            .changes
            .iter()
            .find(|(a, _)| *a == name)
            .map(|(_, v)| v.clone())
            .or_else(|| ty.as_ref().and_then(|t| generic_change(t, &prior_value)))
            .unwrap_or_else(|| {
                panic!(
                    "{}.{name} can change in place: give it a changed value in this test",
                    case.type_name
                )
            });
        assert_ne!(
            value, prior_value,
            "{}.{name}: the change changes nothing",
            case.type_name
        );
        let mut planned = state.clone();
        planned.set_attr(name, value.clone());
        let before = h.last_seq();
        let mut diags = Diagnostics::new();
        let new_state = r.update(&state, &planned, &mut diags);
        assert!(
            !diags.has_errors(),
            "update {}.{name}: {diags:?}",
            case.type_name
        );
        let events = h.store.audit_events(None, 1).unwrap();
        let event = events
            .first()
            .filter(|e| e.seq > before)
            .unwrap_or_else(|| {
                panic!("{}.{name}: the change wrote no audit event", case.type_name)
            });
        assert_ne!(
            event.before, event.after,
            "{}.{name}: {} has the same before and after",
            case.type_name, event.action
        );
        let after = event
            .after
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let shown = match &value {
            Value::String(v) => after.contains(v.as_str()),
            Value::Map(m) => m.keys().all(|k| after.contains(k.as_str())),
            _ => true,
        };
        assert!(
            shown,
            "{}.{name}: {} does not show {value:?}: {after}",
            case.type_name, event.action
        );
        state = schema.complete(new_state.expect("updated"));
        // Config-only values come from the plan, as tfplug settles them.
        for a in schema.attributes.iter().filter(|a| a.config_only) {
            state.set_attr(
                &a.name,
                planned.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
        for b in schema.blocks.iter().filter(|b| b.config_only) {
            state.set_attr(
                &b.name,
                planned.get(&b.name).cloned().unwrap_or(Value::Null),
            );
        }
    }
}

#[test]
fn every_change_a_user_can_make_is_in_the_audit_log() {
    let h = Harness::new();
    let ipam = h.create("ipam", &[("operating_regions", regions(&["us-east-1"]))]);
    let id = |v: &Value, a: &str| v.get(a).and_then(Value::as_str).unwrap().to_string();
    let ipam_id = id(&ipam, "id");
    let private = id(&ipam, "private_default_scope_id");
    let public = id(&ipam, "public_default_scope_id");
    let actor = Actor::new(ACCOUNT, "us-east-1");
    let plain_pool = |cidr: &str| {
        let p = h
            .store
            .create_pool(
                &actor,
                PoolSpec {
                    scope_id: private.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
        h.store
            .provision_cidr(
                &actor,
                &p.id,
                AllocationRequest::Explicit(Cidr::parse(cidr).unwrap()),
            )
            .unwrap();
        p.id
    };
    let pool = plain_pool("10.0.0.0/16");
    let other_pool = plain_pool("10.1.0.0/16");
    let arn = |pool: &str| format!("arn:aws:ec2::{ACCOUNT}:ipam-pool/{pool}");
    let sources = |path: &str| Value::list([Value::object([("path", s(path))])]);

    let mut cases = vec![
        Case {
            type_name: "ipam",
            create: vec![("operating_regions", regions(&["us-east-1"]))],
            changes: vec![("operating_regions", regions(&["us-east-1", "eu-west-1"]))],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_scope",
            create: vec![("ipam_id", s(&ipam_id))],
            changes: vec![],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_pool",
            create: vec![
                ("ipam_scope_id", s(&public)),
                ("address_family", s("ipv6")),
                ("locale", s("us-east-1")),
                ("aws_service", s("ec2")),
                ("publicly_advertisable", Value::bool(false)),
                ("allocation_min_netmask_length", n(40)),
                ("allocation_default_netmask_length", n(48)),
                ("allocation_max_netmask_length", n(56)),
            ],
            changes: vec![
                ("allocation_min_netmask_length", n(41)),
                ("allocation_max_netmask_length", n(57)),
                ("allocation_default_netmask_length", n(49)),
            ],
            not_stored: vec![(
                "source_resource",
                "a change replaces the pool (plan marks it), it is never updated in place",
            )],
        },
        Case {
            type_name: "ipam_vpc_allocation",
            create: vec![("ipam_pool_id", s(&pool)), ("netmask_length", n(24))],
            changes: vec![],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_pool_cidr_allocation",
            create: vec![("ipam_pool_id", s(&pool)), ("netmask_length", n(24))],
            changes: vec![],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_resource_discovery",
            create: vec![("operating_regions", regions(&["us-east-1"]))],
            changes: vec![
                ("operating_regions", regions(&["us-east-1", "eu-west-1"])),
                (
                    "excluded_resource_ids",
                    Value::set([s("vpc-0123456789abcdef0")]),
                ),
                ("source", sources("audit-test-describe-vpcs.json")),
            ],
            not_stored: vec![],
        },
    ];
    for case in &cases {
        walk(&h, case);
    }
    let mut covered: Vec<&str> = cases.iter().map(|c| c.type_name).collect();
    let discovery = h.create(
        "ipam_resource_discovery",
        &[("operating_regions", regions(&["us-east-1"]))],
    );
    let org = h.create("ipam_organization", &[]);
    let root = id(&org, "root_id");
    let unit = h.create(
        "ipam_organizational_unit",
        &[("name", s("other")), ("parent_id", s(&root))],
    );
    let unit_id = id(&unit, "id");
    cases = vec![
        Case {
            type_name: "ipam_resource_discovery_association",
            create: vec![
                ("ipam_id", s(&ipam_id)),
                ("ipam_resource_discovery_id", s(&id(&discovery, "id"))),
            ],
            changes: vec![],
            not_stored: vec![(
                "tags",
                "kept in Terraform state only: the database stores no tags for an association",
            )],
        },
        Case {
            type_name: "ipam_organizational_unit",
            create: vec![("name", s("dev")), ("parent_id", s(&root))],
            changes: vec![("parent_id", s(&unit_id))],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_organization_account",
            create: vec![
                ("account_id", s("222222222222")),
                ("name", s("team")),
                ("parent_id", s(&root)),
            ],
            changes: vec![
                ("parent_id", s(&unit_id)),
                ("database_role", s("ipam_team")),
            ],
            not_stored: vec![],
        },
        Case {
            type_name: "ipam_resource_share",
            create: vec![
                ("name", s("share")),
                ("resource_arns", Value::set([s(&arn(&pool))])),
                ("principals", Value::set([s("222222222222")])),
            ],
            changes: vec![
                ("resource_arns", Value::set([s(&arn(&other_pool))])),
                ("principals", Value::set([s(&unit_id)])),
            ],
            not_stored: vec![],
        },
    ];
    for case in &cases {
        walk(&h, case);
    }
    covered.extend(cases.iter().map(|c| c.type_name));
    // A resource with something to change in place has a case above.
    for r in h.provider.resources() {
        let s = r.schema();
        let updatable = s
            .attributes
            .iter()
            .any(|a| a.mode != Mode::Computed && !a.requires_replace && !a.config_only)
            || s.blocks.iter().any(|b| !b.config_only);
        assert!(
            !updatable || covered.contains(&r.type_name()),
            "{} can change in place: add a case to this test",
            r.type_name()
        );
    }
}
