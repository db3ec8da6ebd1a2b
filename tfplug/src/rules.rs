//! Attribute-level rules a schema states once and tfplug enforces on every call: declarative
//! checks run at validate, a provider-supplied meaning ([`Meaning`]) compares values by what
//! they mean rather than how they are spelled, config-only attributes echo the plan, and an
//! empty collection keeps the null or `{}` form the configuration gave it.
//!
//! Terraform compares plan, apply result and refreshed state by exact value. A provider that
//! stores a canonical form (say, a lower-case address) would otherwise hand back a value that
//! differs from the plan, and Terraform taints the resource. [`settle`] puts the reference
//! spelling back wherever the meaning is the same, so resources return what they store.

use crate::diagnostics::Diagnostics;
use crate::path::AttributePath;
use crate::schema::{Attribute, Schema};
use crate::value::Value;
use std::collections::BTreeSet;
use std::fmt;

/// How a provider reads the meaning of a string attribute (or of each element of a collection
/// of strings): the canonical spelling, or why the text is not a value of this kind, saying
/// what to write instead. tfplug knows nothing of what the strings are; the provider does.
#[derive(Clone, Copy)]
pub struct Meaning {
    /// What values of this kind are, for messages and debugging ("a CIDR block").
    pub name: &'static str,
    pub canonical: fn(&str) -> Result<String, String>,
}

impl Meaning {
    /// Whether `a` and `b` are known and mean the same (the same set, for a set of strings).
    pub fn same(&self, a: &Value, b: &Value) -> bool {
        match (self.of(a), self.of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    /// The canonical form of a wholly known value, for comparison: `None` when some part does
    /// not parse or is unknown.
    fn of(&self, v: &Value) -> Option<Canonical> {
        match v {
            Value::String(s) => (self.canonical)(s).ok().map(Canonical::One),
            Value::Set(items) => items
                .iter()
                .map(|i| i.as_str().and_then(|s| (self.canonical)(s).ok()))
                .collect::<Option<BTreeSet<_>>>()
                .map(Canonical::Set),
            Value::List(items) => items
                .iter()
                .map(|i| i.as_str().and_then(|s| (self.canonical)(s).ok()))
                .collect::<Option<Vec<_>>>()
                .map(Canonical::List),
            _ => None,
        }
    }
}

#[derive(PartialEq, Eq)]
enum Canonical {
    One(String),
    Set(BTreeSet<String>),
    List(Vec<String>),
}

impl PartialEq for Meaning {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meaning({})", self.name)
    }
}

/// A test on a string, with what a passing value looks like (for the message).
#[derive(Clone, Copy)]
pub struct Pattern {
    /// Completes "does not look like …", e.g. "a region name, such as \"us-east-1\"".
    pub looks_like: &'static str,
    pub test: fn(&str) -> bool,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.looks_like == other.looks_like
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({})", self.looks_like)
    }
}

/// A declarative check on an attribute's known value. String checks apply to a string, to each
/// element of a list or set, and to each value of a map; `Size` to the number of elements;
/// `KeyLength` to a map's keys. Each has one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// A whole number from `min` to `max`; `what` names it ("a prefix length").
    IntRange {
        min: i64,
        max: i64,
        what: &'static str,
    },
    /// A number (fractions allowed) from `min` to `max`.
    NumberRange {
        min: f64,
        max: f64,
        what: &'static str,
    },
    /// One of the listed strings; `what` names them ("an address family").
    OneOf {
        allowed: &'static [&'static str],
        what: &'static str,
    },
    /// A string of `min` to `max` characters.
    Length { min: usize, max: usize },
    /// Map keys of `min` to `max` characters.
    KeyLength { min: usize, max: usize },
    /// A collection of `min` to `max` elements.
    Size { min: usize, max: usize },
    /// A string passing the pattern's test.
    Matches(Pattern),
}

