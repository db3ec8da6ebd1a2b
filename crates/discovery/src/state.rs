//! Reading a Terraform state, in either of the two forms Terraform writes it: a
//! `terraform.tfstate` of format version 4 (also what `terraform state pull` prints) or the
//! output of `terraform show -json` (format 1.x, whose resources sit in a root module and its
//! child modules). This is the one place that walks them: discovery takes the network
//! resources' attributes from the [`Instance`]s, and `orphans --state` every id ([`ids`]).
//!
//! Only the top level and each resource's envelope are decoded here; the attributes stay raw
//! for the caller to decode as far as it needs (a 100,000-resource state is read in a fraction
//! of a second). Errors are typed; the callers word them.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashSet;

/// Why bytes are not a state this module reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// Nothing but white space (what a killed Terraform can leave).
    Empty,
    /// Not JSON at all, or cut short; the parser's reason.
    NotJson(String),
    /// JSON, but with neither `"version"` (a state file) nor `"format_version"` (`show -json`).
    Neither,
    /// A state file of another format version than 4 (the value as written).
    Version(String),
    /// `show -json` output of a format other than 1.x (the value as written).
    ShowFormat(String),
    /// The named part (`resources`) is not a list.
    NotAList(&'static str),
    /// The named part is not as Terraform writes it; the parser's reason.
    Invalid { what: String, reason: String },
}

/// One resource instance of a state: for `show -json` each resource entry, for a state file
/// each element of a resource's `instances`.
#[derive(Debug)]
pub struct Instance<'a> {
    /// `managed` or `data`.
    pub mode: Cow<'a, str>,
    /// The resource type, e.g. `aws_vpc`.
    pub ty: Cow<'a, str>,
    /// The resource name in the configuration.
    pub name: Cow<'a, str>,
    /// The provider's address as the state writes it.
    pub provider: Cow<'a, str>,
    /// The attribute values (a state file's `attributes`, `show -json`'s `values`), undecoded.
    pub attributes: Option<&'a RawValue>,
}

/// The top level of a state, each part left raw until the format is known. A caller that
/// reads other formats too (discovery reads AWS CLI output) decodes its own top level and
/// fills this from it, so the document is scanned once.
#[derive(Default, Deserialize)]
pub struct Top<'a> {
    #[serde(borrow)]
    pub version: Option<&'a RawValue>,
    #[serde(borrow)]
    pub format_version: Option<&'a RawValue>,
    #[serde(borrow)]
    pub resources: Option<&'a RawValue>,
    #[serde(borrow)]
    pub values: Option<&'a RawValue>,
}

/// The resource instances of the state in `bytes`, in the order the state lists them.
pub fn read(bytes: &[u8]) -> Result<Vec<Instance<'_>>, StateError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StateError::Empty);
    }
    let top: Top<'_> = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        // Valid JSON of another shape (a list, a string).
        serde_json::error::Category::Data => StateError::Neither,
        _ => StateError::NotJson(e.to_string()),
    })?;
    instances(&top)
}

/// The resource instances of a state whose top level is `top`.
pub fn instances<'a>(top: &Top<'a>) -> Result<Vec<Instance<'a>>, StateError> {
    let invalid = |what: &str, e: serde_json::Error| StateError::Invalid {
        what: what.into(),
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    if let Some(version) = top.version {
        let v: serde_json::Value = serde_json::from_str(version.get()).unwrap_or_default();
        if v.as_u64() != Some(4) {
            return Err(StateError::Version(version.get().to_string()));
        }
        let resources: Vec<StateResource<'a>> = match top.resources {
            None => Vec::new(),
            Some(raw) if raw.get() == "null" => Vec::new(),
            Some(raw) if !raw.get().starts_with('[') => {
                return Err(StateError::NotAList("resources"))
            }
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| invalid("resources", e))?,
        };
        for r in resources {
            for i in r.instances {
                out.push(Instance {
                    mode: r.mode.clone(),
                    ty: r.ty.clone(),
                    name: r.name.clone(),
                    provider: r.provider.clone(),
                    attributes: i.attributes,
                });
            }
        }
    } else if let Some(fv) = top.format_version {
        let v: serde_json::Value = serde_json::from_str(fv.get()).unwrap_or_default();
        if v.as_str().and_then(|v| v.split('.').next()) != Some("1") {
            return Err(StateError::ShowFormat(fv.get().to_string()));
        }
        if let Some(values) = top.values {
            let values: ShowValues<'a> =
                serde_json::from_str(values.get()).map_err(|e| invalid("values", e))?;
            if let Some(root) = values.root_module {
                show_module(root, &mut out);
            }
        }
    } else {
        return Err(StateError::Neither);
    }
    Ok(out)
}

