//! `/discovery`: the compliance table — every resource discovery with the stored result of its
//! last scan and counts per status. Only what a scan stored is shown: scanning writes (and can
//! auto-import), so the read-only dashboard never scans.

use super::{document, format};
use crate::dashboard::app::App;
use crate::dashboard::app::Page;
use crate::store::view::{DiscoveredCidr, DiscoverySummary, StatusTotals};
use crate::store::Result;
use maud::{html, Markup};
use std::collections::BTreeMap;
use std::collections::HashMap;

use crate::store::view::{COMPLIANCE_STATUSES as COMPLIANCE, OVERLAP_STATUSES as OVERLAP};

/// The statuses that need someone: a CIDR no allocation holds (or whose allocation breaks its
/// pool's rules), or one that shares addresses with another.
pub(crate) fn needs_attention(status: &str) -> bool {
    matches!(status, "unmanaged" | "noncompliant" | "overlapping")
}

/// A status as a coloured label; the statuses that need someone's attention stand out.
fn status(s: Option<&str>) -> Markup {
    match s {
        Some(s) => html! { span class={"status " (s)} { (s) } },
        None => html! { span.muted { "-" } },
    }
}

fn stat_rows(t: &StatusTotals) -> Markup {
    html! {
        (stat_row("compliance (VPC CIDRs)", "compliance", &t.compliance, &COMPLIANCE))
        (stat_row("overlap", "overlap", &t.overlap, &OVERLAP))
    }
}

fn stat_row(label: &str, kind: &str, counts: &BTreeMap<&str, u64>, order: &[&str]) -> Markup {
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

/// Seven columns that fit a 1,280 px window: where the resource is (type, region, owner) goes
/// under its id rather than in columns of its own.
fn table(rows: &[DiscoveredCidr]) -> Markup {
    html! {
        div.scroll { table.discovered {
            thead { tr {
                th { "resource" } th { "CIDR" } th { "name" }
                th { "compliance" } th { "overlap" } th { "managing pool" } th.num { "ip usage" }
            } }
            tbody {
                @for c in rows {
                    tr data-resource=(c.resource_id) data-cidr=(c.cidr)
                        data-compliance=(c.compliance_status.as_deref().unwrap_or(""))
                        data-overlap=(c.overlap_status) data-pool=(c.pool_id.as_deref().unwrap_or("")) {
                        td.resource {
                            span.mono { (c.resource_id) } br;
                            span.muted.where {
                                (c.resource_type) " · " (c.region.as_deref().unwrap_or("-"))
                                " · " span.mono { (c.owner_id.as_deref().unwrap_or("-")) }
                            }
                        }
                        td.mono { (c.cidr) }
                        td.description.name { (c.name.as_deref().unwrap_or("")) }
                        td {
                            (status(c.compliance_status.as_deref()))
                            // Why an unmanaged CIDR was not adopted, under its status: the
                            // table keeps its seven columns (it fits 1,280 px).
                            @if let Some(r) = &c.reason { br; span.muted.reason { (r) } }
                        }
                        td { (status(Some(&c.overlap_status))) }
                        td.mono.pool { @match &c.pool_id {
                            Some(p) => a href={"/pools/" (p)} { (p) },
                            None => span.muted { "-" },
                        } }
                        td.num { @match c.ip_usage {
                            Some(u) => { (format::percent(u * 100.0)) "%" }
                            None => span.muted { "-" },
                        } }
                    }
                }
            }
        } }
    }
}

/// Rows of one discovery on `/discovery?discovery=ID&page=N` (well under a megabyte of HTML).
pub const DISCOVERY_PAGE: u64 = 500;
/// Rows of each discovery on `/discovery` itself, with a link to the rest.
pub const DISCOVERY_PREVIEW: u64 = 100;

/// Page links: previous, "page N of M", next.
fn pager(id: &str, page: u64, pages: u64) -> Markup {
    html! {
        @if pages > 1 {
            nav.pager data-page=(page) data-pages=(pages) {
                @if page > 1 { a rel="prev" href={"/discovery?discovery=" (id) "&page=" (page - 1)} { "← previous" } " " }
                span { "page " (page) " of " (pages) }
                @if page < pages { " " a rel="next" href={"/discovery?discovery=" (id) "&page=" (page + 1)} { "next →" } }
            }
        }
    }
}

/// `/discovery`: every discovery's last stored scan, with counts per status; the first rows of
/// each, or with `?discovery=ID&page=N` one page of one discovery. An unknown discovery or a
/// page out of range is a 404.
pub fn discovery(app: &App, q: &HashMap<String, String>) -> Result<Page> {
    let only = q.get("discovery").cloned();
    let page = match q.get("page") {
        None => 1,
        Some(p) => match p.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => return Ok(Page::NotFound(format!("no page {p:?}"))),
        },
    };
    let (discoveries, figures, rows) = app.store.view(|v| {
        let all = v.discovery_summaries()?;
        // Counted over every stored CIDR: kept while the database is unchanged.
        let figures = app.totals.figures(v)?;
        let mut rows = Vec::new();
        for d in &all {
            let count = figures.counts.get(&d.id).copied().unwrap_or(0);
            let shown = match &only {
                Some(id) if id == &d.id => {
                    Some(((page - 1).saturating_mul(DISCOVERY_PAGE), DISCOVERY_PAGE))
                }
                Some(_) => None,
                None => Some((0, DISCOVERY_PREVIEW)),
            };
            rows.push(match shown {
                Some((offset, limit)) if offset < count || offset == 0 => {
                    Some(v.discovered_page(&d.id, offset, limit)?)
                }
                Some(_) => None,
                None => Some(Vec::new()),
            });
        }
        Ok((all, figures, rows))
    })?;
    if let Some(id) = &only {
        match discoveries.iter().position(|d| &d.id == id) {
            None => return Ok(Page::NotFound(format!("no resource discovery {id}"))),
            Some(i) if rows[i].is_none() => {
                return Ok(Page::NotFound(format!("{id} has no page {page}")))
            }
            Some(_) => {}
        }
    } else if page != 1 {
        return Ok(Page::NotFound(
            "pages are per discovery: /discovery?discovery=ID&page=N".into(),
        ));
    }
    let body = html! {
        nav.crumbs { a href="/" { "address space" } " / " @if only.is_some() { a href="/discovery" { "discovery" } } @else { "discovery" } }
        h1 { "Resource discovery" }
        @if discoveries.is_empty() {
            p.empty #no-discovery { "This database holds no resource discovery (ipam_resource_discovery)." }
        } @else if only.is_none() {
            (stat_rows(&figures.totals))
        }
        @for (d, shown) in discoveries.iter().zip(&rows) {
            @if only.is_none() || only.as_deref() == Some(&d.id) {
                @let count = figures.counts.get(&d.id).copied().unwrap_or(0);
                (section(d, count, shown.as_deref().unwrap_or_default(), only.is_some(), page))
            }
        }
    };
    Ok(Page::Html(document(
        &app.database,
        "Resource discovery",
        "",
        body,
    )))
}