impl Check {
    /// The message for `v`, or `None` when it passes. `name` is the attribute's name.
    fn message(&self, name: &str, v: &Value) -> Option<String> {
        match (self, v) {
            (Check::IntRange { min, max, what }, Value::Number(n)) => match n.to_i64() {
                Some(i) if (*min..=*max).contains(&i) => None,
                _ => Some(format!(
                    "{n} is not {what}: use a whole number from {min} to {max}."
                )),
            },
            (Check::NumberRange { min, max, what }, Value::Number(n)) => {
                let f = n.to_f64();
                (!(*min..=*max).contains(&f))
                    .then(|| format!("{n} is not {what}: use a number from {min} to {max}."))
            }
            (Check::OneOf { allowed, what }, Value::String(s)) => (!allowed.contains(&s.as_str()))
                .then(|| {
                    let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
                    format!("{s:?} is not {what}: use {}.", or_list(&list))
                }),
            (Check::Length { min, max }, Value::String(s)) => {
                let n = s.chars().count();
                (!(*min..=*max).contains(&n)).then(|| {
                    format!("{s:?} is {n} characters long: {name} takes {min} to {max} characters.")
                })
            }
            (Check::Matches(p), Value::String(s)) => {
                (!(p.test)(s)).then(|| format!("{s:?} does not look like {}.", p.looks_like))
            }
            (Check::Size { min, max }, Value::List(v) | Value::Set(v)) => {
                size_message(name, v.len(), *min, *max)
            }
            (Check::Size { min, max }, Value::Map(m)) => size_message(name, m.len(), *min, *max),
            _ => None,
        }
    }
}

fn size_message(name: &str, n: usize, min: usize, max: usize) -> Option<String> {
    if n < min && n == 0 {
        Some(format!(
            "{name} is empty: give at least {min} element(s), or leave {name} out."
        ))
    } else if n < min {
        Some(format!("{name} has {n} element(s): give at least {min}."))
    } else if n > max {
        Some(format!(
            "{name} has {n} elements: at most {max} are allowed."
        ))
    } else {
        None
    }
}

fn or_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Runs every attribute's checks and meaning, and the schema's exactly-one-of groups, over a
/// configuration. Unknown values are skipped (checked again when known); null values too.
pub fn validate(schema: &Schema, config: &Value, diags: &mut Diagnostics) {
    validate_at(schema, config, &AttributePath::root(), diags);
}

/// [`validate`] for the object at `base`: the top of a resource, or one nested block, whose
/// attributes are checked by the same rules (a block in a set is addressed by the block's
/// name: Terraform cannot point at a set element).
fn validate_at(schema: &Schema, config: &Value, base: &AttributePath, diags: &mut Diagnostics) {
    for a in &schema.attributes {
        let Some(v) = config.get(&a.name) else {
            continue;
        };
        check_attribute(a, v, base, diags);
    }
    for b in &schema.blocks {
        let Some(items) = config.get(&b.name).and_then(Value::as_list) else {
            if let Some(single) = config.get(&b.name).filter(|v| v.is_known() && !v.is_null()) {
                validate_at(&b.schema, single, &base.clone().then_attr(&b.name), diags);
            }
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let at = match b.nesting {
                crate::schema::Nesting::List => {
                    base.clone().then_attr(&b.name).then_index(i as i64)
                }
                _ => base.clone().then_attr(&b.name),
            };
            validate_at(&b.schema, item, &at, diags);
        }
    }
    if !base.0.is_empty() {
        return;
    }
    for group in &schema.exactly_one_of {
        let set: Vec<&String> = group
            .iter()
            .filter(|n| config.get(n).is_some_and(|v| !v.is_null()))
            .collect();
        let names = or_list(group);
        let message = format!("Set exactly one of {names}.");
        match set.as_slice() {
            [] => diags.error(format!("Missing {names}"), message),
            [_] => {}
            [_, second, ..] => {
                diags.error_at(second.as_str(), format!("Conflicting {names}"), message)
            }
        }
    }
}

fn check_attribute(a: &Attribute, v: &Value, base: &AttributePath, diags: &mut Diagnostics) {
    if v.is_null() || v.is_unknown() {
        return;
    }
    let summary = format!("Invalid {}", a.name);
    let at = base.clone().then_attr(&a.name);
    let mut fail = |path: AttributePath, message: String| {
        diags.error_at(path, summary.clone(), message);
    };
    // The strings a string check and the meaning apply to, each with its own path.
    let mut strings: Vec<(AttributePath, &Value)> = Vec::new();
    match v {
        Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                strings.push((at.clone().then_index(i as i64), x));
            }
        }
        // Terraform addresses set elements by value, which it cannot show: the attribute.
        Value::Set(items) => strings.extend(items.iter().map(|x| (at.clone(), x))),
        Value::Map(m) => {
            for (k, x) in m {
                let key_path = at.clone().then_key(k);
                for c in &a.checks {
                    if let Check::KeyLength { min, max } = c {
                        let n = k.chars().count();
                        if !(*min..=*max).contains(&n) {
                            fail(
                                key_path.clone(),
                                format!("The key {k:?} is {n} characters long: keys of {} take {min} to {max} characters.", a.name),
                            );
                        }
                    }
                }
                strings.push((key_path, x));
            }
        }
        _ => strings.push((at.clone(), v)),
    }
    for c in &a.checks {
        if matches!(c, Check::Size { .. }) {
            if let Some(m) = c.message(&a.name, v) {
                fail(at.clone(), m);
            }
        }
    }
    for (path, x) in strings {
        if !x.is_known() || x.is_null() {
            continue;
        }
        for c in a.checks.iter().filter(|c| !matches!(c, Check::Size { .. })) {
            if let Some(m) = c.message(&a.name, x) {
                fail(path.clone(), m);
            }
        }
        if let (Some(meaning), Value::String(s)) = (&a.meaning, x) {
            if let Err(m) = (meaning.canonical)(s) {
                fail(path, m);
            }
        }
    }
}

