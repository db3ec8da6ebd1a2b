//! The HTML pages, rendered on the server with maud, which escapes every value it inserts:
//! descriptions, tags and names are user text and only ever appear as text. This file holds
//! the frame every page shares and the pieces several pages draw; one file per page.

mod discovery;
mod index;
mod pool;
mod search;

pub use discovery::{discovery, DISCOVERY_PAGE, DISCOVERY_PREVIEW};
pub use index::index;
pub use pool::{pool, PAGE_SIZE};
pub use search::{search, SEARCH_LIMIT};

use super::format;
use crate::store::view::{AllocationRow, PoolSummary};
use crate::store::Tags;
use maud::{html, Markup, DOCTYPE};

/// Where a pool's bar turns red and the front page counts it, as the seed's alarm.
pub(crate) const ALARM_PERCENT: f64 = 80.0;

/// The frame of every page: the header with the search box, the stylesheet and the map's
/// script (both served by `serve` itself, as its Content-Security-Policy requires).
pub(crate) fn document(db: &str, title: &str, query: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · IPAM" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                header.top {
                    a.brand href="/" { "IPAM" span.sub { "address space" } }
                    form.search action="/search" method="get" role="search" {
                        input #q type="search" name="q" value=(query)
                            placeholder="Find an address or CIDR, e.g. 10.1.2.3" aria-label="address or CIDR";
                        button type="submit" { "Find" }
                    }
                    span.db title="opened read-only" { "read-only · " (db) }
                }
                main { (body) }
                script src="/static/map.js" {}
            }
        }
    }
    .into_string()
}

/// A utilization bar: SVG, so the width is an attribute (the page allows no inline style).
pub(crate) fn bar(percent: f64) -> Markup {
    let w = if percent > 0.0 { percent.max(0.6) } else { 0.0 };
    let class = if percent >= ALARM_PERCENT {
        "fg hot"
    } else if percent >= 60.0 {
        "fg warm"
    } else {
        "fg"
    };
    html! {
        svg.bar viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
            rect.bg width="100" height="10" {}
            rect class=(class) width=(format!("{w:.2}")) height="10" {}
        }
    }
}

pub(crate) fn figures(p: &PoolSummary) -> Markup {
    let u = &p.usage;
    let pct = u.percent();
    // The data source's count holds child pools' CIDRs too: shown apart, as they are carved
    // out for a pool, not allocated to a resource.
    let children = p.child_pool_cidrs.min(u.allocation_count);
    let own = u.allocation_count - children;
    html! {
        span.figures data-total=(u.total) data-allocated=(u.allocated) data-percent=(format::percent(pct))
            data-count=(u.allocation_count) data-allocations=(own) data-child-pools=(children) {
            strong.pct { (format::percent(pct)) "%" }
            " " (format::count(u.allocated)) " of " (format::count(u.total)) " addresses · "
            (own) " allocation" @if own != 1 { "s" }
            @if children > 0 { " · " (children) " child pool CIDR" @if children != 1 { "s" } }
            @if let Some(l) = u.largest_free_len { " · largest free /" (l) }
        }
    }
}

pub(crate) fn tags(t: &Tags) -> Markup {
    html! {
        @for (k, v) in t { span.tag { (k) "=" (v) } " " }
    }
}

/// Who holds an allocation: a child pool's link, a resource id, or the reservation's name.
pub(crate) fn resource(a: &AllocationRow) -> Markup {
    html! {
        @match (&a.kind[..], &a.resource_id) {
            ("ipam-pool", Some(r)) => a href={"/pools/" (r)} { (r) },
            (_, Some(r)) => (r),
            (_, None) => (a.name.as_deref().unwrap_or("-")),
        }
    }
}

/// Where an allocation was requested: the directory Terraform ran in and its workspace when
/// not `default`; when, in the tooltip, and shown only where it differs from the creation time
/// (a plan-time reservation applied later); `-` for allocations made before origins were kept.
pub(crate) fn origin(a: &AllocationRow) -> Markup {
    let Some(o) = &a.origin else {
        return html! { span.muted { "-" } };
    };
    let at = a.origin_at.map(format::time);
    let title = format!(
        "{} (workspace {}){}",
        o.dir,
        o.workspace,
        at.as_deref()
            .map(|t| format!(" at {t}"))
            .unwrap_or_default()
    );
    html! {
        span.mono title=(title) { (o.dir) }
        @if o.workspace != "default" { " " span.tag { "workspace " (o.workspace) } }
        @if let (Some(t), true) = (at, a.origin_at != Some(a.created_at)) { br; span.muted { "at " (t) } }
    }
}

/// The 404 page: what was not found, and the way back.
pub fn not_found(db: &str, what: &str) -> String {
    document(
        db,
        "Not found",
        "",
        html! { h1 { "Not found" } p #not-found { (what) } p { a href="/" { "← all pools" } } },
    )
}

/// The 500 page: the store's error, escaped like everything else.
pub fn error(db: &str, message: &str) -> String {
    document(
        db,
        "Error",
        "",
        html! { h1 { "Cannot read the database" } p.error { (message) } p { a href="/" { "← all pools" } } },
    )
}
