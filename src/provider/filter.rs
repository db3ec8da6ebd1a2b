//! AWS-style `filter { name = "..." values = [...] }` blocks for the data sources: an object
//! matches when, for every filter, one of its values for that name matches one of the filter's
//! values. Values may use AWS's wildcards: `*` (any run of characters) and `?` (one).

use super::attrs::{string, strings};
use super::errors::Failure;
use crate::discovery::glob;
use tfplug::{Attribute, Block, Diagnostics, Schema, Type, Value};

/// One filter block.
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// The filter names a data source understands: fixed names, and whether tag filters
/// (`tag:<key>`, AWS's `tags.<key>`, `tag-key`) apply.
pub struct Names {
    pub plain: &'static [&'static str],
    pub tags: bool,
}

impl Names {
    pub fn knows(&self, name: &str) -> bool {
        self.plain.contains(&name)
            || (self.tags
                && (name == "tag-key" || name.starts_with("tag:") || name.starts_with("tags.")))
    }

    /// The names as a message lists them.
    pub fn describe(&self) -> String {
        let mut all: Vec<String> = self.plain.iter().map(|n| format!("\"{n}\"")).collect();
        if self.tags {
            all.push("\"tag:<key>\" (or \"tags.<key>\")".into());
            all.push("\"tag-key\"".into());
        }
        match all.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => all.concat(),
        }
    }
}

/// The `filter` block, with the names this data source understands.
pub fn filter_block(names: &Names) -> Block {
    let names = names.describe();
    Block::list(
        "filter",
        Schema::new()
            .description(
                "AWS-style filters: an object matches when it passes every `filter` block.",
            )
            .attribute(
                Attribute::required("name", Type::String)
                    .description(&format!("What to filter on: {names}.")),
            )
            .attribute(
                Attribute::required("values", Type::set(Type::String)).description(
                    "Any of these values matches; `*` and `?` are wildcards, as in AWS.",
                ),
            ),
    )
}

pub fn filters(config: &Value) -> Vec<Filter> {
    config
        .get("filter")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|f| {
            Some(Filter {
                name: string(f, "name")?,
                values: strings(f, "values"),
            })
        })
        .collect()
}

/// Reports each filter whose name the data source does not know.
pub fn check_names(config: &Value, names: &Names, diags: &mut Diagnostics) {
    for f in filters(config) {
        if !names.knows(&f.name) {
            Failure::at(
                "filter",
                "Unknown filter",
                format!(
                    "{:?} is not a filter name here: use {}.",
                    f.name,
                    names.describe()
                ),
            )
            .report(diags);
        }
    }
}

/// Whether an object, whose values for a filter name `field` gives, passes every filter.
pub fn matches(filters: &[Filter], field: impl Fn(&str) -> Option<Vec<String>>) -> bool {
    filters.iter().all(|f| {
        let have = field(&f.name).unwrap_or_default();
        have.iter()
            .any(|h| f.values.iter().any(|p| glob::matches(p, h)))
    })
}

/// The values of a tag filter name (`tag:<key>`, AWS's `tags.<key>`, `tag-key`), if it is one.
pub fn tag_field(name: &str, tags: &crate::store::Tags) -> Option<Vec<String>> {
    if name == "tag-key" {
        return Some(tags.keys().cloned().collect());
    }
    let key = name
        .strip_prefix("tag:")
        .or_else(|| name.strip_prefix("tags."))?;
    Some(tags.get(key).cloned().into_iter().collect())
}
