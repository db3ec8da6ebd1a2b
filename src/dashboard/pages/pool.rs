//! `/pools/<id>`: one pool's figures, map, utilization chart, CIDRs, reservations,
//! allocations (a page at a time) and audit events, all read in one snapshot.

use super::{bar, document, figures, format, origin, resource, tags};
use crate::dashboard::app::{App, Page};
use crate::dashboard::{chart, map};
use crate::engine::Cidr;
use crate::store::view::{parse_query, AllocationRow, PoolSummary, View};
use crate::store::{HistoryPoint, Result};
use maud::{html, Markup};
use std::collections::HashMap;

/// Allocations listed per page of a pool (the map shows them all).
pub const PAGE_SIZE: u64 = 200;
/// Newest audit events shown on a pool's page.
const AUDIT_EVENTS: u32 = 50;
/// History points drawn (the newest).
const HISTORY_POINTS: u32 = 5000;

/// Everything a pool's page shows, read in one snapshot.
struct PoolData {
    summary: PoolSummary,
    ancestors: Vec<(String, Option<String>)>,
    maps: Vec<(Cidr, Cidr, Markup, usize, Vec<Cidr>)>,
    history: Vec<HistoryPoint>,
    rows: Vec<AllocationRow>,
    row_count: u64,
    reservations: Vec<AllocationRow>,
    audit: Vec<crate::store::AuditEvent>,
    /// (share id, name, principals) of the resource shares that hold the pool.
    shares: Vec<(String, String, Vec<String>)>,
}

fn load_pool(v: &View, id: &str, zoom: Option<Cidr>, page: u64) -> Result<Option<PoolData>> {
    let Some(summary) = v.pool(id)? else {
        return Ok(None);
    };
    if let Some(z) = zoom {
        if !summary.cidrs.iter().any(|c| c.contains(&z)) {
            return Ok(None);
        }
    }
    let mut ancestors = Vec::new();
    let mut parent = summary.pool.parent_id.clone();
    while let Some(pid) = parent.take() {
        if ancestors.len() > 64 {
            break;
        }
        if let Some(p) = v.pool(&pid)? {
            ancestors.push((p.pool.id.clone(), p.pool.description.clone()));
            parent = p.pool.parent_id.clone();
        }
    }
    ancestors.reverse();
    let mut maps = Vec::new();
    for root in &summary.cidrs {
        let whole = map::Layout::new(*root);
        let (view, blocks) = match zoom {
            Some(z) if root.contains(&z) => {
                (z, v.map_blocks(id, &z, map::Layout::new(z).cell_len())?)
            }
            Some(_) => (*root, v.map_blocks(id, root, whole.cell_len())?),
            None => {
                let blocks = v.map_blocks(id, root, whole.cell_len())?;
                match map::sensible_view(*root, &blocks) {
                    view if view == *root => (view, blocks),
                    view => (
                        view,
                        v.map_blocks(id, &view, map::Layout::new(view).cell_len())?,
                    ),
                }
            }
        };
        let layout = map::Layout::new(view);
        let free = v.largest_free(id, &view, 6)?;
        maps.push((
            *root,
            view,
            map::render(&layout, &blocks),
            blocks.len(),
            free,
        ));
    }
    let row_count = v.allocation_rows(id)?;
    Ok(Some(PoolData {
        history: v.history(id, HISTORY_POINTS)?,
        rows: v.allocations(id, page.saturating_mul(PAGE_SIZE), PAGE_SIZE)?,
        reservations: v.reservations(id)?,
        audit: v.audit(id, AUDIT_EVENTS)?,
        shares: v.pool_shares(id)?,
        summary,
        ancestors,
        maps,
        row_count,
    }))
}

