//! `ipam_discovered_resource_cidrs`: scans a discovery's sources and lists every CIDR found,
//! with its compliance and overlap status (as `aws_vpc_ipam`'s GetIpamDiscoveredResourceCidrs).

use super::attrs::{string, strings};
use super::context::Context;
use super::errors::{from_store, Blame, Failure, WHOLE};
use super::lookup::Lookup;
use crate::discovery::{Compliance, Finding, Overlap};
use crate::store::ScanError;
use tfplug::{Attribute, Block, Diagnostics, Number, Schema, Type, Value};

pub struct DiscoveredResourceCidrs;

/// The filter names, as AWS spells them.
const FILTERS: [&str; 5] = [
    "resource-type",
    "resource-id",
    "resource-owner-id",
    "compliance-status",
    "overlap-status",
];

/// The values a filter accepts, when they are a fixed set.
fn allowed(name: &str) -> Option<Vec<&'static str>> {
    match name {
        "resource-type" => Some(vec!["vpc", "subnet"]),
        "compliance-status" => Some(Compliance::ALL.iter().map(|c| c.as_str()).collect()),
        "overlap-status" => Some(Overlap::ALL.iter().map(|o| o.as_str()).collect()),
        _ => None,
    }
}

/// What filter `name` compares in a finding.
fn field(f: &Finding, name: &str) -> Option<String> {
    match name {
        "resource-type" => Some(f.resource.resource_type.as_str().to_string()),
        "resource-id" => Some(f.resource.resource_id.clone()),
        "resource-owner-id" => f.resource.owner_id.clone(),
        "compliance-status" => f.compliance.map(|c| c.as_str().to_string()),
        "overlap-status" => Some(f.overlap.as_str().to_string()),
        _ => None,
    }
}

fn cidr_type() -> Type {
    Type::object([
        ("resource_id", Type::String),
        ("resource_type", Type::String),
        ("resource_cidr", Type::String),
        ("resource_owner_id", Type::String),
        ("resource_region", Type::String),
        ("vpc_id", Type::String),
        ("name", Type::String),
        ("source", Type::String),
        ("ipam_pool_id", Type::String),
        ("compliance_status", Type::String),
        ("overlap_status", Type::String),
        ("ip_usage", Type::Number),
        ("reason", Type::String),
    ])
}

fn value(f: &Finding) -> Value {
    let r = &f.resource;
    Value::object([
        ("resource_id", Value::string(&r.resource_id)),
        ("resource_type", Value::string(r.resource_type.as_str())),
        ("resource_cidr", Value::string(r.cidr.to_string())),
        ("resource_owner_id", Value::opt_string(r.owner_id.clone())),
        ("resource_region", Value::opt_string(r.region.clone())),
        ("vpc_id", Value::opt_string(r.vpc_id.clone())),
        ("name", Value::opt_string(r.name.clone())),
        ("source", Value::string(&r.source)),
        ("ipam_pool_id", Value::opt_string(f.pool_id.clone())),
        (
            "compliance_status",
            Value::opt_string(f.compliance.map(Compliance::as_str)),
        ),
        ("overlap_status", Value::string(f.overlap.as_str())),
        (
            "ip_usage",
            f.ip_usage
                .and_then(Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::Null),
        ),
        ("reason", Value::opt_string(f.reason.clone())),
    ])
}

