//! AWS-style `filter { name = "..." values = [...] }` blocks for the data sources: an object
//! matches when, for every filter, one of its values for that name matches one of the filter's
//! values. Values may use AWS's wildcards: `*` (any run of characters) and `?` (one).

use super::attrs::{string, strings};
use super::errors::Failure;
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
        have.iter().any(|h| f.values.iter().any(|p| glob(p, h)))
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

/// AWS's filter wildcards: `*` any run of characters, `?` exactly one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn wildcards() {
        assert!(glob("*test*", "a test pool"));
        assert!(glob("ipv4", "ipv4"));
        assert!(!glob("ipv4", "ipv6"));
        assert!(glob("10.*", "10.0.0.0/16"));
        assert!(glob("us-east-?", "us-east-1"));
        assert!(!glob("us-east-?", "us-east-10"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acd"));
    }
}
