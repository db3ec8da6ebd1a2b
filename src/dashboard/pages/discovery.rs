//! `/discovery`: the compliance table — every resource discovery with the stored result of its
//! last scan and counts per status. Only what a scan stored is shown: scanning writes (and can
//! auto-import), so the read-only dashboard never scans.

use super::{document, format};
use crate::dashboard::server::App;
use crate::store::view::{DiscoveredCidr, DiscoveryResult};
use crate::store::Result;
use maud::{html, Markup};
use std::collections::BTreeMap;

/// The compliance statuses in the order people triage them (subnets have none: `-`).
const COMPLIANCE: [&str; 4] = ["unmanaged", "noncompliant", "compliant", "ignored"];
const OVERLAP: [&str; 3] = ["overlapping", "nonoverlapping", "ignored"];

/// The statuses that need someone: a CIDR no allocation holds (or whose allocation breaks its
/// pool's rules), or one that shares addresses with another.
pub(crate) fn needs_attention(status: &str) -> bool {
    matches!(status, "unmanaged" | "noncompliant" | "overlapping")
}

/// How many of `discoveries`' CIDRs have each status, by `status`; every status listed in
/// `order` is present (zero when none has it).
fn counts<'a>(
    discoveries: &'a [DiscoveryResult],
    order: &[&'a str],
    status: impl Fn(&'a DiscoveredCidr) -> Option<&'a str>,
) -> BTreeMap<&'a str, usize> {
    let mut out: BTreeMap<&str, usize> = order.iter().map(|s| (*s, 0)).collect();
    for c in discoveries.iter().flat_map(|d| &d.cidrs) {
        if let Some(s) = status(c) {
            *out.entry(s).or_default() += 1;
        }
    }
    out
}

/// A status as a coloured label; the statuses that need someone's attention stand out.
fn status(s: Option<&str>) -> Markup {
    match s {
        Some(s) => html! { span class={"status " (s)} { (s) } },
        None => html! { span.muted { "-" } },
    }
}

fn stat_row(label: &str, kind: &str, counts: &BTreeMap<&str, usize>, order: &[&str]) -> Markup {
    html! {
        div.stats {
            @for s in order {
                @let n = counts.get(s).copied().unwrap_or(0);
                @let alert = n > 0 && needs_attention(s);
                div class={"stat" @if alert { " hot" }} id={"count-" (kind) "-" (s)} data-count=(n) {
                    strong { (n) } " " (s)
                }
            }
            span.muted.statlabel { (label) }
        }
    }
}

fn table(d: &DiscoveryResult) -> Markup {
    html! {
        div.scroll { table.discovered {
            thead { tr {
                th { "resource" } th { "type" } th { "CIDR" } th { "region" } th { "owner" } th { "name" }
                th { "compliance" } th { "overlap" } th { "managing pool" } th.num { "ip usage" } th { "reason" }
            } }
            tbody {
                @for c in &d.cidrs {
                    tr data-resource=(c.resource_id) data-cidr=(c.cidr)
                        data-compliance=(c.compliance_status.as_deref().unwrap_or(""))
                        data-overlap=(c.overlap_status) data-pool=(c.pool_id.as_deref().unwrap_or("")) {
                        td.mono { (c.resource_id) }
                        td { (c.resource_type) }
                        td.mono { (c.cidr) }
                        td.nowrap { (c.region.as_deref().unwrap_or("-")) }
                        td.mono { (c.owner_id.as_deref().unwrap_or("-")) }
                        td.description.name { (c.name.as_deref().unwrap_or("")) }
                        td { (status(c.compliance_status.as_deref())) }
                        td { (status(Some(&c.overlap_status))) }
                        td.mono { @match &c.pool_id {
                            Some(p) => a href={"/pools/" (p)} { (p) },
                            None => span.muted { "-" },
                        } }
                        td.num { @match c.ip_usage {
                            Some(u) => { (format::percent(u * 100.0)) "%" }
                            None => span.muted { "-" },
                        } }
                        td.description.reason { (c.reason.as_deref().unwrap_or("")) }
                    }
                }
            }
        } }
    }
}

/// `/discovery`: every discovery's last stored scan, with counts per status.
pub fn discovery(app: &App) -> Result<String> {
    let discoveries = app.store.view(|v| v.discoveries())?;
    let compliance = counts(&discoveries, &COMPLIANCE, |c| {
        c.compliance_status.as_deref()
    });
    let overlap = counts(&discoveries, &OVERLAP, |c| Some(&c.overlap_status));
    let body = html! {
        nav.crumbs { a href="/" { "address space" } " / discovery" }
        h1 { "Resource discovery" }
        @if discoveries.is_empty() {
            p.empty #no-discovery { "This database holds no resource discovery (ipam_resource_discovery)." }
        } @else {
            (stat_row("compliance (VPC CIDRs)", "compliance", &compliance, &COMPLIANCE))
            (stat_row("overlap", "overlap", &overlap, &OVERLAP))
        }
        @for d in &discoveries {
            section.discovery data-discovery=(d.id) {
                h2 { span.mono { (d.id) } @if let Some(t) = &d.description { span.desc { (t) } } }
                @match d.last_scanned {
                    Some(t) => {
                        p.facts.scanned { "last scanned " (format::time(t)) " · " (d.cidrs.len()) " CIDR" @if d.cidrs.len() != 1 { "s" } }
                        @if d.cidrs.is_empty() { p.empty { "The last scan found no CIDRs." } }
                        @else { (table(d)) }
                    }
                    None => p.empty.never {
                        "never scanned — run " code { "terraform-provider-ipam discover" }
                        " or read the " code { "ipam_discovered_resource_cidrs" } " data source"
                    },
                }
            }
        }
    };
    Ok(document(&app.database, "Resource discovery", "", body))
}
