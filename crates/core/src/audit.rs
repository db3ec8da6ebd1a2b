//! The append-only audit log: who changed what, with the record before and after.

use super::authority::Authorized;
use super::{now_secs, Actor, Result};
use ipam_db::{params, Row, Tx};

/// Finds the event [`record`] wrote (see [`ipam_db::Witness`]).
const EVENT_WITNESS: &str =
    "SELECT 1 FROM audit_events WHERE object_id = $1 AND action = $2 AND at = $3";

pub fn record(
    tx: &Tx,
    actor: &Actor,
    authorized: &Authorized,
    object_id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let action = authorized.action().name();
    let pool_id = pool_of(object_id, before.as_ref(), after.as_ref());
    let at = now_secs();
    // The event is the change's witness: a commit whose answer was lost is looked for by it
    // on the server that answers afterwards (only PostgreSQL asks).
    if tx.dialect() == ipam_db::Dialect::Postgres {
        tx.witness(ipam_db::Witness {
            sql: EVENT_WITNESS,
            values: vec![
                ipam_db::Value::Text(object_id.to_string()),
                ipam_db::Value::Text(action.to_string()),
                ipam_db::Value::Int(at),
            ],
        });
    }
    tx.defer(
        "INSERT INTO audit_events (at, account_id, action, object_id, before, after, pool_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            at,
            actor.account_id,
            action,
            object_id,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string()),
            pool_id
        ],
    ).map_err(crate::Error::from)
}

/// The pool an event concerns: the pool of the CIDR or allocation it changed (its record's
/// `pool_id`), or the pool itself. Migration 11 fills older events by the same rule.
fn pool_of(
    object_id: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Option<String> {
    let recorded = |v: Option<&serde_json::Value>| {
        v.and_then(|v| v.get("pool_id"))
            .and_then(|p| p.as_str())
            .map(String::from)
    };
    recorded(after).or_else(|| recorded(before)).or_else(|| {
        object_id
            .starts_with("ipam-pool-")
            .then(|| object_id.to_string())
    })
}

/// One row of the audit log, as the CLI shows it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    pub account_id: String,
    pub action: String,
    pub object_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEvent {
    /// A row of `SELECT seq, at, account_id, action, object_id, before, after`: the one
    /// mapping the CLI's log and the dashboard's pool events share.
    pub(crate) fn from_row(r: &Row) -> Result<AuditEvent> {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(AuditEvent {
            seq: r.get(0)?,
            at: r.get(1)?,
            account_id: r.get(2)?,
            action: r.get(3)?,
            object_id: r.get(4)?,
            before: json(r.get(5)?),
            after: json(r.get(6)?),
        })
    }

    /// The CIDR the event is about, when its record has one (allocations, pool CIDRs).
    pub fn cidr(&self) -> Option<&str> {
        self.after
            .as_ref()
            .or(self.before.as_ref())
            .and_then(|v| v.get("cidr"))
            .and_then(|c| c.as_str())
    }
}

impl super::Store {
    /// The newest `limit` events, oldest first; only those of `object_id` when given.
    pub fn audit_events(&self, object_id: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>> {
        self.read(|tx| {
            // Two statements, so each is one index scan (by object, or the log's order).
            let rows = match object_id {
                Some(id) => tx
                    .prepare_cached(
                        "SELECT seq, at, account_id, action, object_id, before, after FROM audit_events
                         WHERE object_id = ?1 ORDER BY seq DESC LIMIT ?2",
                    )?
                    .query_map(params![id, limit], AuditEvent::from_row)?,
                None => tx
                    .prepare_cached(
                        "SELECT seq, at, account_id, action, object_id, before, after FROM audit_events
                         ORDER BY seq DESC LIMIT ?1",
                    )?
                    .query_map([limit], AuditEvent::from_row)?,
            };
            let mut events = rows.collect::<Result<Vec<_>>>()?;
            events.reverse();
            Ok(events)
        })
    }
}