/// Brings a resource's result in line with `reference` (the plan after apply, the prior state
/// after read) wherever the two mean the same: values with a [`Meaning`] keep the reference
/// spelling, an empty collection keeps the reference's null or empty form, and config-only
/// attributes take the reference's value (their default when it has none, as after import).
pub fn settle(schema: &Schema, result: &mut Value, reference: &Value) {
    settle_against(schema, result, reference, false)
}

/// [`settle`] for a data source, whose reference is its configuration: an attribute only the
/// provider sets is null there whatever the provider found, so an empty result stays empty
/// (`[]`, `{}`), as users test for (`length(data.x.items) == 0`), rather than becoming null.
pub fn settle_data_source(schema: &Schema, result: &mut Value, config: &Value) {
    settle_against(schema, result, config, true)
}

fn settle_against(schema: &Schema, result: &mut Value, reference: &Value, data_source: bool) {
    for b in schema.blocks.iter().filter(|b| b.config_only) {
        match reference.get(&b.name) {
            Some(r) if r.is_wholly_known() => result.set_attr(&b.name, r.clone()),
            _ => {}
        }
    }
    for a in &schema.attributes {
        let r = reference.get(&a.name).unwrap_or(&Value::Null);
        if a.config_only {
            let v = if r.is_null() || !r.is_known() {
                a.default.clone().unwrap_or(Value::Null)
            } else {
                r.clone()
            };
            result.set_attr(&a.name, v);
            continue;
        }
        if !r.is_wholly_known() {
            continue;
        }
        let Some(got) = result.get(&a.name) else {
            continue;
        };
        if got == r {
            continue;
        }
        let same = match &a.meaning {
            Some(m) => m.same(got, r),
            None => false,
        } || (is_empty_collection(got)
            && is_empty_collection(r)
            && !(data_source && a.mode == crate::schema::Mode::Computed));
        if same {
            result.set_attr(&a.name, r.clone());
        }
    }
}

/// Null or a collection without elements: the two spellings of "none" in a configuration.
fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// Whether two values of attribute `a` are the same for planning: equal, or meaning the same.
pub fn same(a: &Attribute, x: Option<&Value>, y: Option<&Value>) -> bool {
    let (x, y) = (x.unwrap_or(&Value::Null), y.unwrap_or(&Value::Null));
    x == y || a.meaning.is_some_and(|m| m.same(x, y))
}

