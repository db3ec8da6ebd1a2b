//! Resource discoveries, their associations with IPAMs, and scans: the sources are read first
//! (no transaction held while files are read), then one transaction compares them with the
//! associated IPAMs' pools, adopts what auto-importing pools take, and stores the result.

use super::allocation::{adopt_allocation_tx, AllocationSpec};
use super::audit::record;
use super::authority::{authorize, Action};
use super::model::Remedy;
use super::model::{tags_from, tags_json, Tags};
use super::rows::{load_ipam, load_pool, load_pool_cidrs};
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, OptionalExtension, Row, Tx};
use ipam_discovery::{
    assess, AllocView, Assessment, Compliance, Finding, PoolView, Resource, Source, SourceError,
};
use ipam_engine::{AllocationKind, AllocationRequest, Cidr};
use serde_json::json;
use std::path::{Path, PathBuf};

/// What a discovery is made of (create and update).
#[derive(Clone, Debug, Default)]
pub struct DiscoverySpec {
    pub description: Option<String>,
    /// As configured; empty means the owner's region.
    pub operating_regions: Vec<String>,
    pub tags: Tags,
    pub excluded_resource_ids: Vec<String>,
    pub sources: Vec<Source>,
    /// Where relative source paths start: the directory Terraform ran in.
    pub base_dir: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    pub id: String,
    pub description: Option<String>,
    pub operating_regions: Vec<String>,
    pub tags: Tags,
    pub excluded_resource_ids: Vec<String>,
    pub sources: Vec<Source>,
    pub base_dir: String,
    pub owner_id: String,
    /// The region of the account that created it: the operating region when none is given.
    pub home_region: String,
    pub last_scanned: Option<i64>,
}

impl Discovery {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ec2::{}:ipam-resource-discovery/{}",
            self.owner_id, self.id
        )
    }

    /// The regions AWS resources are discovered in.
    pub fn regions(&self) -> Vec<String> {
        if self.operating_regions.is_empty() {
            vec![self.home_region.clone()]
        } else {
            self.operating_regions.clone()
        }
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id, "description": self.description, "operating_regions": self.operating_regions,
            "tags": self.tags, "excluded_resource_ids": self.excluded_resource_ids,
            "sources": self.sources.iter().map(|s| json!({"path": s.path, "region": s.region, "account_id": s.account_id})).collect::<Vec<_>>(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryAssociation {
    pub id: String,
    pub discovery_id: String,
    pub ipam_id: String,
    pub owner_id: String,
}

/// One scan's result.
#[derive(Clone, Debug)]
pub struct Scan {
    pub discovery_id: String,
    pub at: i64,
    pub findings: Vec<Finding>,
    /// The allocations auto-import created, by id.
    pub adopted: Vec<String>,
}

/// Why a scan did not happen: the sources (each error names its file) or the database.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Sources(Vec<SourceError>),
    #[error(transparent)]
    Store(#[from] Error),
}

/// The audit action of a scan whose sources could not be read: `after` holds the error and the
/// scan time it left in place (`last_scanned`), so a later successful scan supersedes it.
pub(crate) const SCAN_FAILED: &str = "scan-resource-discovery-failed";

const COLUMNS: &str = "id, description, operating_regions, tags, excluded, sources, base_dir, owner_id, home_region, last_scanned";

fn sources_json(s: &[Source]) -> String {
    serde_json::Value::Array(
        s.iter()
            .map(|s| json!({"path": s.path, "region": s.region, "account_id": s.account_id}))
            .collect(),
    )
    .to_string()
}

fn sources_from(s: &str) -> Vec<Source> {
    let v: Vec<serde_json::Value> = serde_json::from_str(s).unwrap_or_default();
    v.iter()
        .map(|o| Source {
            path: o["path"].as_str().unwrap_or_default().to_string(),
            region: o["region"].as_str().map(String::from),
            account_id: o["account_id"].as_str().map(String::from),
        })
        .collect()
}

fn strings_from(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn row(r: &Row) -> Result<Discovery> {
    Ok(Discovery {
        id: r.get(0)?,
        description: r.get(1)?,
        operating_regions: strings_from(&r.get::<_, String>(2)?),
        tags: tags_from(&r.get::<_, String>(3)?),
        excluded_resource_ids: strings_from(&r.get::<_, String>(4)?),
        sources: sources_from(&r.get::<_, String>(5)?),
        base_dir: r.get(6)?,
        owner_id: r.get(7)?,
        home_region: r.get(8)?,
        last_scanned: r.get(9)?,
    })
}

fn load(tx: &Tx, id: &str) -> Result<Option<Discovery>> {
    tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM resource_discoveries WHERE id = ?1"
    ))?
    .query_row([id], row)
    .optional()
}

fn require(tx: &Tx, id: &str) -> Result<Discovery> {
    load(tx, id)?.ok_or_else(|| Error::NotFound {
        kind: "resource discovery",
        id: id.into(),
    })
}

fn load_association(tx: &Tx, id: &str) -> Result<Option<DiscoveryAssociation>> {
    tx.prepare_cached(
            "SELECT id, discovery_id, ipam_id, owner_id FROM resource_discovery_associations WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(DiscoveryAssociation {
                id: r.get(0)?,
                discovery_id: r.get(1)?,
                ipam_id: r.get(2)?,
                owner_id: r.get(3)?,
            })
        })
        .optional()
}