/// A `show -json` module's resources, then its children's, depth first. The depth is bounded
/// by the parser's nesting limit, which decoded the tree.
fn show_module<'a>(m: ShowModule<'a>, out: &mut Vec<Instance<'a>>) {
    out.extend(m.resources.into_iter().map(|r| Instance {
        mode: r.mode,
        ty: r.ty,
        name: r.name,
        provider: r.provider_name,
        attributes: r.values,
    }));
    for child in m.child_modules {
        show_module(child, out);
    }
}

/// A resource of a version 4 state.
#[derive(Deserialize)]
struct StateResource<'a> {
    #[serde(borrow, default)]
    mode: Cow<'a, str>,
    #[serde(borrow, default, rename = "type")]
    ty: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    provider: Cow<'a, str>,
    #[serde(borrow, default)]
    instances: Vec<StateInstance<'a>>,
}

#[derive(Deserialize)]
struct StateInstance<'a> {
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ShowValues<'a> {
    #[serde(borrow)]
    root_module: Option<ShowModule<'a>>,
}

#[derive(Deserialize)]
struct ShowModule<'a> {
    #[serde(borrow, default)]
    resources: Vec<ShowResource<'a>>,
    #[serde(borrow, default)]
    child_modules: Vec<ShowModule<'a>>,
}

#[derive(Deserialize)]
struct ShowResource<'a> {
    #[serde(borrow, default)]
    mode: Cow<'a, str>,
    #[serde(borrow, default, rename = "type")]
    ty: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    provider_name: Cow<'a, str>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
}

/// The ids a state holds: every string among its resources' attribute values (an
/// allocation id, a pool CIDR id, wherever a resource keeps it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StateIds {
    pub strings: HashSet<String>,
    /// How many resource instances the state has.
    pub instances: usize,
}

impl StateIds {
    pub fn holds(&self, id: &str) -> bool {
        self.strings.contains(id)
    }
}

/// The ids of the state in `bytes` (any mode, any type).
pub fn ids(bytes: &[u8]) -> Result<StateIds, StateError> {
    let mut ids = StateIds::default();
    for i in read(bytes)? {
        ids.instances += 1;
        if let Some(raw) = i.attributes {
            let v: serde_json::Value =
                serde_json::from_str(raw.get()).map_err(|e| StateError::Invalid {
                    what: format!("{}.{}", i.ty, i.name),
                    reason: e.to_string(),
                })?;
            strings(&v, &mut ids.strings);
        }
    }
    Ok(ids)
}

