//! Terraform's planning rules, applied for every resource before its own plan hook runs.
//!
//! Terraform accepts a plan only if it equals the configuration except where attributes are
//! computed, and an apply result only if it equals every known planned value. Doing the
//! bookkeeping here once means no resource can get it wrong. Values with a provider-supplied
//! meaning ([`crate::rules::Meaning`]) are compared by meaning: a new spelling of the same
//! value neither replaces the resource nor unknowns its computed attributes.

use crate::path::AttributePath;
use crate::rules::same;
use crate::schema::Schema;
use crate::value::Value;

/// The default plan: `proposed` is what Terraform suggests (configuration merged with prior
/// state for computed attributes the configuration leaves out).
pub fn default_plan(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> (Value, Vec<AttributePath>) {
    if proposed.is_null() {
        return (Value::Null, Vec::new());
    }
    let mut planned = proposed.clone();
    let config_null = |name: &str| config.get(name).is_none_or(Value::is_null);

    if prior.is_null() {
        for a in schema.attributes.iter().filter(|a| a.is_computed()) {
            if config_null(&a.name) {
                let v = a.default.clone().unwrap_or(Value::Unknown);
                planned.set_attr(&a.name, v);
            }
        }
        return (planned, Vec::new());
    }

    for a in schema.attributes.iter().filter(|a| a.default.is_some()) {
        if config_null(&a.name) {
            planned.set_attr(&a.name, a.default.clone().unwrap_or(Value::Null));
        }
    }

    // Anything the user controls that differs from the prior state makes this an update; only
    // then may computed values change.
    let changed = schema.attributes.iter().any(|a| {
        let user_set = !a.is_computed() || !config_null(&a.name) || a.default.is_some();
        user_set && !same(a, planned.get(&a.name), prior.get(&a.name))
    }) || schema
        .blocks
        .iter()
        .any(|b| planned.get(&b.name) != prior.get(&b.name));

    if changed {
        for a in schema.attributes.iter().filter(|a| a.is_computed()) {
            if config_null(&a.name) && a.default.is_none() && !a.use_state_for_unknown {
                planned.set_attr(&a.name, Value::Unknown);
            }
        }
    }

    let requires_replace = schema
        .attributes
        .iter()
        .filter(|a| a.requires_replace && !same(a, planned.get(&a.name), prior.get(&a.name)))
        .map(|a| AttributePath::attr(&a.name))
        .collect();
    (planned, requires_replace)
}

/// Where an apply result breaks the plan: the first known planned value the result changed.
pub fn check_apply(planned: &Value, result: &Value) -> Option<(AttributePath, String)> {
    fn walk(p: &Value, r: &Value, path: AttributePath) -> Option<(AttributePath, String)> {
        if p.is_unknown() {
            return (!r.is_wholly_known())
                .then(|| (path, "is still unknown after apply".to_string()));
        }
        match (p, r) {
            (Value::Object(pm), Value::Object(rm)) => {
                for (k, pv) in pm {
                    let rv = rm.get(k).unwrap_or(&Value::Null);
                    if let Some(bad) = walk(pv, rv, path.clone().then_attr(k)) {
                        return Some(bad);
                    }
                }
                None
            }
            (Value::List(pl), Value::List(rl)) if pl.len() == rl.len() => pl
                .iter()
                .zip(rl)
                .enumerate()
                .find_map(|(i, (pv, rv))| walk(pv, rv, path.clone().then_index(i as i64))),
            (Value::Map(pm), Value::Map(rm)) if pm.len() == rm.len() => {
                for (k, pv) in pm {
                    let rv = rm.get(k)?;
                    if let Some(bad) = walk(pv, rv, path.clone().then_key(k)) {
                        return Some(bad);
                    }
                }
                None
            }
            _ if p.is_wholly_known() => (p != r).then(|| {
                (
                    path,
                    format!("was planned as {p:?} but apply produced {r:?}"),
                )
            }),
            // A collection holding unknowns: its known elements cannot be matched one by one.
            _ => None,
        }
    }
    walk(planned, result, AttributePath::root())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;
    use crate::value::Type;

    fn schema() -> Schema {
        Schema::new()
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
            .attribute(Attribute::computed("count", Type::Number))
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("description", Type::String))
            .attribute(Attribute::optional("cascade", Type::Bool).default(Value::Bool(false)))
            .attribute(Attribute::optional_computed("size", Type::Number))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        schema().complete(Value::object(pairs.iter().cloned()))
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = obj(&[("name", "a".into())]);
        let (planned, rr) = default_plan(&schema(), &Value::Null, &config, &config);
        assert!(rr.is_empty());
        assert_eq!(planned.get("id"), Some(&Value::Unknown));
        assert_eq!(planned.get("size"), Some(&Value::Unknown));
        assert_eq!(planned.get("cascade"), Some(&Value::Bool(false)));
        assert_eq!(planned.get("description"), Some(&Value::Null));
    }

    #[test]
    fn unchanged_update_keeps_prior_values() {
        let prior = obj(&[
            ("id", "x".into()),
            ("count", Value::number(2)),
            ("name", "a".into()),
            ("cascade", false.into()),
            ("size", Value::number(20)),
        ]);
        let config = obj(&[("name", "a".into())]);
        let mut proposed = prior.clone();
        proposed.set_attr("cascade", Value::Null);
        let (planned, rr) = default_plan(&schema(), &prior, &proposed, &config);
        assert_eq!(planned, prior);
        assert!(rr.is_empty());
    }

    #[test]
    fn changed_update_unknowns_computed_except_use_state() {
        let prior = obj(&[
            ("id", "x".into()),
            ("count", Value::number(2)),
            ("name", "a".into()),
            ("cascade", false.into()),
            ("size", Value::number(20)),
        ]);
        let config = obj(&[("name", "b".into()), ("description", "new".into())]);
        let mut proposed = prior.clone();
        proposed.set_attr("name", "b".into());
        proposed.set_attr("description", "new".into());
        let (planned, rr) = default_plan(&schema(), &prior, &proposed, &config);
        assert_eq!(planned.get("id"), Some(&Value::string("x")));
        assert_eq!(planned.get("count"), Some(&Value::Unknown));
        assert_eq!(planned.get("size"), Some(&Value::Unknown));
        assert_eq!(rr, vec![AttributePath::attr("name")]);
    }

    #[test]
    fn a_new_spelling_of_the_same_value_replaces_nothing() {
        use crate::rules::Meaning;
        const CASELESS: Meaning = Meaning {
            name: "a caseless word",
            canonical: |s| Ok(s.to_lowercase()),
        };
        let s = Schema::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(
                Attribute::required("word", Type::String)
                    .requires_replace()
                    .meaning(CASELESS),
            );
        let prior = s.complete(Value::object([("id", "x".into()), ("word", "ABC".into())]));
        let config = s.complete(Value::object([("word", "abc".into())]));
        let mut proposed = prior.clone();
        proposed.set_attr("word", "abc".into());
        let (planned, rr) = default_plan(&s, &prior, &proposed, &config);
        assert!(rr.is_empty());
        assert_eq!(
            planned.get("id"),
            Some(&Value::string("x")),
            "not an update"
        );
        proposed.set_attr("word", "abd".into());
        let (_, rr) = default_plan(&s, &prior, &proposed, &config);
        assert_eq!(rr, vec![AttributePath::attr("word")]);
    }

    #[test]
    fn destroy_plans_null() {
        let prior = obj(&[("name", "a".into())]);
        let (planned, _) = default_plan(&schema(), &prior, &Value::Null, &Value::Null);
        assert!(planned.is_null());
    }

    #[test]
    fn apply_check_names_the_attribute() {
        let planned = obj(&[("name", "a".into()), ("id", Value::Unknown)]);
        let ok = obj(&[("name", "a".into()), ("id", "x".into())]);
        assert_eq!(check_apply(&planned, &ok), None);
        let bad = obj(&[("name", "b".into()), ("id", "x".into())]);
        assert_eq!(
            check_apply(&planned, &bad).map(|(p, _)| p.to_string()),
            Some("name".into())
        );
        let unknown = obj(&[("name", "a".into()), ("id", Value::Unknown)]);
        assert_eq!(
            check_apply(&planned, &unknown).map(|(p, _)| p.to_string()),
            Some("id".into())
        );
    }
}