impl Lookup for DiscoveredResourceCidrs {
    const TYPE_NAME: &'static str = "ipam_discovered_resource_cidrs";

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Scans a resource discovery's sources now and lists every CIDR found, with its compliance and overlap status. VPC CIDRs are `compliant` when an allocation of a pool of an associated IPAM holds exactly them and they meet the pool's current rules (netmask limits, required tags), `noncompliant` when they break them, `unmanaged` when no allocation holds them, `ignored` when their resource is in `excluded_resource_ids`. A CIDR is `overlapping` when it shares addresses with another resource's discovered CIDR or with an allocation that is not its own. Pools with `auto_import = true` adopt, at each scan, the unmanaged VPC CIDRs that lie in their provisioned CIDRs, meet their rules and overlap nothing (audited as `auto-import-discovered-cidr`); those are listed as `compliant`. Adoption is the IPAM admin's act: a scan adopts when run by the IPAM admin account (the delegated admin, else the management account), by a trusted PostgreSQL role, or in a database with no organization, whatever account owns the resource (the allocation, of type `imported`, is recorded as the resource owner's); a scan run by any other account adopts nothing and lists those CIDRs as `unmanaged` with a `reason`. A resource that cannot be adopted never fails the scan: it stays `unmanaged` and its `reason` says why. A source that cannot be read fails the read, naming the file, and nothing is written.")
            .attribute(Attribute::required("ipam_resource_discovery_id", Type::String).description("The resource discovery to scan."))
            .attribute(Attribute::optional("resource_region", Type::String).description("Only CIDRs of resources in this region."))
            .attribute(Attribute::computed("ipam_discovered_resource_cidrs", Type::list(cidr_type())).description("Each CIDR found, in address order (VPCs first): `resource_id`, `resource_type` (`vpc` or `subnet`), `resource_cidr`, `resource_owner_id`, `resource_region`, `vpc_id`, `name` (the Name tag), `source` (the file), `ipam_pool_id` (the pool whose allocation holds it, or null), `compliance_status` (`compliant`, `noncompliant`, `unmanaged`, `ignored`; VPCs only, null for subnets unless ignored), `overlap_status` (`nonoverlapping`, `overlapping`, `ignored`), `ip_usage` (VPCs: the share of the CIDR, 0 to 1, that discovered subnets cover; null for subnets), `reason` (for an `unmanaged` VPC CIDR: why no pool adopted it — no pool holds it, its pool does not auto-import, serves another region or its rules refuse it, it overlaps, the scan was not run by the IPAM admin, or the adoption was refused; null otherwise)."))
            .block(Block::list(
                "filter",
                Schema::new()
                    .attribute(Attribute::required("name", Type::String).description("`resource-type`, `resource-id`, `resource-owner-id`, `compliance-status` or `overlap-status`."))
                    .attribute(Attribute::required("values", Type::set(Type::String)).description("Any of these values matches; every filter must match.")),
            ))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for f in config
            .get("filter")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            let Some(n) = string(f, "name") else {
                continue;
            };
            if !FILTERS.contains(&n.as_str()) {
                Failure::at(
                    "filter",
                    "Unknown filter",
                    format!(
                        "{n:?} is not a filter name: use {}.",
                        FILTERS.map(|f| format!("{f:?}")).join(", ")
                    ),
                )
                .report(diags);
                continue;
            }
            if let (Some(ok), Some(vals)) =
                (allowed(&n), f.get("values").filter(|v| v.is_wholly_known()))
            {
                for v in strings(&Value::object([("v", vals.clone())]), "v") {
                    if !ok.contains(&v.as_str()) {
                        Failure::at(
                            "filter",
                            "Invalid filter value",
                            format!("{v:?} is not a value of {n:?}: use {}.", ok.join(", ")),
                        )
                        .report(diags);
                    }
                }
            }
        }
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let id = string(config, "ipam_resource_discovery_id").unwrap_or_default();
        let blame = Blame {
            pool: "ipam_resource_discovery_id",
            ..WHOLE
        };
        let scan = match ctx
            .store
            .scan_discovery(&ctx.actor, &id, crate::discovery::read_sources)
        {
            Ok(s) => s,
            Err(ScanError::Sources(errors)) => {
                // One diagnostic per unreadable source: the last is the read's failure.
                let mut failures = errors.into_iter().map(|e| {
                    Failure::plain(
                        "Cannot read a discovery source",
                        format!("{e}. Nothing was scanned or written."),
                    )
                });
                let last = failures.next_back();
                failures.for_each(|f| f.report(diags));
                return Err(last.unwrap_or_else(|| {
                    Failure::plain(
                        "Cannot read a discovery source",
                        "Nothing was scanned or written.",
                    )
                }));
            }
            Err(ScanError::Store(e)) => {
                return Err(from_store(e, "Cannot scan the resource discovery", &blame));
            }
        };
        let region = string(config, "resource_region");
        let filters: Vec<(String, Vec<String>)> = config
            .get("filter")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| Some((string(f, "name")?, strings(f, "values"))))
            .collect();
        let list = scan.findings.iter().filter(|f| {
            region
                .as_ref()
                .is_none_or(|r| f.resource.region.as_ref() == Some(r))
                && filters
                    .iter()
                    .all(|(n, vals)| field(f, n).is_some_and(|x| vals.contains(&x)))
        });
        let mut v = config.clone();
        v.set_attr(
            "ipam_discovered_resource_cidrs",
            Value::list(list.map(value)),
        );
        Ok(v)
    }
}
