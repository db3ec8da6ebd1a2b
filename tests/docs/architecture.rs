//! ARCHITECTURE.md's crate invariants, checked against the tree, so that a change that breaks
//! one fails here rather than in a review:
//!
//! - only the database crate depends on a database driver, also for tests (which attack a
//!   database from outside through `ipam_db::drivers`, as another client would);
//! - the engine depends on nothing that does I/O;
//! - nothing below the provider depends on the plugin SDK;
//! - core's text never names a Terraform resource, data source or attribute-setting advice,
//!   nor a Terraform command: it states facts, the provider words them.

use ipam::provider::IpamProvider;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tfplug::Provider;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The crate names under `[dependencies]` of a manifest (not dev- or build-dependencies).
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    section(manifest, "[dependencies]")
}

/// The crate names under one dependency `table` of a manifest.
fn section(manifest: &Path, table: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut inside = false;
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == table;
            continue;
        }
        if !inside || line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            names.insert(name.trim().to_string());
        }
    }
    names
}

const DRIVERS: [&str; 5] = [
    "rusqlite",
    "tokio-postgres",
    "postgres",
    "tokio-postgres-rustls",
    "libsqlite3-sys",
];

fn manifests() -> Vec<(String, PathBuf)> {
    let mut all = vec![(
        "terraform-provider-ipam".to_string(),
        root().join("Cargo.toml"),
    )];
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        all.push((name, dir.join("Cargo.toml")));
    }
    all.push(("tfplug".into(), root().join("tfplug/Cargo.toml")));
    all
}

#[test]
fn only_the_database_crate_names_a_driver() {
    let mut seen = Vec::new();
    for (name, manifest) in manifests() {
        // Tests too reach a driver only through the database crate (`ipam_db::drivers`).
        let mut deps = dependencies(&manifest);
        deps.extend(section(&manifest, "[dev-dependencies]"));
        let drivers: Vec<&str> = DRIVERS
            .iter()
            .copied()
            .filter(|d| deps.contains(*d))
            .collect();
        if name == "db" {
            assert!(
                drivers.contains(&"rusqlite") && drivers.contains(&"tokio-postgres"),
                "the db crate is where the drivers are: {drivers:?}"
            );
        } else if !drivers.is_empty() {
            seen.push(format!("{name}: {drivers:?}"));
        }
    }
    assert!(seen.is_empty(), "drivers outside crates/db: {seen:?}");
}

#[test]
fn the_engine_does_no_io_and_nothing_below_the_provider_knows_the_plugin_sdk() {
    let engine = dependencies(&root().join("crates/engine/Cargo.toml"));
    let allowed: BTreeSet<String> = ["ipnet", "thiserror"].map(String::from).into();
    assert!(
        engine.is_subset(&allowed),
        "the engine depends on {engine:?}; only {allowed:?} are pure"
    );
    for name in ["engine", "db", "discovery", "core"] {
        let deps = dependencies(&root().join("crates").join(name).join("Cargo.toml"));
        for forbidden in ["tfplug", "tonic", "axum", "maud"] {
            assert!(
                !deps.contains(forbidden),
                "crates/{name} depends on {forbidden}"
            );
        }
    }
    let core = dependencies(&root().join("crates/core/Cargo.toml"));
    assert!(
        !core.contains("tokio"),
        "core is synchronous: the database crate drives its own runtime"
    );
}

/// The string literals of a Rust file, comments left out (good enough for this tree's code:
/// no raw strings hold messages).
fn literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let Some(end) = end else { break };
            out.push(after[..end].to_string());
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn core_words_no_terraform_attribute_or_remedy() {
    let p = IpamProvider::new();
    let mut names: BTreeSet<String> = p
        .resources()
        .iter()
        .map(|r| r.type_name().to_string())
        .collect();
    names.extend(p.data_sources().iter().map(|d| d.type_name().to_string()));
    // `ipam` alone is also the word for the thing itself; the other names are Terraform's.
    names.retain(|n| n.contains('_'));
    // Attribute names, as a remedy writes them: `set x`, `x =`, or `x` in backticks.
    let mut attributes = BTreeSet::new();
    for r in p.resources() {
        collect_attributes(&r.schema(), &mut attributes);
    }
    let dir = root().join("crates/core/src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        // Unit tests may say what they like.
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        for text in literals(code) {
            // SQL names its columns; a message is what a person reads.
            let sql = [
                "SELECT ", "UPDATE ", "INSERT ", "DELETE ", "WITH ", "CREATE ", "ALTER ",
            ];
            if sql.iter().any(|k| text.trim_start().starts_with(k)) {
                continue;
            }
            let lower = text.to_lowercase();
            let named = names.iter().find(|n| {
                lower
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == n.as_str())
            });
            let advice = [
                "terraform plan",
                "terraform apply",
                "depends_on",
                "cascade = true",
                "set cascade",
                "terraform-provider-ipam ",
            ]
            .iter()
            .find(|a| lower.contains(*a));
            let attribute = attributes.iter().find(|a| {
                lower.contains(&format!("set {a}"))
                    || lower.contains(&format!("{a} ="))
                    || lower.contains(&format!("`{a}`"))
            });
            if let Some(what) = named
                .map(String::as_str)
                .or(advice.copied())
                .or(attribute.map(String::as_str))
            {
                found.push(format!(
                    "{}: {what:?} in {text:?}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "core words what only the provider should:\n{}",
        found.join("\n")
    );
}

/// Every attribute name of `schema` and its nested blocks that has an underscore (the others,
/// `cidr` or `name`, are also plain words).
fn collect_attributes(schema: &tfplug::Schema, out: &mut BTreeSet<String>) {
    for a in &schema.attributes {
        if a.name.contains('_') {
            out.insert(a.name.to_string());
        }
    }
    for b in &schema.blocks {
        if b.name.contains('_') {
            out.insert(b.name.to_string());
        }
        collect_attributes(&b.schema, out);
    }
}
