//! Reading a Terraform state: a `terraform.tfstate` (format version 4, also what `terraform
//! state pull` prints) or the output of `terraform show -json`. What matters here is which ids
//! the state holds, so every string among the resources' attribute values is collected: an
//! allocation id, a pool CIDR id, wherever a resource keeps it.

use std::collections::HashSet;

/// What to do with a state file a killed Terraform left empty or cut short.
const CUT_SHORT: &str = "Terraform rewrites terraform.tfstate after every resource, so a kill can leave it empty or cut short: restore terraform.tfstate.backup (the state before that apply) to terraform.tfstate and run again (see docs/guides/interrupted-apply.md)";

/// The ids (every string value) the resources of a state hold.
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

/// Reads a state from its bytes; the error says what it is not.
pub fn read(bytes: &[u8]) -> Result<StateIds, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("the file is empty. {CUT_SHORT}"));
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!("not JSON ({e}): expected a terraform.tfstate or `terraform show -json` output. {CUT_SHORT}")
    })?;
    let mut ids = StateIds::default();
    if let Some(version) = v.get("version") {
        // terraform.tfstate
        if version.as_u64() != Some(4) {
            return Err(format!(
                "state format version {version} is not supported (Terraform 0.12 and later write version 4)"
            ));
        }
        let resources = match v.get("resources") {
            None | Some(serde_json::Value::Null) => &[][..],
            Some(serde_json::Value::Array(r)) => r.as_slice(),
            Some(_) => return Err("\"resources\" is not a list".into()),
        };
        for r in resources {
            let instances = r
                .get("instances")
                .and_then(|i| i.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default();
            for i in instances {
                ids.instances += 1;
                if let Some(a) = i.get("attributes") {
                    strings(a, &mut ids.strings);
                }
            }
        }
        return Ok(ids);
    }
    if v.get("format_version").is_some() {
        // terraform show -json: values.root_module, resources and child modules.
        if let Some(m) = v.get("values").and_then(|x| x.get("root_module")) {
            module(m, &mut ids, 0)?;
        }
        return Ok(ids);
    }
    Err("neither a terraform.tfstate (no \"version\") nor `terraform show -json` output (no \"format_version\")".into())
}

fn module(m: &serde_json::Value, ids: &mut StateIds, depth: usize) -> Result<(), String> {
    if depth > 100 {
        return Err("modules nest deeper than 100 levels".into());
    }
    for r in m
        .get("resources")
        .and_then(|r| r.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        ids.instances += 1;
        if let Some(values) = r.get("values") {
            strings(values, &mut ids.strings);
        }
    }
    for child in m
        .get("child_modules")
        .and_then(|c| c.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        module(child, ids, depth + 1)?;
    }
    Ok(())
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
    fn tfstate_v4_and_show_json_give_the_same_ids() {
        let tfstate =
            br#"{"version":4,"terraform_version":"1.15.5","serial":3,"lineage":"x","outputs":{},
            "resources":[{"mode":"managed","type":"ipam_vpc_allocation","name":"a","provider":"p",
            "instances":[{"index_key":0,"attributes":{"id":"ipam-pool-alloc-1","tags":{"k":"v"}}},
                         {"index_key":1,"attributes":{"id":"ipam-pool-alloc-2"}}]}]}"#;
        let show = br#"{"format_version":"1.0","values":{"root_module":{"resources":[
            {"address":"a[0]","values":{"id":"ipam-pool-alloc-1"}}],
            "child_modules":[{"resources":[{"values":{"id":"ipam-pool-alloc-2","list":["x"]}}]}]}}}"#;
        let a = read(tfstate).unwrap();
        let b = read(show).unwrap();
        assert!(a.holds("ipam-pool-alloc-1") && a.holds("ipam-pool-alloc-2"));
        assert!(b.holds("ipam-pool-alloc-1") && b.holds("ipam-pool-alloc-2"));
        assert_eq!((a.instances, b.instances), (2, 2));
    }

    #[test]
    fn what_is_not_a_state_is_named() {
        assert!(read(b"").unwrap_err().contains("empty"));
        assert!(read(b"[1]").unwrap_err().contains("neither"));
        assert!(read(br#"{"version":3}"#).unwrap_err().contains("version 3"));
        assert!(read(b"{\"version\":4,\"resources\":{}}")
            .unwrap_err()
            .contains("not a list"));
        // An empty state from `terraform show -json` holds nothing.
        assert_eq!(
            read(br#"{"format_version":"1.0"}"#).unwrap(),
            StateIds::default()
        );
    }
}
