//! The compliance and overlap status of every discovered CIDR, and what auto-import adopts.
//!
//! AWS's semantics: a VPC CIDR is `compliant` when an allocation of a pool of the IPAM holds
//! exactly it and it meets the pool's current rules, `noncompliant` when it breaks them,
//! `unmanaged` when no allocation holds it, `ignored` when its resource is excluded. It is
//! `overlapping` when it shares addresses with another resource's discovered CIDR or with an
//! allocation that is not its own. Subnets have no compliance status (unless excluded); they
//! overlap when they share addresses with another resource's subnet.

use super::{Resource, ResourceType};
use ipam_engine::{Cidr, PoolRules};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compliance {
    Compliant,
    Noncompliant,
    Unmanaged,
    Ignored,
}

impl Compliance {
    pub const ALL: [Compliance; 4] = [
        Compliance::Compliant,
        Compliance::Noncompliant,
        Compliance::Unmanaged,
        Compliance::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "compliant",
            Compliance::Noncompliant => "noncompliant",
            Compliance::Unmanaged => "unmanaged",
            Compliance::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Compliance> {
        Compliance::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Overlap {
    Nonoverlapping,
    Overlapping,
    Ignored,
}

impl Overlap {
    pub const ALL: [Overlap; 3] = [
        Overlap::Nonoverlapping,
        Overlap::Overlapping,
        Overlap::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Nonoverlapping => "nonoverlapping",
            Overlap::Overlapping => "overlapping",
            Overlap::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Overlap> {
        Overlap::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A pool of the scope discovered resources are compared with.
#[derive(Clone, Debug)]
pub struct PoolView {
    pub id: String,
    pub depth: i64,
    pub locale: Option<String>,
    pub rules: PoolRules,
    pub cidrs: Vec<Cidr>,
    pub auto_import: bool,
}

/// An allocation of that scope (child pools' CIDRs excluded: they are space, not resources).
#[derive(Clone, Debug)]
pub struct AllocView {
    pub id: String,
    pub pool_id: String,
    pub cidr: Cidr,
    pub tags: BTreeMap<String, String>,
}

/// What one discovery compares its resources with.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub pools: Vec<PoolView>,
    pub allocations: Vec<AllocView>,
    /// `excluded_resource_ids`.
    pub excluded: HashSet<String>,
    /// The discovery's operating regions: AWS resources elsewhere are not discovered.
    pub regions: Vec<String>,
}

/// One discovered CIDR and its statuses.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub resource: Resource,
    /// The pool whose allocation holds the CIDR.
    pub pool_id: Option<String>,
    pub allocation_id: Option<String>,
    /// VPCs only (and excluded subnets).
    pub compliance: Option<Compliance>,
    pub overlap: Overlap,
    /// VPCs only: the share (0 to 1) of the CIDR that discovered subnets cover.
    pub ip_usage: Option<f64>,
    /// The auto-importing pool that should adopt this CIDR.
    pub adopt: Option<String>,
    /// Why an unmanaged VPC CIDR was not adopted (no pool holds it, its pool does not
    /// auto-import or refuses it, the scan was not the IPAM admin's, the adoption failed).
    pub reason: Option<String>,
}

/// Assesses every resource: O(n log n) over resources and allocations.
pub fn assess(resources: Vec<Resource>, a: &Assessment) -> Vec<Finding> {
    let pools: HashMap<&str, &PoolView> = a.pools.iter().map(|p| (p.id.as_str(), p)).collect();
    let exact: HashMap<Cidr, &AllocView> = a.allocations.iter().map(|x| (x.cidr, x)).collect();
    let mut findings: Vec<Finding> = resources
        .into_iter()
        .filter(|r| {
            !r.aws
                || a.regions.is_empty()
                || r.region.as_ref().is_none_or(|g| a.regions.contains(g))
        })
        .map(|r| {
            let ignored = a.excluded.contains(&r.resource_id);
            let (compliance, pool_id, allocation_id) = if ignored {
                (Some(Compliance::Ignored), None, None)
            } else if r.resource_type == ResourceType::Subnet {
                (None, None, None)
            } else if let Some(al) = exact.get(&r.cidr) {
                let mut tags = al.tags.clone();
                tags.extend(r.tags.clone());
                let ok = pools.get(al.pool_id.as_str()).is_none_or(|p| {
                    p.rules.check_len(r.cidr.prefix_len()).is_ok()
                        && p.rules.check_tags(&tags).is_ok()
                });
                let c = if ok {
                    Compliance::Compliant
                } else {
                    Compliance::Noncompliant
                };
                (Some(c), Some(al.pool_id.clone()), Some(al.id.clone()))
            } else {
                (Some(Compliance::Unmanaged), None, None)
            };
            Finding {
                resource: r,
                pool_id,
                allocation_id,
                compliance,
                overlap: if ignored {
                    Overlap::Ignored
                } else {
                    Overlap::Nonoverlapping
                },
                ip_usage: None,
                adopt: None,
                reason: None,
            }
        })
        .collect();
    findings.sort_by(|x, y| {
        let k = |f: &Finding| {
            (
                f.resource.resource_type,
                f.resource.cidr.family() as u8,
                f.resource.cidr.start(),
                f.resource.cidr.prefix_len(),
            )
        };
        k(x).cmp(&k(y))
            .then_with(|| x.resource.resource_id.cmp(&y.resource.resource_id))
    });
    mark_overlaps(&mut findings, &a.allocations, ResourceType::Vpc);
    mark_overlaps(&mut findings, &[], ResourceType::Subnet);
    ip_usage(&mut findings);
    for f in &mut findings {
        match adopter(f, &a.pools) {
            Ok(pool) => f.adopt = pool,
            Err(why) => f.reason = Some(why),
        }
    }
    findings
}

/// One side of an overlap: a discovered CIDR (its index) or an allocation.
#[derive(Clone, Copy)]
enum Item {
    Found(usize),
    Alloc(usize),
}

/// Marks `ty` findings overlapping. CIDRs are nested or disjoint, so in address order (larger
/// first at equal starts) each one overlaps exactly the still-open ones before it: a stack.
fn mark_overlaps(findings: &mut [Finding], allocations: &[AllocView], ty: ResourceType) {
    let mut items: Vec<(Cidr, Item)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.resource.resource_type == ty && f.overlap != Overlap::Ignored)
        .map(|(i, f)| (f.resource.cidr, Item::Found(i)))
        .chain(
            allocations
                .iter()
                .enumerate()
                .map(|(i, x)| (x.cidr, Item::Alloc(i))),
        )
        .collect();
    items.sort_by_key(|(c, _)| (c.family() as u8, c.start(), c.prefix_len()));
    let mut open: Vec<(Cidr, Item)> = Vec::new();
    let mut hit = vec![false; findings.len()];
    for (c, item) in items {
        while open
            .last()
            .is_some_and(|(o, _)| o.family() != c.family() || o.end() < c.start())
        {
            open.pop();
        }
        for (_, other) in &open {
            match (*other, item) {
                (Item::Found(i), Item::Found(j)) => {
                    if findings[i].resource.resource_id != findings[j].resource.resource_id {
                        hit[i] = true;
                        hit[j] = true;
                    }
                }
                (Item::Found(i), Item::Alloc(k)) | (Item::Alloc(k), Item::Found(i)) => {
                    if findings[i].allocation_id.as_deref() != Some(allocations[k].id.as_str()) {
                        hit[i] = true;
                    }
                }
                (Item::Alloc(_), Item::Alloc(_)) => {}
            }
        }
        open.push((c, item));
    }
    for (f, h) in findings.iter_mut().zip(hit) {
        if h {
            f.overlap = Overlap::Overlapping;
        }
    }
}

/// For each VPC CIDR: the share its discovered subnets cover (their union, so a subnet listed
/// twice counts once).
fn ip_usage(findings: &mut [Finding]) {
    let mut subnets: HashMap<String, Vec<Cidr>> = HashMap::new();
    for f in findings.iter() {
        if let (ResourceType::Subnet, Some(v)) = (f.resource.resource_type, &f.resource.vpc_id) {
            subnets.entry(v.clone()).or_default().push(f.resource.cidr);
        }
    }
    for f in findings.iter_mut() {
        if f.resource.resource_type != ResourceType::Vpc {
            continue;
        }
        let c = f.resource.cidr;
        let mut inside: Vec<Cidr> = subnets
            .get(&f.resource.resource_id)
            .map(|v| v.iter().filter(|s| c.contains(s)).copied().collect())
            .unwrap_or_default();
        inside.sort_by_key(|s| (s.start(), s.prefix_len()));
        let mut covered: u128 = 0;
        let mut next: Option<u128> = None; // first address not yet counted
        for s in inside {
            if next.is_some_and(|n| s.end() < n) {
                continue; // inside one already counted
            }
            covered += s.size();
            next = s.end().checked_add(1);
            if next.is_none() {
                break;
            }
        }
        f.ip_usage = Some(covered as f64 / c.size() as f64);
    }
}

/// The pool that adopts `f`: the deepest pool whose provisioned CIDRs hold it, when that pool
/// auto-imports, serves its region and its rules allow it; only unmanaged VPC CIDRs that
/// overlap nothing. `Ok(None)` for what is not a candidate at all (a subnet, a managed or
/// ignored CIDR); `Err` says why an unmanaged VPC CIDR is not adopted.
fn adopter(f: &Finding, pools: &[PoolView]) -> Result<Option<String>, String> {
    let r = &f.resource;
    if r.resource_type != ResourceType::Vpc || f.compliance != Some(Compliance::Unmanaged) {
        return Ok(None);
    }
    if f.overlap != Overlap::Nonoverlapping {
        return Err(
            "it overlaps another discovered CIDR or an allocation, so no pool adopts it".into(),
        );
    }
    let Some(p) = pools
        .iter()
        .filter(|p| p.cidrs.iter().any(|c| c.contains(&r.cidr)))
        .max_by_key(|p| p.depth)
    else {
        return Err("no pool of the associated IPAMs' private scopes holds it".into());
    };
    if !p.auto_import {
        return Err(format!(
            "the pool {} that holds it does not auto-import",
            p.id
        ));
    }
    match (&p.locale, &r.region) {
        (Some(l), Some(g)) if l != g => {
            return Err(format!(
                "the pool {} serves {l}, the resource is in {g}",
                p.id
            ))
        }
        (Some(l), None) => {
            return Err(format!(
                "the pool {} serves {l}, and the resource's region is not known",
                p.id
            ))
        }
        _ => {}
    }
    if let Err(e) = p.rules.check_len(r.cidr.prefix_len()) {
        return Err(format!("the pool {}'s rules refuse it: {e}", p.id));
    }
    if let Err(e) = p.rules.check_tags(&r.tags) {
        return Err(format!("the pool {}'s rules refuse it: {e}", p.id));
    }
    Ok(Some(p.id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(id: &str, ty: ResourceType, cidr: &str, vpc: &str) -> Resource {
        Resource {
            resource_id: id.into(),
            resource_type: ty,
            cidr: Cidr::parse(cidr).unwrap(),
            owner_id: None,
            region: Some("us-east-1".into()),
            vpc_id: Some(vpc.into()),
            name: None,
            tags: BTreeMap::from([("env".into(), "prod".into())]),
            source: "f".into(),
            aws: true,
        }
    }

    fn vpc(id: &str, cidr: &str) -> Resource {
        res(id, ResourceType::Vpc, cidr, id)
    }

    fn pool(id: &str, depth: i64, cidr: &str, auto: bool, max: Option<u8>) -> PoolView {
        PoolView {
            id: id.into(),
            depth,
            locale: None,
            rules: PoolRules {
                max_len: max,
                ..PoolRules::default()
            },
            cidrs: vec![Cidr::parse(cidr).unwrap()],
            auto_import: auto,
        }
    }

    fn alloc(id: &str, pool: &str, cidr: &str) -> AllocView {
        AllocView {
            id: id.into(),
            pool_id: pool.into(),
            cidr: Cidr::parse(cidr).unwrap(),
            tags: BTreeMap::new(),
        }
    }

    fn status(
        f: &[Finding],
        id: &str,
        cidr: &str,
    ) -> (Option<Compliance>, Overlap, Option<String>) {
        let f = f
            .iter()
            .find(|f| f.resource.resource_id == id && f.resource.cidr.to_string() == cidr)
            .unwrap_or_else(|| panic!("{id} {cidr} not found"));
        (f.compliance, f.overlap, f.adopt.clone())
    }

    #[test]
    fn every_status() {
        let a = Assessment {
            pools: vec![
                pool("top", 1, "10.0.0.0/8", false, None),
                pool("prod", 2, "10.1.0.0/16", true, Some(24)),
            ],
            allocations: vec![
                alloc("a-managed", "prod", "10.1.0.0/20"),
                alloc("a-small", "prod", "10.1.16.0/28"),
                alloc("a-other", "top", "10.5.0.0/16"),
            ],
            excluded: HashSet::from(["vpc-x".to_string()]),
            regions: vec!["us-east-1".into()],
        };
        let f = assess(
            vec![
                vpc("vpc-m", "10.1.0.0/20"),
                vpc("vpc-s", "10.1.16.0/28"),
                vpc("vpc-u", "10.1.32.0/20"),
                vpc("vpc-o", "10.5.1.0/24"),
                vpc("vpc-d1", "10.7.0.0/16"),
                vpc("vpc-d2", "10.7.128.0/17"),
                vpc("vpc-x", "10.1.0.0/20"),
                vpc("vpc-big", "10.1.64.0/18"),
                res("subnet-1", ResourceType::Subnet, "10.1.0.0/22", "vpc-m"),
                res("subnet-2", ResourceType::Subnet, "10.1.4.0/22", "vpc-m"),
                Resource {
                    region: Some("eu-west-1".into()),
                    ..vpc("vpc-elsewhere", "10.9.0.0/16")
                },
            ],
            &a,
        );
        use Compliance::{Compliant, Noncompliant, Unmanaged};
        use Overlap::{Nonoverlapping, Overlapping};
        assert_eq!(
            status(&f, "vpc-m", "10.1.0.0/20"),
            (Some(Compliant), Nonoverlapping, None)
        );
        // /28 breaks the pool's max of /24.
        assert_eq!(
            status(&f, "vpc-s", "10.1.16.0/28"),
            (Some(Noncompliant), Nonoverlapping, None)
        );
        // Free space of an auto-importing pool: adopted.
        assert_eq!(
            status(&f, "vpc-u", "10.1.32.0/20"),
            (Some(Unmanaged), Nonoverlapping, Some("prod".into()))
        );
        // Inside another resource's allocation: overlapping, never adopted.
        assert_eq!(
            status(&f, "vpc-o", "10.5.1.0/24"),
            (Some(Unmanaged), Overlapping, None)
        );
        assert_eq!(
            status(&f, "vpc-d1", "10.7.0.0/16"),
            (Some(Unmanaged), Overlapping, None)
        );
        assert_eq!(
            status(&f, "vpc-d2", "10.7.128.0/17"),
            (Some(Unmanaged), Overlapping, None)
        );
        // Excluded: ignored, and not counted against vpc-m.
        assert_eq!(
            status(&f, "vpc-x", "10.1.0.0/20"),
            (Some(Compliance::Ignored), Overlap::Ignored, None)
        );
        // Larger than the pool's smallest block but within its rules, and free: adopted.
        assert_eq!(status(&f, "vpc-big", "10.1.64.0/18").2, Some("prod".into()));
        assert_eq!(
            status(&f, "subnet-1", "10.1.0.0/22"),
            (None, Nonoverlapping, None)
        );
        assert!(f.iter().all(|x| x.resource.resource_id != "vpc-elsewhere"));
        let m = f
            .iter()
            .find(|x| x.resource.resource_id == "vpc-m")
            .unwrap();
        assert_eq!(m.ip_usage, Some(0.5));
        assert_eq!(m.pool_id.as_deref(), Some("prod"));
    }

    #[test]
    fn a_child_pool_covering_the_cidr_decides() {
        let a = Assessment {
            pools: vec![
                pool("top", 1, "10.0.0.0/8", true, None),
                pool("child", 2, "10.1.0.0/16", false, None),
            ],
            ..Assessment::default()
        };
        let f = assess(vec![vpc("v1", "10.1.0.0/20"), vpc("v2", "10.2.0.0/20")], &a);
        assert_eq!(status(&f, "v1", "10.1.0.0/20").2, None);
        assert_eq!(status(&f, "v2", "10.2.0.0/20").2, Some("top".into()));
    }

    #[test]
    fn missing_required_tags_are_noncompliant_and_not_adopted() {
        let mut p = pool("p", 1, "10.0.0.0/8", true, None);
        p.rules.required_tags = BTreeMap::from([("team".into(), "net".into())]);
        let a = Assessment {
            pools: vec![p],
            allocations: vec![alloc("al", "p", "10.1.0.0/16")],
            ..Assessment::default()
        };
        let f = assess(vec![vpc("v1", "10.1.0.0/16"), vpc("v2", "10.2.0.0/16")], &a);
        assert_eq!(
            status(&f, "v1", "10.1.0.0/16").0,
            Some(Compliance::Noncompliant)
        );
        assert_eq!(
            status(&f, "v2", "10.2.0.0/16"),
            (Some(Compliance::Unmanaged), Overlap::Nonoverlapping, None)
        );
    }
}
