//! Reads the AWS-compatible attributes need beyond the records: who owns a scope (its IPAM's
//! owner; ARNs are derived from owner and id, never stored).

use super::model::Ipam;
use super::rows::load_ipam;
use super::{Result, Store};
use ipam_db::OptionalExtension;

impl Store {
    /// The account that owns the IPAM `ipam_id` (and so its scopes), if it exists.
    pub fn ipam_owner(&self, ipam_id: &str) -> Result<Option<String>> {
        self.read(|tx| {
            Ok(tx
                .query_row("SELECT owner_id FROM ipams WHERE id = ?1", [ipam_id], |r| {
                    r.get(0)
                })
                .optional()?)
        })
    }

    /// Every IPAM of the database, by id.
    pub fn list_ipams(&self) -> Result<Vec<Ipam>> {
        self.read(|tx| {
            let ids: Vec<String> = tx
                .prepare_cached("SELECT id FROM ipams ORDER BY id")?
                .query_map((), |r| r.get(0))?
                .collect::<ipam_db::Result<_>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(load_ipam(tx, &id)?);
            }
            Ok(out)
        })
    }
}
