//! IPAMs and their scopes.

use super::audit::record;
use super::authority::{authorize, Action};
use super::model::Remedy;
use super::model::{tags_json, Ipam, Scope, ScopeType, Tags};
use super::rows::{load_ipam, load_scope};
use super::{new_id, now_secs, Actor, Error, Result, Store};
use ipam_db::{params, Tx};
use serde_json::json;

fn ipam_json(i: &Ipam) -> serde_json::Value {
    json!({"id": i.id, "description": i.description, "operating_regions": i.operating_regions, "tags": i.tags})
}

fn scope_json(s: &Scope) -> serde_json::Value {
    json!({"id": s.id, "ipam_id": s.ipam_id, "type": s.scope_type.as_str(), "description": s.description, "tags": s.tags})
}

fn insert_scope(tx: &Tx, s: &Scope) -> Result<()> {
    tx.execute(
        "INSERT INTO scopes (id, ipam_id, scope_type, is_default, description, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.id, s.ipam_id, s.scope_type.as_str(), s.is_default, s.description, tags_json(&s.tags)],
    )?;
    Ok(())
}

impl Store {
    /// Creates an IPAM with its default private and public scopes.
    pub fn create_ipam(
        &self,
        actor: &Actor,
        description: Option<String>,
        operating_regions: Vec<String>,
        tags: Tags,
    ) -> Result<Ipam> {
        self.write(|tx| {
            let id = new_id("ipam");
            let regions = if operating_regions.is_empty() {
                vec![actor.region.clone()]
            } else {
                operating_regions.clone()
            };
            let private = new_id("ipam-scope");
            let public = new_id("ipam-scope");
            tx.execute(
                "INSERT INTO ipams (id, description, operating_regions, tags, owner_id, private_scope_id, public_scope_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, description, serde_json::to_string(&regions).unwrap_or_default(), tags_json(&tags), actor.account_id, private, public, now_secs()],
            )?;
            for (sid, ty) in [(&private, ScopeType::Private), (&public, ScopeType::Public)] {
                insert_scope(
                    tx,
                    &Scope {
                        id: sid.clone(),
                        ipam_id: id.clone(),
                        scope_type: ty,
                        is_default: true,
                        description: None,
                        tags: Tags::new(),
                        pool_count: 0,
                    },
                )?;
            }
            let ipam = load_ipam(tx, &id)?.ok_or(Error::NotFound { kind: "IPAM", id: id.clone() })?;
            record(tx, actor, &authorize(tx, actor, Action::CreateIpam)?, &id, None, Some(ipam_json(&ipam)))?;
            Ok(ipam)
        })
    }