/// `/pools/<id>`: the pool's figures, map, chart, CIDRs, reservations, allocations and audit.
pub fn pool(app: &App, id: &str, q: &HashMap<String, String>) -> Result<Page> {
    let zoom = match q.get("zoom").filter(|z| !z.is_empty()) {
        Some(z) => match parse_query(z) {
            Some(c) => Some(c),
            None => return Ok(Page::NotFound(format!("no such block: {z}"))),
        },
        None => None,
    };
    let page = match q.get("page").map(|p| p.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Ok(Page::NotFound("no such page of allocations".into())),
    };
    let Some(d) = app.store.view(|v| load_pool(v, id, zoom, page - 1))? else {
        return Ok(Page::NotFound(format!(
            "no pool {id} (or no such block in it)"
        )));
    };
    let pages = d.row_count.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Ok(Page::NotFound("no such page of allocations".into()));
    }
    let p = &d.summary;
    let u = &p.usage;
    let now = HistoryPoint {
        at: crate::store::now_secs(),
        allocated: u.allocated,
        total: u.total,
    };
    let body = html! {
        nav.crumbs {
            a href="/" { "all pools" } " › " span.muted { (p.pool.ipam_id) " › " (p.pool.scope_type.as_str()) " scope" }
            @for (aid, adesc) in &d.ancestors {
                " › " a href={"/pools/" (aid)} { (adesc.as_deref().unwrap_or(aid)) }
            }
        }
        h1 { (p.pool.description.as_deref().unwrap_or(&p.pool.id)) " " span.muted.mono { (p.pool.id) } }
        div.summary data-pool=(p.pool.id) {
            (bar(u.percent()))
            (figures(p))
            dl.facts {
                dt { "family" } dd { (p.pool.family) }
                @if let Some(l) = &p.pool.locale { dt { "locale" } dd { (l) } }
                dt { "depth" } dd { (p.pool.depth) }
                dt { "netmask" } dd {
                    "min " (p.pool.rules.min_len.map_or("-".into(), |l| format!("/{l}")))
                    " · default " (p.pool.rules.default_len.map_or("-".into(), |l| format!("/{l}")))
                    " · max " (p.pool.rules.max_len.map_or("-".into(), |l| format!("/{l}")))
                }
                dt { "available" } dd { (format::count(u.available())) " addresses" }
                dt { "reserved" } dd { (format::count(u.reserved)) " addresses in " (d.reservations.len()) " reservation" @if d.reservations.len() != 1 { "s" } }
                @if !p.pool.rules.required_tags.is_empty() { dt { "required tags" } dd { (tags(&p.pool.rules.required_tags)) } }
                @if !p.pool.tags.is_empty() { dt { "tags" } dd { (tags(&p.pool.tags)) } }
                dt { "owner" } dd { (p.pool.owner_id) }
                dt { "auto_import" } dd #auto-import data-auto-import=(p.pool.auto_import) {
                    @if p.pool.auto_import { "on: allocations its parent holds inside a CIDR provisioned here move into this pool, and discovery adopts eligible resources" }
                    @else { "off" }
                }
                dt { "shared with" } dd #shares {
                    @if d.shares.is_empty() { span.muted { "no resource share" } }
                    @for (i, (sid, name, principals)) in d.shares.iter().enumerate() {
                        @if i > 0 { br; }
                        span.share data-share=(sid) {
                            strong { (name) } " " span.muted.mono { (sid) } ": "
                            @if principals.is_empty() { span.muted { "no principal" } }
                            @for (j, who) in principals.iter().enumerate() {
                                @if j > 0 { ", " }
                                span.mono.principal { (who) }
                            }
                        }
                    }
                }
            }
        }
        section #map {
            h2 { "Map" }
            p.muted { "Each CIDR's addresses in order along a Hilbert curve: an aligned block is a square. Point at a block to name it; click a shaded cell to zoom in, a child pool to open it." }
            @if p.cidrs.is_empty() { p.empty { "No CIDR is provisioned to this pool." } }
            @for (root, view, svg, n, free) in &d.maps {
                figure.mapbox data-root=(root.to_string()) data-blocks=(n) {
                    figcaption {
                        span.mono { (view) }
                        @if view != root {
                            " in " span.mono { (root) } " · "
                            @let out = map::zoom_out(*root, *view);
                            @if out != *root {
                                a href={"/pools/" (p.pool.id) "?zoom=" (out) "#map"} { "zoom out to " (out) } " · "
                            }
                            a href={"/pools/" (p.pool.id) "?zoom=" (root) "#map"} { "show all of " (root) }
                        }
                        " · one cell = /" (map::Layout::new(*view).cell_len())
                    }
                    (svg)
                    div.mapinfo aria-live="polite" { "Point at the map to see what holds a block." }
                    p.legend {
                        span.item { span.sw.alloc {} "allocated" } span.item { span.sw.resv {} "reserved" }
                        span.item { span.sw.child {} "child pool" } span.item { span.sw.free {} "free" }
                    }
                    div.freelist {
                        h4 { "Largest free blocks here" }
                        @if free.is_empty() { p.empty { "none: this block is full" } }
                        ul { @for f in free { li.mono { (f) span.muted { " · " (format::count(f.size())) " addresses" } } } }
                    }
                }
            }
        }
        section #history {
            h2 { "Utilization over time" }
            (chart::render(&d.history, now))
            @if d.history.is_empty() { p.muted { "No change recorded yet: the history starts with the first change after this version of the provider." } }
        }
        section #cidrs {
            h2 { "CIDRs" }
            table {
                thead { tr { th { "CIDR" } th.num { "addresses" } th.num { "allocated" } th { "utilization" } } }
                tbody {
                    @for c in &u.cidrs {
                        @let pct = crate::store::utilization_percent(c.allocated, c.total);
                        tr { td.mono { (c.cidr) } td.num { (format::count(c.total)) } td.num { (format::count(c.allocated)) }
                             td { (bar(pct)) " " (format::percent(pct)) "%" } }
                    }
                }
            }
        }
        @if !d.reservations.is_empty() {
            section #reservations {
                h2 { "Reservations" }
                table {
                    thead { tr { th { "name" } th { "CIDR" } th { "id" } th { "expires" } } }
                    tbody {
                        @for r in &d.reservations {
                            tr { td { (r.name.as_deref().unwrap_or("-")) } td.mono { (r.cidr) } td.mono { (r.id) }
                                 td { (r.expires_at.map(format::time).unwrap_or_default()) } }
                        }
                    }
                }
            }
        }
        section #allocations {
            h2 { "Allocations, reservations and child pools " span.muted { "(" (d.row_count) ")" } }
            @if d.rows.is_empty() { p.empty { "Nothing is allocated from this pool." } } @else {
                table.allocs {
                    thead { tr { th { "id" } th { "CIDR" } th { "type" } th { "resource" } th { "owner" } th { "description" } th { "tags" } th { "origin" } th { "created" } } }
                    tbody {
                        @for a in &d.rows {
                            tr data-allocation=(a.id) data-cidr=(a.cidr.to_string()) class=[a.reserved.then_some("reserved")] {
                                td.mono { (a.id) }
                                td.mono { (a.cidr) }
                                td { (a.kind) @if a.reserved { br; span.badge { "reserved" } } }
                                td { (resource(a)) }
                                td.mono { (a.owner_id) }
                                td.description { (a.description.as_deref().unwrap_or("")) }
                                td { (tags(&a.tags)) }
                                td.origin { (origin(a)) }
                                td.nowrap { (format::time(a.created_at)) }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav.pager {
                        @if page > 1 { a href={"/pools/" (p.pool.id) "?page=" (page - 1) "#allocations"} { "← previous" } }
                        " page " (page) " of " (pages) " "
                        @if page < pages { a href={"/pools/" (p.pool.id) "?page=" (page + 1) "#allocations"} { "next →" } }
                    }
                }
            }
        }
        section #audit {
            h2 { "Audit events" }
            @if d.audit.is_empty() { p.empty { "No events." } } @else {
                table {
                    thead { tr { th { "#" } th { "time" } th { "account" } th { "action" } th { "object" } th { "CIDR" } } }
                    tbody {
                        @for e in &d.audit {
                            tr { td.num { (e.seq) } td.nowrap { (format::time(e.at)) } td.mono { (e.account_id) }
                                 td { (e.action) } td.mono { (e.object_id) } td.mono { (e.cidr().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::Html(document(
        &app.database,
        p.pool.description.as_deref().unwrap_or(&p.pool.id),
        "",
        body,
    )))
}