/// After a resource refined its plan: where the configuration gave a value and the plan holds
/// one that means the same, the plan carries the configuration's spelling (Terraform requires
/// a planned value to equal a configured one).
pub fn keep_config_spelling(schema: &Schema, planned: &mut Value, config: &Value) {
    for a in schema.attributes.iter().filter(|a| a.meaning.is_some()) {
        let Some(c) = config.get(&a.name).filter(|c| !c.is_null()) else {
            continue;
        };
        if same(a, planned.get(&a.name), Some(c)) {
            planned.set_attr(&a.name, c.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Type;

    fn lower(s: &str) -> Result<String, String> {
        if s.trim() != s {
            return Err(format!("{s:?} has spaces around it"));
        }
        Ok(s.to_lowercase())
    }

    const LOWER: Meaning = Meaning {
        name: "a case-insensitive word",
        canonical: lower,
    };

    fn schema() -> Schema {
        Schema::new()
            .attribute(Attribute::optional("word", Type::String).meaning(LOWER))
            .attribute(Attribute::optional("words", Type::set(Type::String)).meaning(LOWER))
            .attribute(
                Attribute::optional("tags", Type::map(Type::String))
                    .check(Check::Size { min: 0, max: 2 }),
            )
            .attribute(
                Attribute::optional("cascade", Type::Bool)
                    .default(Value::Bool(false))
                    .config_only(),
            )
            .attribute(
                Attribute::optional("n", Type::Number).check(Check::IntRange {
                    min: 0,
                    max: 32,
                    what: "a prefix length",
                }),
            )
            .exactly_one_of(&["word", "n"])
            .block(
                crate::schema::Block::list(
                    "proof",
                    Schema::new().attribute(Attribute::optional("text", Type::String)),
                )
                .config_only(),
            )
    }

    #[test]
    fn settle_keeps_spelling_empty_form_and_config_only_values() {
        let s = schema();
        let reference = s.complete(Value::object([
            ("word", Value::string("ABC")),
            (
                "words",
                Value::set([Value::string("X"), Value::string("y")]),
            ),
            ("tags", Value::map::<String>([])),
            ("cascade", Value::Bool(true)),
            (
                "proof",
                Value::list([Value::object([("text", Value::string("signed"))])]),
            ),
        ]));
        let mut result = s.complete(Value::object([
            ("word", Value::string("abc")),
            (
                "words",
                Value::set([Value::string("x"), Value::string("y")]),
            ),
        ]));
        settle(&s, &mut result, &reference);
        assert_eq!(result, reference);
        // A different meaning is not papered over.
        let mut other = s.complete(Value::object([("word", Value::string("abd"))]));
        settle(&s, &mut other, &reference);
        assert_eq!(other.get("word"), Some(&Value::string("abd")));
        // No reference value for a config-only attribute (import): its default.
        let mut imported = s.complete(Value::object([("word", Value::string("a"))]));
        settle(&s, &mut imported, &Value::Null);
        assert_eq!(imported.get("cascade"), Some(&Value::Bool(false)));
    }

    #[test]
    fn a_data_source_keeps_an_empty_result_of_what_only_it_sets() {
        let s = Schema::new()
            .attribute(Attribute::optional("names", Type::list(Type::String)))
            .attribute(Attribute::computed("found", Type::list(Type::String)));
        let config = s.complete(Value::object([("names", Value::Null)]));
        let mut result = s.complete(Value::object([
            ("names", Value::list(Vec::<Value>::new())),
            ("found", Value::list(Vec::<Value>::new())),
        ]));
        settle_data_source(&s, &mut result, &config);
        // What the user may write keeps the user's form; what only the provider sets stays [].
        assert_eq!(result.get("names"), Some(&Value::Null));
        assert_eq!(result.get("found"), Some(&Value::list(Vec::<Value>::new())));
        // A resource's result settles to its reference either way.
        let mut resource = result.clone();
        settle(&s, &mut resource, &config);
        assert_eq!(resource.get("found"), Some(&Value::Null));
    }

    #[test]
    fn checks_and_meaning_report_on_the_attribute() {
        let s = schema();
        let mut d = Diagnostics::new();
        let config = s.complete(Value::object([
            ("word", Value::string(" a")),
            ("n", Value::number(33)),
            (
                "tags",
                Value::map([("a", "1".into()), ("b", "2".into()), ("c", "3".into())]),
            ),
        ]));
        validate(&s, &config, &mut d);
        let text = format!("{d:?}");
        assert!(text.contains("has spaces around it"), "{text}");
        assert!(text.contains("33 is not a prefix length: use a whole number from 0 to 32"));
        assert!(text.contains("tags has 3 elements: at most 2 are allowed"));
        assert!(text.contains("Set exactly one of word or n."), "{text}");
        let mut d = Diagnostics::new();
        validate(&s, &s.complete(Value::Null), &mut d);
        assert!(format!("{d:?}").contains("Missing word or n"));
    }

    #[test]
    fn checks_run_inside_blocks_at_the_element() {
        let s = Schema::new().block(crate::schema::Block::list(
            "filter",
            Schema::new().attribute(Attribute::required("name", Type::String).check(
                Check::OneOf {
                    allowed: &["a", "b"],
                    what: "a filter name",
                },
            )),
        ));
        let config = s.complete(Value::object([(
            "filter",
            Value::list([
                Value::object([("name", Value::string("a"))]),
                Value::object([("name", Value::string("z"))]),
            ]),
        )]));
        let mut d = Diagnostics::new();
        validate(&s, &config, &mut d);
        let text = format!("{d:?}");
        assert!(text.contains("is not a filter name"), "{text}");
        assert!(text.contains("Index(1)"), "{text}");
        assert_eq!(d.0.len(), 1, "{text}");
    }

    #[test]
    fn keep_config_spelling_after_a_plan_hook() {
        let s = schema();
        let config = s.complete(Value::object([("word", Value::string("ABC"))]));
        let mut planned = config.clone();
        planned.set_attr("word", Value::string("abc"));
        keep_config_spelling(&s, &mut planned, &config);
        assert_eq!(planned.get("word"), Some(&Value::string("ABC")));
    }
}
