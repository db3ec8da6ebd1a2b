//! `/metrics`: every pool's figures in the Prometheus exposition format (OpenMetrics text),
//! the names and labels of the interface, read from one snapshot.

use crate::store::view::View;
use crate::store::Result;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// What `/metrics` answers with, as Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool_id: String,
    ipam_id: String,
    scope_id: String,
    locale: String,
    description: String,
    /// `true` for a pool with no child pool. A parent carved whole into child pools reads as
    /// full although nothing is wrong, so utilization alerts select `leaf="true"`.
    leaf: String,
}

/// A discovery's stored CIDRs are counted per status pair; a subnet has no compliance status
/// (the label is empty, which Prometheus reads as absent).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DiscoveredLabels {
    discovery_id: String,
    compliance_status: String,
    overlap_status: String,
}

type F64Gauge = Gauge<f64, AtomicU64>;

/// Label values are user text: the exposition format takes any UTF-8 between quotes once
/// backslash, quote and newline are escaped.
fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The exposition text for the database as `view` sees it.
pub fn render(view: &View, kept: &super::app::TotalsCache) -> Result<String> {
    let mut registry = Registry::default();
    let family = || Family::<PoolLabels, F64Gauge>::default();
    let (addresses, allocated, ratio, allocations, largest) =
        (family(), family(), family(), family(), family());
    registry.register(
        "ipam_pool_addresses",
        "Addresses provisioned to the pool",
        addresses.clone(),
    );
    registry.register(
        "ipam_pool_allocated_addresses",
        "Addresses of the pool allocated, reserved or held by child pools",
        allocated.clone(),
    );
    registry.register(
        "ipam_pool_utilization_ratio",
        "Allocated addresses over provisioned addresses (0 to 1)",
        ratio.clone(),
    );
    registry.register(
        "ipam_pool_allocations",
        "Allocations of the pool (reservations not counted)",
        allocations.clone(),
    );
    registry.register(
        "ipam_pool_largest_free_prefix_length",
        "Prefix length of the largest free block (absent when the pool is full)",
        largest.clone(),
    );
    let pools = view.pools()?;
    let parents = super::check::parents(&pools);
    for p in pools {
        let labels = PoolLabels {
            leaf: (!parents.contains(&p.pool.id)).to_string(),
            pool_id: label(&p.pool.id),
            ipam_id: label(&p.pool.ipam_id),
            scope_id: label(&p.pool.scope_id),
            locale: label(p.pool.locale.as_deref().unwrap_or("")),
            description: label(p.pool.description.as_deref().unwrap_or("")),
        };
        let u = &p.usage;
        addresses.get_or_create(&labels).set(u.total as f64);
        allocated.get_or_create(&labels).set(u.allocated as f64);
        let r = if u.total == 0 {
            0.0
        } else {
            u.allocated as f64 / u.total as f64
        };
        ratio.get_or_create(&labels).set(r);
        allocations
            .get_or_create(&labels)
            .set(u.allocation_count as f64);
        if let Some(l) = u.largest_free_len {
            largest.get_or_create(&labels).set(f64::from(l));
        }
    }
    let reservations = F64Gauge::default();
    reservations.set(view.reservation_count()? as f64);
    registry.register(
        "ipam_reservations",
        "Unapplied plan-time reservations in the database",
        reservations,
    );
    let discovered = Family::<DiscoveredLabels, F64Gauge>::default();
    registry.register(
        "ipam_discovered_resource_cidrs",
        "CIDRs found by each resource discovery's last scan, by status (a scan stores them; serving never scans)",
        discovered.clone(),
    );
    for c in kept.pairs(view)?.iter() {
        let labels = DiscoveredLabels {
            discovery_id: label(&c.discovery_id),
            compliance_status: label(c.compliance_status.as_deref().unwrap_or("")),
            overlap_status: label(&c.overlap_status),
        };
        discovered.get_or_create(&labels).inc_by(c.count as f64);
    }
    let mut out = String::new();
    encode(&mut out, &registry).map_err(|e| crate::store::Error::Refused(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped_for_the_exposition_format() {
        assert_eq!(super::label("a \"b\" \\ c\nd"), "a \\\"b\\\" \\\\ c\\nd");
    }
}
