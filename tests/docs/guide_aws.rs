//! `docs/guides/coming-from-aws.md` maps every AWS counterpart this provider has: each
//! `aws_vpc_ipam*` name appears with its local name, and every argument and attribute of the
//! local schema is named in the guide. Every argument and attribute the AWS provider documents
//! for these types exists here with the same name (a name without a local meaning is accepted
//! and documented as such, never missing).

use ipam::provider::IpamProvider;
use tfplug::{Provider, Schema, Type};

/// (AWS type, local type, is a data source)
const PAIRS: &[(&str, &str, bool)] = &[
    ("aws_vpc_ipam", "ipam", false),
    ("aws_vpc_ipam_scope", "ipam_scope", false),
    ("aws_vpc_ipam_pool", "ipam_pool", false),
    ("aws_vpc_ipam_pool_cidr", "ipam_pool_cidr", false),
    (
        "aws_vpc_ipam_pool_cidr_allocation",
        "ipam_pool_cidr_allocation",
        false,
    ),
    (
        "aws_vpc_ipam_preview_next_cidr",
        "ipam_preview_next_cidr",
        false,
    ),
    (
        "aws_vpc_ipam_resource_discovery",
        "ipam_resource_discovery",
        false,
    ),
    (
        "aws_vpc_ipam_resource_discovery_association",
        "ipam_resource_discovery_association",
        false,
    ),
    ("aws_vpc_ipam", "ipam", true),
    ("aws_vpc_ipams", "ipam_ipams", true),
    ("aws_vpc_ipam_pool", "ipam_pool", true),
    ("aws_vpc_ipam_pools", "ipam_pools", true),
    ("aws_vpc_ipam_pool_cidrs", "ipam_pool_cidrs", true),
    (
        "aws_vpc_ipam_preview_next_cidr",
        "ipam_preview_next_cidr",
        true,
    ),
];

/// The arguments, blocks and attributes the AWS provider's documentation lists for each type
/// (local type, is a data source, names), written down from its registry pages.
const AWS_NAMES: &[(&str, bool, &[&str])] = &[
    (
        "ipam",
        false,
        &[
            "region",
            "cascade",
            "description",
            "enable_private_gua",
            "metered_account",
            "operating_regions",
            "region_name",
            "tier",
            "tags",
            "arn",
            "id",
            "default_resource_discovery_id",
            "default_resource_discovery_association_id",
            "private_default_scope_id",
            "public_default_scope_id",
            "scope_count",
            "tags_all",
        ],
    ),
    (
        "ipam_scope",
        false,
        &[
            "region",
            "ipam_id",
            "description",
            "tags",
            "arn",
            "id",
            "ipam_arn",
            "ipam_scope_type",
            "is_default",
            "pool_count",
            "tags_all",
        ],
    ),
    (
        "ipam_pool",
        false,
        &[
            "region",
            "address_family",
            "allocation_default_netmask_length",
            "allocation_max_netmask_length",
            "allocation_min_netmask_length",
            "allocation_resource_tags",
            "auto_import",
            "aws_service",
            "cascade",
            "description",
            "ipam_scope_id",
            "locale",
            "publicly_advertisable",
            "public_ip_source",
            "source_ipam_pool_id",
            "ipam_scope_type",
            "pool_depth",
            "source_resource",
            "resource_id",
            "resource_owner",
            "resource_region",
            "resource_type",
            "tags",
            "arn",
            "id",
            "state",
            "tags_all",
        ],
    ),
    (
        "ipam_pool_cidr",
        false,
        &[
            "region",
            "cidr",
            "cidr_authorization_context",
            "message",
            "signature",
            "ipam_pool_id",
            "netmask_length",
            "id",
            "ipam_pool_cidr_id",
        ],
    ),
    (
        "ipam_pool_cidr_allocation",
        false,
        &[
            "region",
            "cidr",
            "description",
            "disallowed_cidrs",
            "ipam_pool_id",
            "netmask_length",
            "id",
            "ipam_pool_allocation_id",
            "resource_id",
            "resource_owner",
            "resource_type",
        ],
    ),
    (
        "ipam_preview_next_cidr",
        false,
        &[
            "region",
            "disallowed_cidrs",
            "ipam_pool_id",
            "netmask_length",
            "cidr",
            "id",
        ],
    ),
    (
        "ipam_resource_discovery",
        false,
        &[
            "region",
            "description",
            "operating_regions",
            "region_name",
            "tags",
            "arn",
            "id",
            "is_default",
            "owner_id",
            "ipam_resource_discovery_region",
            "tags_all",
        ],
    ),
    (
        "ipam_resource_discovery_association",
        false,
        &[
            "region",
            "ipam_id",
            "ipam_resource_discovery_id",
            "tags",
            "arn",
            "id",
            "owner_id",
            "ipam_arn",
            "ipam_region",
            "is_default",
            "state",
            "tags_all",
        ],
    ),
    (
        "ipam",
        true,
        &[
            "region",
            "id",
            "arn",
            "default_resource_discovery_association_id",
            "default_resource_discovery_id",
            "description",
            "enable_private_gua",
            "ipam_region",
            "operating_regions",
            "owner_id",
            "private_default_scope_id",
            "public_default_scope_id",
            "resource_discovery_association_count",
            "scope_count",
            "state",
            "state_message",
            "tier",
            "tags",
        ],
    ),
    (
        "ipam_ipams",
        true,
        &["region", "ipam_ids", "filter", "name", "values", "ipams"],
    ),
    (
        "ipam_pool",
        true,
        &[
            "region",
            "ipam_pool_id",
            "filter",
            "name",
            "values",
            "address_family",
            "allocation_default_netmask_length",
            "allocation_max_netmask_length",
            "allocation_min_netmask_length",
            "allocation_resource_tags",
            "arn",
            "auto_import",
            "aws_service",
            "description",
            "id",
            "ipam_scope_id",
            "locale",
            "publicly_advertisable",
            "source_ipam_pool_id",
            "ipam_scope_type",
            "pool_depth",
            "state",
            "tags",
        ],
    ),
    (
        "ipam_pools",
        true,
        &["filter", "name", "values", "ipam_pools"],
    ),
    (
        "ipam_pool_cidrs",
        true,
        &[
            "region",
            "ipam_pool_id",
            "filter",
            "name",
            "values",
            "ipam_pool_cidrs",
        ],
    ),
    (
        "ipam_preview_next_cidr",
        true,
        &[
            "region",
            "disallowed_cidrs",
            "ipam_pool_id",
            "netmask_length",
            "cidr",
            "id",
        ],
    ),
];