/// One discovery: its last scan (`count` CIDRs), a failed scan since, and `rows` of it.
fn section(
    d: &DiscoverySummary,
    count: u64,
    rows: &[DiscoveredCidr],
    paged: bool,
    page: u64,
) -> Markup {
    let pages = count.div_ceil(DISCOVERY_PAGE).max(1);
    html! {
        section.discovery data-discovery=(d.id) {
            h2 { span.mono { (d.id) } @if let Some(t) = &d.description { span.desc { (t) } } }
            @if let Some(f) = &d.failure {
                p.error.scan-failed data-failed-at=(f.at) {
                    strong { "The latest scan failed" } " (" (format::time(f.at)) "): " (f.message)
                    @if d.last_scanned.is_some() { ". What is shown below is the scan before it." }
                    @else { "." }
                }
            }
            @match d.last_scanned {
                Some(t) => {
                    p.facts.scanned { "last scanned " (format::time(t)) " · " (format::separated(u128::from(count))) " CIDR" @if count != 1 { "s" } }
                    @if count == 0 { p.empty { "The last scan found no CIDRs." } }
                    @else {
                        @if paged { (pager(&d.id, page, pages)) }
                        (table(rows))
                        @if paged { (pager(&d.id, page, pages)) }
                        @else if count > rows.len() as u64 {
                            p.more {
                                "Showing the first " (rows.len()) " of " (format::separated(u128::from(count))) ". "
                                a href={"/discovery?discovery=" (d.id) "&page=1"} { "All of them, " (DISCOVERY_PAGE) " a page →" }
                            }
                        }
                    }
                }
                None => p.empty.never {
                    "never scanned — run " code { "terraform-provider-ipam discover" }
                    " or read the " code { "ipam_discovered_resource_cidrs" } " data source"
                },
            }
        }
    }
}
