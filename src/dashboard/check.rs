//! The work of `check --threshold PERCENT` (the seed's 80% alarm for cron or CI): which pools
//! are fuller than the threshold, read from one snapshot. `src/cli/check.rs` prints them.

use crate::store::view::PoolSummary;
use crate::store::{Result, Store};
use std::collections::BTreeSet;

/// Which pools a check looks at. A pool carved whole into child pools reads as full although
/// nothing more can be allocated from it directly, so an alarm on it would never clear:
/// `leaves_only` looks only at pools with no child pool, `pools` only at the pools named.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Empty: every pool.
    pub pools: Vec<String>,
    pub leaves_only: bool,
}

/// The outcome of a check: how many pools were looked at, and those above the threshold.
pub struct Check {
    pub checked: usize,
    /// Fullest first; equal ones by id, so the output is stable.
    pub above: Vec<Checked>,
    /// Pool ids of the selection that the database does not hold.
    pub unknown: Vec<String>,
}

/// A pool above the threshold, and whether it is a leaf (has no child pool).
pub struct Checked {
    pub summary: PoolSummary,
    pub leaf: bool,
}

/// The ids of pools that have at least one child pool.
pub fn parents(pools: &[PoolSummary]) -> BTreeSet<String> {
    pools
        .iter()
        .filter_map(|p| p.pool.parent_id.clone())
        .collect()
}

/// The pools of `store` in `selection` whose utilization is above `threshold` percent.
pub fn pools_above(store: &Store, threshold: f64, selection: &Selection) -> Result<Check> {
    let pools = store.view(|v| v.pools())?;
    let parents = parents(&pools);
    let unknown = selection
        .pools
        .iter()
        .filter(|id| !pools.iter().any(|p| &&p.pool.id == id))
        .cloned()
        .collect();
    let selected: Vec<Checked> = pools
        .into_iter()
        .map(|p| Checked {
            leaf: !parents.contains(&p.pool.id),
            summary: p,
        })
        .filter(|c| selection.pools.is_empty() || selection.pools.contains(&c.summary.pool.id))
        .filter(|c| !selection.leaves_only || c.leaf)
        .collect();
    let checked = selected.len();
    let mut above: Vec<Checked> = selected
        .into_iter()
        .filter(|c| c.summary.usage.percent() > threshold)
        .collect();
    above.sort_by(|a, b| {
        b.summary
            .usage
            .percent()
            .total_cmp(&a.summary.usage.percent())
            .then(a.summary.pool.id.cmp(&b.summary.pool.id))
    });
    Ok(Check {
        checked,
        above,
        unknown,
    })
}
