//! The append-only audit log: who changed what, with the record before and after.

use super::{now_secs, Actor, Result};
use rusqlite::{params, Transaction};

pub fn record(
    tx: &Transaction,
    actor: &Actor,
    action: &str,
    object_id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_events (at, account_id, action, object_id, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now_secs(),
        actor.account_id,
        action,
        object_id,
        before.map(|v| v.to_string()),
        after.map(|v| v.to_string())
    ])?;
    Ok(())
}