/// Every string inside `v`, iteratively (no recursion on hostile nesting).
fn strings(v: &serde_json::Value, out: &mut HashSet<String>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_give_the_instances_with_type_provider_and_modules() {
        let tfstate = br#"{"version":4,"resources":[
            {"mode":"managed","type":"aws_vpc","name":"a","provider":"p",
             "instances":[{"attributes":{"id":"vpc-1"}},{"attributes":{"id":"vpc-2"}}]},
            {"mode":"data","type":"aws_vpc","name":"d","provider":"p","instances":[{}]}]}"#;
        let got = read(tfstate).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|i| {
                (
                    i.mode.as_ref(),
                    i.ty.as_ref(),
                    i.name.as_ref(),
                    i.provider.as_ref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("managed", "aws_vpc", "a", "p"),
                ("managed", "aws_vpc", "a", "p"),
                ("data", "aws_vpc", "d", "p")
            ]
        );
        assert_eq!(got[1].attributes.unwrap().get(), r#"{"id":"vpc-2"}"#);
        assert!(got[2].attributes.is_none());

        let show = br#"{"format_version":"1.0","values":{"root_module":{
            "resources":[{"mode":"managed","type":"t","name":"root","provider_name":"q","values":{}}],
            "child_modules":[{"resources":[{"mode":"managed","type":"t","name":"child","values":{}}],
              "child_modules":[{"resources":[{"mode":"data","type":"t","name":"grandchild"}]}]}]}}}"#;
        let names: Vec<_> = read(show)
            .unwrap()
            .iter()
            .map(|i| format!("{}:{}:{}", i.mode, i.name, i.provider))
            .collect();
        assert_eq!(
            names,
            ["managed:root:q", "managed:child:", "data:grandchild:"]
        );
    }

    #[test]
    fn tfstate_v4_and_show_json_give_the_same_ids() {
        let tfstate =
            br#"{"version":4,"terraform_version":"1.15.5","serial":3,"lineage":"x","outputs":{},
            "resources":[{"mode":"managed","type":"ipam_vpc_allocation","name":"a","provider":"p",
            "instances":[{"index_key":0,"attributes":{"id":"ipam-pool-alloc-1","tags":{"k":"v"}}},
                         {"index_key":1,"attributes":{"id":"ipam-pool-alloc-2"}}]}]}"#;
        let show = br#"{"format_version":"1.0","values":{"root_module":{"resources":[
            {"address":"a[0]","values":{"id":"ipam-pool-alloc-1"}}],
            "child_modules":[{"resources":[{"values":{"id":"ipam-pool-alloc-2","list":["x"]}}]}]}}}"#;
        let a = ids(tfstate).unwrap();
        let b = ids(show).unwrap();
        assert!(a.holds("ipam-pool-alloc-1") && a.holds("ipam-pool-alloc-2"));
        assert!(a.holds("v") && !a.holds("k"), "values count, keys do not");
        assert!(b.holds("ipam-pool-alloc-1") && b.holds("ipam-pool-alloc-2") && b.holds("x"));
        assert_eq!((a.instances, b.instances), (2, 2));
    }

    #[test]
    fn what_is_not_a_state_is_typed() {
        assert_eq!(read(b" \n").unwrap_err(), StateError::Empty);
        assert!(matches!(
            read(br#"{"version":4,"res"#).unwrap_err(),
            StateError::NotJson(_)
        ));
        assert_eq!(read(b"[1]").unwrap_err(), StateError::Neither);
        assert_eq!(read(br#"{"a":1}"#).unwrap_err(), StateError::Neither);
        assert_eq!(
            read(br#"{"version":3}"#).unwrap_err(),
            StateError::Version("3".into())
        );
        assert_eq!(
            read(br#"{"version":"4"}"#).unwrap_err(),
            StateError::Version("\"4\"".into())
        );
        assert_eq!(
            read(br#"{"format_version":"2.0"}"#).unwrap_err(),
            StateError::ShowFormat("\"2.0\"".into())
        );
        assert_eq!(
            read(br#"{"version":4,"resources":{}}"#).unwrap_err(),
            StateError::NotAList("resources")
        );
        assert!(matches!(
            read(br#"{"version":4,"resources":[{"instances":7}]}"#).unwrap_err(),
            StateError::Invalid { what, .. } if what == "resources"
        ));
        // Empty states of either form hold nothing.
        assert!(read(br#"{"version":4,"resources":null}"#)
            .unwrap()
            .is_empty());
        assert_eq!(
            ids(br#"{"format_version":"1.0"}"#).unwrap(),
            StateIds::default()
        );
    }
}