    /// Every region some IPAM of the database operates in.
    pub fn all_operating_regions(&self) -> Result<std::collections::BTreeSet<String>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached("SELECT operating_regions FROM ipams")?;
            let lists: Vec<String> = stmt
                .query_map((), |r| r.get(0))?
                .collect::<ipam_db::Result<_>>()?;
            Ok(lists
                .iter()
                .flat_map(|l| serde_json::from_str::<Vec<String>>(l).unwrap_or_default())
                .collect())
        })
    }

    pub fn get_ipam(&self, id: &str) -> Result<Option<Ipam>> {
        self.read(|tx| load_ipam(tx, id))
    }

    pub fn update_ipam(
        &self,
        actor: &Actor,
        id: &str,
        description: Option<String>,
        operating_regions: Vec<String>,
        tags: Tags,
    ) -> Result<Ipam> {
        self.write(|tx| {
            let before = load_ipam(tx, id)?.ok_or(Error::NotFound { kind: "IPAM", id: id.into() })?;
            let regions = if operating_regions.is_empty() {
                vec![actor.region.clone()]
            } else {
                operating_regions.clone()
            };
            // A pool's locale must stay one of the IPAM's operating regions.
            let mut stmt = tx.prepare_cached("SELECT DISTINCT locale FROM pools WHERE ipam_id = ?1 AND locale IS NOT NULL")?;
            let locales: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<ipam_db::Result<_>>()?;
            if let Some(l) = locales.iter().find(|l| !regions.contains(l)) {
                return Err(Error::Refused(format!(
                    "operating_regions must keep {l:?}: pools of this IPAM use it as their locale"
                )));
            }
            tx.execute(
                "UPDATE ipams SET description = ?2, operating_regions = ?3, tags = ?4 WHERE id = ?1",
                params![id, description, serde_json::to_string(&regions).unwrap_or_default(), tags_json(&tags)],
            )?;
            let after = load_ipam(tx, id)?.ok_or(Error::NotFound { kind: "IPAM", id: id.into() })?;
            record(tx, actor, &authorize(tx, actor, Action::ModifyIpam)?, id, Some(ipam_json(&before)), Some(ipam_json(&after)))?;
            Ok(after)
        })
    }

    /// Deletes an IPAM. Without `cascade` it must hold no pools; with it, everything under it
    /// goes in the same transaction.
    pub fn delete_ipam(&self, actor: &Actor, id: &str, cascade: bool) -> Result<()> {
        self.write(|tx| {
            let before = load_ipam(tx, id)?.ok_or(Error::NotFound {
                kind: "IPAM",
                id: id.into(),
            })?;
            let pools: Vec<String> = tx
                .prepare_cached("SELECT id FROM pools WHERE ipam_id = ?1 AND parent_id IS NULL")?
                .query_map([id], |r| r.get(0))?
                .collect::<ipam_db::Result<_>>()?;
            let total: i64 =
                tx.query_row("SELECT COUNT(*) FROM pools WHERE ipam_id = ?1", [id], |r| {
                    r.get(0)
                })?;
            if total > 0 && !cascade {
                return Err(Error::Blocked {
                    fact: format!("the IPAM {id} still has {total} pool(s)"),
                    remedy: Remedy::EmptyItOrCascade,
                });
            }
            for p in pools {
                super::pool::delete_pool_tx(tx, actor, &p, true)?;
            }
            tx.execute("DELETE FROM scopes WHERE ipam_id = ?1", [id])?;
            tx.execute("DELETE FROM ipams WHERE id = ?1", [id])?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::DeleteIpam)?,
                id,
                Some(ipam_json(&before)),
                None,
            )?;
            Ok(())
        })
    }

    pub fn create_scope(
        &self,
        actor: &Actor,
        ipam_id: &str,
        description: Option<String>,
        tags: Tags,
    ) -> Result<Scope> {
        self.write(|tx| {
            load_ipam(tx, ipam_id)?.ok_or(Error::NotFound {
                kind: "IPAM",
                id: ipam_id.into(),
            })?;
            let s = Scope {
                id: new_id("ipam-scope"),
                ipam_id: ipam_id.into(),
                scope_type: ScopeType::Private,
                is_default: false,
                description: description.clone(),
                tags: tags.clone(),
                pool_count: 0,
            };
            insert_scope(tx, &s)?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::CreateScope)?,
                &s.id,
                None,
                Some(scope_json(&s)),
            )?;
            Ok(s)
        })
    }

    pub fn get_scope(&self, id: &str) -> Result<Option<Scope>> {
        self.read(|tx| load_scope(tx, id))
    }

    pub fn update_scope(
        &self,
        actor: &Actor,
        id: &str,
        description: Option<String>,
        tags: Tags,
    ) -> Result<Scope> {
        self.write(|tx| {
            let before = load_scope(tx, id)?.ok_or(Error::NotFound {
                kind: "IPAM scope",
                id: id.into(),
            })?;
            tx.execute(
                "UPDATE scopes SET description = ?2, tags = ?3 WHERE id = ?1",
                params![id, description, tags_json(&tags)],
            )?;
            let after = load_scope(tx, id)?.ok_or(Error::NotFound {
                kind: "IPAM scope",
                id: id.into(),
            })?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::ModifyScope)?,
                id,
                Some(scope_json(&before)),
                Some(scope_json(&after)),
            )?;
            Ok(after)
        })
    }

    pub fn delete_scope(&self, actor: &Actor, id: &str) -> Result<()> {
        self.write(|tx| {
            let before = load_scope(tx, id)?.ok_or(Error::NotFound {
                kind: "IPAM scope",
                id: id.into(),
            })?;
            if before.is_default {
                return Err(Error::Refused(format!(
                    "{id} is a default scope of {}; it is deleted with its IPAM",
                    before.ipam_id
                )));
            }
            if before.pool_count > 0 {
                return Err(Error::Blocked {
                    fact: format!("the scope {id} still has {} pool(s)", before.pool_count),
                    remedy: Remedy::EmptyIt,
                });
            }
            tx.execute("DELETE FROM scopes WHERE id = ?1", [id])?;
            record(
                tx,
                actor,
                &authorize(tx, actor, Action::DeleteScope)?,
                id,
                Some(scope_json(&before)),
                None,
            )?;
            Ok(())
        })
    }
}