/// The fields AWS documents for the objects of a data source's list attribute (local data
/// source, attribute, field names).
const AWS_NESTED: &[(&str, &str, &[&str])] = &[
    (
        "ipam_ipams",
        "ipams",
        &[
            "arn",
            "default_resource_discovery_association_id",
            "default_resource_discovery_id",
            "description",
            "enable_private_gua",
            "id",
            "ipam_region",
            "operating_regions",
            "owner_id",
            "private_default_scope_id",
            "public_default_scope_id",
            "resource_discovery_association_count",
            "scope_count",
            "state",
            "state_message",
            "tier",
        ],
    ),
    (
        "ipam_pools",
        "ipam_pools",
        &[
            "address_family",
            "publicly_advertisable",
            "allocation_default_netmask_length",
            "allocation_max_netmask_length",
            "allocation_min_netmask_length",
            "allocation_resource_tags",
            "arn",
            "auto_import",
            "aws_service",
            "description",
            "id",
            "ipam_scope_id",
            "ipam_scope_type",
            "locale",
            "pool_depth",
            "source_ipam_pool_id",
            "state",
            "tags",
        ],
    ),
    ("ipam_pool_cidrs", "ipam_pool_cidrs", &["cidr", "state"]),
];

/// The field names of the objects a list or set attribute holds.
fn fields(t: &Type) -> Vec<String> {
    match t {
        Type::List(e) | Type::Set(e) => fields(e),
        Type::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn names(s: &Schema) -> Vec<String> {
    let mut out: Vec<String> = s.attributes.iter().map(|a| a.name.clone()).collect();
    for b in &s.blocks {
        out.push(b.name.clone());
        out.extend(b.schema.attributes.iter().map(|a| a.name.clone()));
    }
    out
}

/// The schema of the resource, or data source, registered as `local`.
fn schema_of(p: &IpamProvider, local: &str, is_data: bool) -> Schema {
    if is_data {
        p.data_sources()
            .iter()
            .find(|d| d.type_name() == local)
            .map(|d| d.schema())
    } else {
        p.resources()
            .iter()
            .find(|r| r.type_name() == local)
            .map(|r| r.schema())
    }
    .unwrap_or_else(|| panic!("{local} is not registered"))
}

/// Whether `word` occurs as a whole identifier (not inside a longer name).
fn mentions(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[test]
fn the_guide_maps_every_counterpart_and_argument() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides/coming-from-aws.md"),
    )
    .expect("the guide exists");
    let p = IpamProvider::new();
    for (aws, local, is_data) in PAIRS {
        assert!(
            guide.contains(&format!("`{aws}`")),
            "{aws} is not in the guide"
        );
        assert!(
            guide.contains(&format!("`{local}`")),
            "{local} is not in the guide"
        );
        let schema = schema_of(&p, local, *is_data);
        for n in names(&schema) {
            assert!(mentions(&guide, &n), "{local}: `{n}` is not in the guide");
        }
    }
}

#[test]
fn every_aws_argument_and_attribute_exists_here() {
    let p = IpamProvider::new();
    let mut missing = Vec::new();
    for (local, is_data, aws) in AWS_NAMES {
        let schema = schema_of(&p, local, *is_data);
        let here = names(&schema);
        for n in *aws {
            if !here.iter().any(|h| h == n) {
                let kind = if *is_data { "data source" } else { "resource" };
                missing.push(format!("{kind} {local}: {n}"));
            }
        }
    }
    for (local, attr, aws) in AWS_NESTED {
        let schema = schema_of(&p, local, true);
        let here = schema
            .attributes
            .iter()
            .find(|a| a.name == *attr)
            .map(|a| fields(&a.ty))
            .unwrap_or_default();
        for n in *aws {
            if !here.iter().any(|h| h == n) {
                missing.push(format!("data source {local}: {attr}[*].{n}"));
            }
        }
    }
    assert!(missing.is_empty(), "AWS names missing here: {missing:#?}");
}
