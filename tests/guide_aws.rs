//! `docs/guides/coming-from-aws.md` maps every AWS counterpart this provider has: each
//! `aws_vpc_ipam*` name appears with its local name, and every argument and attribute of the
//! local schema is named in the guide.

use ipam::provider::IpamProvider;
use tfplug::{Provider, Schema};

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

fn names(s: &Schema) -> Vec<String> {
    let mut out: Vec<String> = s.attributes.iter().map(|a| a.name.clone()).collect();
    for b in &s.blocks {
        out.push(b.name.clone());
        out.extend(b.schema.attributes.iter().map(|a| a.name.clone()));
    }
    out
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
    let resources = p.resources();
    let data = p.data_sources();
    for (aws, local, is_data) in PAIRS {
        assert!(
            guide.contains(&format!("`{aws}`")),
            "{aws} is not in the guide"
        );
        assert!(
            guide.contains(&format!("`{local}`")),
            "{local} is not in the guide"
        );
        let schema = if *is_data {
            data.iter()
                .find(|d| d.type_name() == *local)
                .map(|d| d.schema())
        } else {
            resources
                .iter()
                .find(|r| r.type_name() == *local)
                .map(|r| r.schema())
        }
        .unwrap_or_else(|| panic!("{local} is not registered"));
        for n in names(&schema) {
            assert!(mentions(&guide, &n), "{local}: `{n}` is not in the guide");
        }
    }
}
