//! The HTML pages, rendered on the server with maud, which escapes every value it inserts:
//! descriptions, tags and names are user text and only ever appear as text.

use super::server::{App, Page};
use super::{chart, format, map};
use crate::engine::Cidr;
use crate::store::view::{parse_query, AllocationRow, PoolSummary, View};
use crate::store::{HistoryPoint, Result, Tags};
use maud::{html, Markup, DOCTYPE};
use std::collections::HashMap;

/// Where a pool's bar turns red and the front page counts it, as the seed's alarm.
const ALARM_PERCENT: f64 = 80.0;
/// Allocations listed per page of a pool (the map shows them all).
pub const PAGE_SIZE: u64 = 200;
/// Newest audit events shown on a pool's page.
const AUDIT_EVENTS: u32 = 50;
/// History points drawn (the newest).
const HISTORY_POINTS: u32 = 5000;

fn document(db: &str, title: &str, query: &str, body: Markup) -> String {
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
fn bar(percent: f64) -> Markup {
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

fn figures(p: &PoolSummary) -> Markup {
    let u = &p.usage;
    let pct = u.percent();
    html! {
        span.figures data-total=(u.total) data-allocated=(u.allocated) data-percent=(format::percent(pct))
            data-count=(u.allocation_count) {
            strong.pct { (format::percent(pct)) "%" }
            " " (format::count(u.allocated)) " of " (format::count(u.total)) " addresses · "
            (u.allocation_count) " allocation" @if u.allocation_count != 1 { "s" }
            @if let Some(l) = u.largest_free_len { " · largest free /" (l) }
        }
    }
}

fn tags(t: &Tags) -> Markup {
    html! {
        @for (k, v) in t { span.tag { (k) "=" (v) } " " }
    }
}

fn first_start(p: &PoolSummary) -> (String, u128, u8) {
    (
        p.pool.family.to_string(),
        p.cidrs.first().map_or(0, Cidr::start),
        p.cidrs.first().map_or(0, Cidr::prefix_len),
    )
}

struct Tree<'a> {
    children: HashMap<Option<&'a str>, Vec<&'a PoolSummary>>,
}

impl<'a> Tree<'a> {
    fn new(pools: &'a [PoolSummary], scope_id: &str) -> Tree<'a> {
        let ids: std::collections::HashSet<&str> = pools
            .iter()
            .filter(|p| p.pool.scope_id == scope_id)
            .map(|p| p.pool.id.as_str())
            .collect();
        let mut children: HashMap<Option<&str>, Vec<&PoolSummary>> = HashMap::new();
        for p in pools.iter().filter(|p| p.pool.scope_id == scope_id) {
            let parent = p.pool.parent_id.as_deref().filter(|id| ids.contains(id));
            children.entry(parent).or_default().push(p);
        }
        for list in children.values_mut() {
            list.sort_by_key(|p| first_start(p));
        }
        Tree { children }
    }

    fn render(&self, parent: Option<&str>) -> Markup {
        let list = self
            .children
            .get(&parent)
            .map(Vec::as_slice)
            .unwrap_or_default();
        html! {
            @if !list.is_empty() {
                ul.pools {
                    @for p in list {
                        li.pool data-pool=(p.pool.id) {
                            div.row {
                                div.name {
                                    a.id href={"/pools/" (p.pool.id)} { (p.pool.id) }
                                    span.desc { (p.pool.description.as_deref().unwrap_or("")) }
                                }
                                div.meta {
                                    span.family { (p.pool.family) }
                                    @for c in &p.cidrs { span.cidr { (c) } }
                                    @if let Some(l) = &p.pool.locale { span.locale { (l) } }
                                }
                                (bar(p.usage.percent()))
                                (figures(p))
                            }
                            (self.render(Some(&p.pool.id)))
                        }
                    }
                }
            }
        }
    }
}

/// `/`: every IPAM, its scopes and their pools as a tree.
pub fn index(app: &App) -> Result<String> {
    let (ipams, scopes, pools) = app
        .store
        .view(|v| Ok((v.ipams()?, v.scopes()?, v.pools()?)))?;
    let hot = pools
        .iter()
        .filter(|p| p.usage.percent() >= ALARM_PERCENT)
        .count();
    let allocations: u64 = pools.iter().map(|p| p.usage.allocation_count).sum();
    let body = html! {
        h1 { "Address space" }
        div.stats {
            div.stat { strong { (ipams.len()) } " IPAM" @if ipams.len() != 1 { "s" } }
            div.stat { strong { (pools.len()) } " pool" @if pools.len() != 1 { "s" } }
            div.stat { strong { (format::separated(u128::from(allocations))) } " allocation" @if allocations != 1 { "s" } }
            div class={"stat" @if hot > 0 { " hot" }} #hot-pools {
                strong { (hot) } " pool" @if hot != 1 { "s" } " at or above " (ALARM_PERCENT) "%"
            }
        }
        @if ipams.is_empty() { p.empty { "This database holds no IPAM yet." } }
        @for i in &ipams {
            section.ipam data-ipam=(i.id) {
                h2 { (i.id) @if let Some(d) = &i.description { span.desc { (d) } } }
                p.facts { "regions " (i.operating_regions.join(", ")) " · owner " (i.owner_id) " " (tags(&i.tags)) }
                @for s in scopes.iter().filter(|s| s.ipam_id == i.id) {
                    @let tree = Tree::new(&pools, &s.id);
                    @if s.pool_count > 0 || s.scope_type == crate::store::ScopeType::Private {
                        div.scope data-scope=(s.id) {
                            h3 { (s.scope_type.as_str()) " scope " span.muted { (s.id) } }
                            @if s.pool_count == 0 { p.empty { "no pools" } }
                            (tree.render(None))
                        }
                    }
                }
            }
        }
    };
    Ok(document(&app.database, "Address space", "", body))
}

/// `/search?q=`: which pools and allocations hold an address or CIDR.
pub fn search(app: &App, query: &str) -> Result<String> {
    let parsed = parse_query(query);
    let hits = match &parsed {
        Some(c) => app.store.view(|v| v.locate(c))?,
        None => Vec::new(),
    };
    let body = html! {
        h1 { "Where is " code { (query) } "?" }
        @match &parsed {
            None => p.empty { "Cannot read " code { (query) } " as an IP address or CIDR (10.1.2.3, 10.1.0.0/16, 2001:db8::1)." },
            Some(c) if hits.is_empty() => p.empty #no-hit { "No pool holds " code { (format::block(c)) } "." },
            Some(c) => {
                @let inner = hits.last();
                p.answer #answer {
                    @match inner.and_then(|h| h.allocation.as_ref().map(|a| (h, a))) {
                        Some((h, a)) if a.cidr.contains(c) => {
                            code { (format::block(c)) } " is " @if a.reserved { "reserved" } @else { "allocated" } " in "
                            a href={"/pools/" (h.pool.id)} { (h.pool.description.as_deref().unwrap_or(&h.pool.id)) }
                            " as " code { (a.cidr) } " (" (a.id)
                            @if let Some(r) = &a.resource_id { ", " (r) } ")"
                            @if let Some(d) = &a.description { " — " (d) }
                        }
                        Some((h, a)) => {
                            code { (format::block(c)) } " is partly allocated in "
                            a href={"/pools/" (h.pool.id)} { (h.pool.description.as_deref().unwrap_or(&h.pool.id)) }
                            ": it overlaps " code { (a.cidr) } " (" (a.id) ")"
                        }
                        None => @if let Some(h) = inner {
                            code { (format::block(c)) } " is free in "
                            a href={"/pools/" (h.pool.id)} { (h.pool.description.as_deref().unwrap_or(&h.pool.id)) }
                            " (" (h.pool_cidr) ")"
                        },
                    }
                }
                table.hits #hits {
                    thead { tr { th { "pool" } th { "pool CIDR" } th { "held by" } th { "type" } th { "resource" } th { "description" } } }
                    tbody {
                        @for h in &hits {
                            tr data-pool=(h.pool.id) data-allocation=[h.allocation.as_ref().map(|a| &a.id)] {
                                td.nowrap { a.mono href={"/pools/" (h.pool.id) "?zoom=" (h.pool_cidr) "#map"} { (h.pool.id) } br; span.muted { (h.pool.description.as_deref().unwrap_or("")) } }
                                td.mono { (h.pool_cidr) }
                                @match &h.allocation {
                                    Some(a) => {
                                        td.mono { (a.cidr) br; span.muted { (a.id) } @if !a.cidr.contains(c) { br; em { "overlaps only" } } }
                                        td.nowrap { (a.kind) @if a.reserved { " (reserved)" } }
                                        td { (resource(a)) }
                                        td { (a.description.as_deref().unwrap_or("")) }
                                    }
                                    None => { td colspan="4" { em { "free in this pool" } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(document(&app.database, "Search", query, body))
}

fn resource(a: &AllocationRow) -> Markup {
    html! {
        @match (&a.kind[..], &a.resource_id) {
            ("ipam-pool", Some(r)) => a href={"/pools/" (r)} { (r) },
            (_, Some(r)) => (r),
            (_, None) => (a.name.as_deref().unwrap_or("-")),
        }
    }
}

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
            h2 { "Allocations " span.muted { "(" (d.row_count) ")" } }
            @if d.rows.is_empty() { p.empty { "Nothing is allocated from this pool." } } @else {
                table.allocs {
                    thead { tr { th { "id" } th { "CIDR" } th { "type" } th { "resource" } th { "owner" } th { "description" } th { "tags" } th { "created" } } }
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