/// The pools and allocations discovered resources are compared with: those of the default
/// private scope of every IPAM associated with the discovery.
fn scope_of(tx: &Tx, discovery_id: &str) -> Result<(Vec<PoolView>, Vec<AllocView>)> {
    let pool_ids: Vec<String> = tx
        .prepare_cached(
            "SELECT p.id FROM pools p JOIN ipams i ON i.id = p.ipam_id
             JOIN resource_discovery_associations a ON a.ipam_id = i.id
             WHERE a.discovery_id = ?1 AND p.scope_id = i.private_scope_id ORDER BY p.id",
        )?
        .query_map([discovery_id], |r| r.get(0))?
        .collect::<ipam_db::Result<_>>()?;
    let mut pools = Vec::new();
    let mut allocations = Vec::new();
    for id in pool_ids {
        let Some(p) = load_pool(tx, &id)? else {
            continue;
        };
        pools.push(PoolView {
            cidrs: load_pool_cidrs(tx, &id)?
                .into_iter()
                .map(|c| c.cidr)
                .collect(),
            id: p.id,
            depth: p.depth,
            locale: p.locale,
            rules: p.rules,
            auto_import: p.auto_import,
        });
        let mut stmt = tx.prepare_cached(
            "SELECT id, cidr, tags FROM allocations WHERE pool_id = ?1 AND kind != 'ipam-pool'",
        )?;
        let rows = stmt.query_map([&id], |r| {
            Ok::<_, ipam_db::Error>((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (aid, cidr, tags) = row?;
            if let Ok(cidr) = Cidr::parse(&cidr) {
                allocations.push(AllocView {
                    id: aid,
                    pool_id: id.clone(),
                    cidr,
                    tags: tags_from(&tags),
                });
            }
        }
    }
    Ok((pools, allocations))
}

/// What the scan run by `actor` may do.
struct Scanner {
    /// Why it adopts nothing, or None when it adopts: adoption is the IPAM admin's act (the
    /// delegated admin, else the management account), or a trusted PostgreSQL role's (one no
    /// organization account names), or anyone's where there is no organization.
    adopt_refusal: Option<String>,
    /// Whether it stores its result: on PostgreSQL a team login role other than the admin's
    /// may not write discoveries (the database's guards keep them the admin's), so its scan
    /// is answered and not stored (the dashboard shows the last stored one).
    stores: bool,
}

fn scanner(tx: &Tx, actor: &Actor) -> Result<Scanner> {
    let Some(org) = super::reach::load_organization(tx)? else {
        return Ok(Scanner {
            adopt_refusal: None,
            stores: true,
        });
    };
    let admin = org.ipam_admin();
    let login: Option<String> = if tx.dialect() == ipam_db::Dialect::Postgres {
        tx.query_row("SELECT ipam_current_account()", (), |r| r.get(0))?
    } else {
        None
    };
    let adopts = admin == actor.account_id
        || (tx.dialect() == ipam_db::Dialect::Postgres && login.is_none());
    Ok(Scanner {
        adopt_refusal: (!adopts).then(|| {
            format!(
                "only a scan run by the IPAM admin account {admin} adopts (this scan ran as {})",
                actor.account_id
            )
        }),
        stores: login.is_none_or(|l| l == admin),
    })
}

/// Whether `e` is this resource's refusal (the pool's rules, the engine, the database's guards
/// or constraints), which leaves it unmanaged, rather than the database failing the scan.
fn refuses_the_resource(e: &Error) -> bool {
    match e {
        Error::Engine(_)
        | Error::Refused(_)
        | Error::Invalid { .. }
        | Error::NameTaken { .. }
        | Error::NotFound { .. } => true,
        // Integrity constraints (23…), privileges and guards (42…), a raised exception.
        Error::Db(ipam_db::Error::Sql { code, .. }) => {
            code.starts_with("23") || code.starts_with("42") || code == "P0001"
        }
        Error::Db(ipam_db::Error::Conflict { .. } | ipam_db::Error::Denied(_)) => true,
        _ => false,
    }
}

/// Adopts `f` into `pool_id` inside a savepoint: an allocation of type `imported` owned by
/// the resource's owner (the scan's account when the source does not say), audited as the
/// scanner's act. A refusal of this resource rolls back to the savepoint and leaves it
/// `unmanaged` with the reason; any other failure fails the scan.
fn adopt(tx: &Tx, actor: &Actor, f: &mut Finding, pool_id: &str) -> Result<Option<String>> {
    tx.execute_batch("SAVEPOINT adopt_one")?;
    let marks = tx.witnesses();
    // The release travels with the adoption's deferred writes, so their failure is seen here.
    match adopt_tx(tx, actor, f, pool_id).and_then(|id| {
        tx.execute_batch("RELEASE SAVEPOINT adopt_one")?;
        Ok(id)
    }) {
        Ok(id) => {
            f.compliance = Some(Compliance::Compliant);
            f.pool_id = Some(pool_id.to_string());
            f.allocation_id = Some(id.clone());
            f.reason = None;
            Ok(Some(id))
        }
        Err(e) if refuses_the_resource(&e) => {
            tx.execute_batch("ROLLBACK TO SAVEPOINT adopt_one; RELEASE SAVEPOINT adopt_one")?;
            tx.forget_witnesses_after(marks);
            f.reason = Some(format!("the pool {pool_id} could not adopt it: {e}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn adopt_tx(tx: &Tx, actor: &Actor, f: &Finding, pool_id: &str) -> Result<String> {
    let r = &f.resource;
    let spec = AllocationSpec {
        description: Some(format!("auto-imported from {}", r.source)),
        tags: r.tags.clone(),
        resource_id: Some(r.resource_id.clone()),
        ..AllocationSpec::new(
            pool_id,
            AllocationRequest::Explicit(r.cidr),
            AllocationKind::Imported,
        )
    };
    let owner = Actor {
        account_id: r
            .owner_id
            .clone()
            .unwrap_or_else(|| actor.account_id.clone()),
        region: r.region.clone().unwrap_or_else(|| actor.region.clone()),
        origin: actor.origin.clone(),
    };
    let a = adopt_allocation_tx(tx, actor, &owner, &spec)?;
    record(
        tx,
        actor,
        &authorize(tx, actor, Action::AutoImportDiscoveredCidr)?,
        &a.id,
        None,
        Some(
            json!({"pool_id": pool_id, "allocation": a.to_json(), "resource_id": r.resource_id, "source": r.source}),
        ),
    )?;
    Ok(a.id)
}

fn insert_findings(tx: &Tx, id: &str, at: i64, findings: &[Finding]) -> Result<()> {
    tx.prepare_cached("DELETE FROM discovered_cidrs WHERE discovery_id = ?1")?
        .execute([id])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO discovered_cidrs (discovery_id, resource_id, resource_type, cidr, owner_id, region, vpc_id, name, source, pool_id, compliance_status, overlap_status, ip_usage, scanned_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for f in findings {
        let r = &f.resource;
        stmt.execute(params![
            id,
            r.resource_id,
            r.resource_type.as_str(),
            r.cidr.to_string(),
            r.owner_id,
            r.region,
            r.vpc_id,
            r.name,
            r.source,
            f.pool_id,
            f.compliance.map(Compliance::as_str),
            f.overlap.as_str(),
            f.ip_usage,
            at,
            f.reason
        ])?;
    }
    Ok(())
}

impl Store {
    pub fn create_discovery(&self, actor: &Actor, spec: DiscoverySpec) -> Result<Discovery> {
        self.write(|tx| {
            let id = new_id("ipam-res-disc");
            tx.execute(
                &format!("INSERT INTO resource_discoveries ({COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10)"),
                params![
                    id, spec.description, serde_json::to_string(&spec.operating_regions).unwrap_or_default(),
                    tags_json(&spec.tags), serde_json::to_string(&spec.excluded_resource_ids).unwrap_or_default(),
                    sources_json(&spec.sources), spec.base_dir, actor.account_id, actor.region, now_secs()
                ],
            )?;
            let d = require(tx, &id)?;
            record(tx, actor, &authorize(tx, actor, Action::CreateResourceDiscovery)?, &id, None, Some(d.to_json()))?;
            Ok(d)
        })
    }

    pub fn get_discovery(&self, id: &str) -> Result<Option<Discovery>> {
        self.read(|tx| load(tx, id))
    }

    /// Every discovery, oldest first (the CLI scans them all unless told which).
    pub fn list_discoveries(&self) -> Result<Vec<Discovery>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM resource_discoveries ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map((), row)?;
            rows.collect::<Result<_>>()
        })
    }

    pub fn update_discovery(
        &self,
        actor: &Actor,
        id: &str,
        spec: DiscoverySpec,
    ) -> Result<Discovery> {
        self.write(|tx| {
            let before = require(tx, id)?;
            tx.execute(
                "UPDATE resource_discoveries SET description = ?2, operating_regions = ?3, tags = ?4, excluded = ?5, sources = ?6, base_dir = ?7 WHERE id = ?1",
                params![
                    id, spec.description, serde_json::to_string(&spec.operating_regions).unwrap_or_default(),
                    tags_json(&spec.tags), serde_json::to_string(&spec.excluded_resource_ids).unwrap_or_default(),
                    sources_json(&spec.sources), spec.base_dir
                ],
            )?;
            let after = require(tx, id)?;
            record(tx, actor, &authorize(tx, actor, Action::ModifyResourceDiscovery)?, id, Some(before.to_json()), Some(after.to_json()))?;
            Ok(after)
        })
    }

    /// Deletes a discovery and its scan results; refused while an IPAM is associated with it.
    pub fn delete_discovery(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            let d = require(tx, id)?;
            let assoc: Vec<String> = tx
                .prepare_cached("SELECT ipam_id FROM resource_discovery_associations WHERE discovery_id = ?1 ORDER BY ipam_id")?
                .query_map([id], |r| r.get(0))?
                .collect::<ipam_db::Result<_>>()?;
            if !assoc.is_empty() {
                return Err(Error::Blocked {
                    fact: format!(
                        "the resource discovery {id} is still associated with {}",
                        assoc.join(", ")
                    ),
                    remedy: Remedy::Disassociate,
                });
            }
            tx.execute("DELETE FROM discovered_cidrs WHERE discovery_id = ?1", [id])?;
            tx.execute("DELETE FROM resource_discoveries WHERE id = ?1", [id])?;
            record(tx, actor, &authorize(tx, actor, Action::DeleteResourceDiscovery)?, id, Some(d.to_json()), None)
        })
    }

    pub fn associate_discovery(
        &self,
        actor: &Actor,
        discovery_id: &str,
        ipam_id: &str,
    ) -> Result<DiscoveryAssociation> {
        self.write(|tx| {
            require(tx, discovery_id)?;
            load_ipam(tx, ipam_id)?.ok_or_else(|| Error::NotFound {
                kind: "IPAM",
                id: ipam_id.into(),
            })?;
            let taken: Option<String> = tx
                .query_row(
                    "SELECT id FROM resource_discovery_associations WHERE discovery_id = ?1 AND ipam_id = ?2",
                    [discovery_id, ipam_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(t) = taken {
                return Err(Error::Refused(format!(
                    "the resource discovery {discovery_id} is already associated with {ipam_id} ({t}); import that association instead"
                )));
            }
            let id = new_id("ipam-res-disc-assoc");
            tx.execute(
                "INSERT INTO resource_discovery_associations (id, discovery_id, ipam_id, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, discovery_id, ipam_id, actor.account_id, now_secs()],
            )?;
            let a = load_association(tx, &id)?.ok_or(Error::NotFound { kind: "resource discovery association", id: id.clone() })?;
            record(tx, actor, &authorize(tx, actor, Action::AssociateResourceDiscovery)?, &id, None, Some(json!({"discovery_id": discovery_id, "ipam_id": ipam_id})))?;
            Ok(a)
        })
    }

    pub fn get_discovery_association(&self, id: &str) -> Result<Option<DiscoveryAssociation>> {
        self.read(|tx| load_association(tx, id))
    }

    /// How many resource discoveries are associated with an IPAM (AWS's
    /// `resource_discovery_association_count`).
    pub fn count_discovery_associations(&self, ipam_id: &str) -> Result<i64> {
        self.read(|tx| {
            tx.query_row(
                "SELECT COUNT(*) FROM resource_discovery_associations WHERE ipam_id = ?1",
                [ipam_id],
                |r| r.get(0),
            )
            .map_err(crate::Error::from)
        })
    }

    pub fn disassociate_discovery(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            let a = load_association(tx, id)?.ok_or_else(|| Error::NotFound {
                kind: "resource discovery association",
                id: id.into(),
            })?;
            tx.execute(
                "DELETE FROM resource_discovery_associations WHERE id = ?1",
                [id],
            )?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::DisassociateResourceDiscovery)?,
                id,
                Some(json!({"discovery_id": a.discovery_id, "ipam_id": a.ipam_id})),
                None,
            )
        })
    }

    /// Scans a discovery: reads its sources, then in one transaction assesses every CIDR,
    /// adopts what auto-importing pools take, and stores the result with its time. A source
    /// that cannot be read leaves the stored result as it was, and only an audit event saying
    /// why ([`SCAN_FAILED`]), so the dashboard can show that the result it shows is stale.
    ///
    /// `read` reads the discovery's sources (relative paths from its base directory): the
    /// caller's I/O, normally [`ipam_discovery::read_sources`]; core reads no file itself.
    pub fn scan_discovery(
        &self,
        actor: &Actor,
        id: &str,
        read: impl FnOnce(&[Source], &Path) -> std::result::Result<Vec<Resource>, Vec<SourceError>>,
    ) -> std::result::Result<Scan, ScanError> {
        let d = self.get_discovery(id)?.ok_or_else(|| Error::NotFound {
            kind: "resource discovery",
            id: id.into(),
        })?;
        let base = if d.base_dir.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(&d.base_dir)
        };
        let resources = match read(&d.sources, Path::new(&base)) {
            Ok(r) => r,
            Err(errors) => {
                let e = ScanError::Sources(errors);
                // Best effort: a read-only database, or a role the guards refuse, still gets
                // the error itself.
                let _ = self.write(|tx| {
                    record(
                        tx,
                        actor,
                        &authorize(tx, actor, Action::ScanFailed)?,
                        id,
                        None,
                        Some(json!({"error": e.to_string(), "last_scanned": d.last_scanned})),
                    )
                });
                return Err(e);
            }
        };
        Ok(self.write(|tx| {
            let (pools, allocations) = scope_of(tx, id)?;
            let a = Assessment {
                pools,
                allocations,
                excluded: d.excluded_resource_ids.iter().cloned().collect(),
                regions: d.regions(),
            };
            // A write may run again (PostgreSQL retries): each run assesses its own copy.
            let mut findings = assess(resources.clone(), &a);
            let mut adopted = Vec::new();
            let scanner = scanner(tx, actor)?;
            for f in &mut findings {
                let Some(pool) = f.adopt.clone() else {
                    continue;
                };
                if let Some(why) = &scanner.adopt_refusal {
                    f.reason = Some(format!(
                        "eligible for auto-import into the pool {pool}, but {why}"
                    ));
                    continue;
                }
                adopted.extend(adopt(tx, actor, f, &pool)?);
            }
            let at = now_secs();
            if scanner.stores {
                insert_findings(tx, id, at, &findings)?;
                tx.execute(
                    "UPDATE resource_discoveries SET last_scanned = ?2 WHERE id = ?1",
                    params![id, at],
                )?;
            }
            Ok(Scan {
                discovery_id: id.to_string(),
                at,
                findings,
                adopted,
            })
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> Store {
        Store::open(&dir.join("ipam.db"), Cidr::parse("2001:db8::/32").unwrap()).unwrap()
    }

    fn actor() -> Actor {
        Actor::new("000000000000", "us-east-1")
    }

    fn spec(dir: &Path, path: &str) -> DiscoverySpec {
        DiscoverySpec {
            sources: vec![Source {
                path: path.into(),
                ..Source::default()
            }],
            base_dir: dir.display().to_string(),
            ..DiscoverySpec::default()
        }
    }

    #[test]
    fn a_bad_source_keeps_the_stored_result_and_logs_why_and_a_good_scan_is_stored_with_its_time() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        std::fs::write(d.path().join("vpcs.json"), "not json").unwrap();
        let disc = s
            .create_discovery(&actor(), spec(d.path(), "vpcs.json"))
            .unwrap();
        let before = s.audit_events(None, 100).unwrap().len();
        match s.scan_discovery(&actor(), &disc.id, ipam_discovery::read_sources) {
            Err(ScanError::Sources(e)) => {
                assert!(e[0].to_string().contains("vpcs.json: not JSON"), "{}", e[0])
            }
            other => panic!("expected a source error, got {other:?}"),
        }
        assert_eq!(
            s.get_discovery(&disc.id).unwrap().unwrap().last_scanned,
            None
        );
        // One audit event says why, and which scan's result it left in place (none yet).
        let events = s.audit_events(None, 100).unwrap();
        assert_eq!(events.len(), before + 1);
        let failed = events.iter().find(|e| e.action == SCAN_FAILED).unwrap();
        assert_eq!(failed.object_id, disc.id);
        let after = failed.after.clone().unwrap();
        assert!(
            after["error"]
                .as_str()
                .unwrap()
                .contains("vpcs.json: not JSON"),
            "{after}"
        );
        assert_eq!(after["last_scanned"], serde_json::Value::Null);

        std::fs::write(
            d.path().join("vpcs.json"),
            r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.9.0.0/16"}]}"#,
        )
        .unwrap();
        let scan = s
            .scan_discovery(&actor(), &disc.id, ipam_discovery::read_sources)
            .unwrap();
        assert_eq!(scan.findings.len(), 1);
        assert_eq!(scan.findings[0].compliance, Some(Compliance::Unmanaged));
        assert_eq!(
            s.get_discovery(&disc.id).unwrap().unwrap().last_scanned,
            Some(scan.at)
        );
    }

    #[test]
    fn associations_are_unique_and_hold_their_discovery() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let ipam = s.create_ipam(&actor(), None, vec![], Tags::new()).unwrap();
        let disc = s
            .create_discovery(&actor(), spec(d.path(), "x.json"))
            .unwrap();
        let a = s.associate_discovery(&actor(), &disc.id, &ipam.id).unwrap();
        assert!(a.id.starts_with("ipam-res-disc-assoc-"));
        let again = s
            .associate_discovery(&actor(), &disc.id, &ipam.id)
            .unwrap_err();
        assert!(again.to_string().contains(&a.id), "{again}");
        let held = s.delete_discovery(&actor(), &disc.id).unwrap_err();
        assert!(
            matches!(
                held,
                Error::Blocked {
                    remedy: Remedy::Disassociate,
                    ..
                }
            ) && held.to_string().contains(&ipam.id),
            "{held}"
        );
        s.disassociate_discovery(&actor(), &a.id).unwrap();
        s.delete_discovery(&actor(), &disc.id).unwrap();
        assert_eq!(s.get_discovery(&disc.id).unwrap(), None);
    }
}
