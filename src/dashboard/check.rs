//! The work of `check --threshold PERCENT` (the seed's 80% alarm for cron or CI): which pools
//! are fuller than the threshold, read from one snapshot. `src/cli/check.rs` prints them.

use crate::store::view::PoolSummary;
use crate::store::{Result, Store};

/// The outcome of a check: how many pools were looked at, and those above the threshold.
pub struct Check {
    pub checked: usize,
    /// Fullest first; equal ones by id, so the output is stable.
    pub above: Vec<PoolSummary>,
}

/// The pools of `store` whose utilization is above `threshold` percent.
pub fn pools_above(store: &Store, threshold: f64) -> Result<Check> {
    let pools = store.view(|v| v.pools())?;
    let checked = pools.len();
    let mut above: Vec<PoolSummary> = pools
        .into_iter()
        .filter(|p| p.usage.percent() > threshold)
        .collect();
    above.sort_by(|a, b| {
        b.usage
            .percent()
            .total_cmp(&a.usage.percent())
            .then(a.pool.id.cmp(&b.pool.id))
    });
    Ok(Check { checked, above })
}
