//! `/search?q=`: everything that overlaps an address or CIDR, and whether it is free.
//!
//! "Free" is a promise a person acts on (they will ask for that block), so it is said only when
//! the block lies inside a pool and nothing overlaps it there: no allocation, reservation or
//! child pool, and no discovered resource.

use super::{document, format, resource};
use crate::dashboard::app::App;
use crate::engine::Cidr;
use crate::store::view::{parse_query, AllocationRow, PoolHit, Search};
use crate::store::Result;
use maud::{html, Markup};

/// Rows of each table a search shows; the rest are counted.
pub const SEARCH_LIMIT: usize = 200;

/// `/search?q=`: everything that overlaps an address or CIDR.
pub fn search(app: &App, query: &str) -> Result<String> {
    if query.trim().is_empty() {
        return Ok(document(&app.database, "Search", "", how_to_search()));
    }
    let Some(target) = parse_query(query) else {
        let body = html! {
            h1 { "Where is " code { (query) } "?" }
            p.empty #unreadable { "Cannot read " code { (query) } " as an IP address or CIDR." }
            (examples())
        };
        return Ok(document(&app.database, "Search", query, body));
    };
    let found = app.store.view(|v| v.search(&target, SEARCH_LIMIT))?;
    let body = html! {
        h1 { "Where is " code { (format::block(&target)) } "?" }
        div.answer #answer { (answer(&target, &found)) }
        @if !found.allocations.is_empty() { (allocations(&target, &found)) }
        @if !found.discovered.is_empty() { (discovered(&found)) }
    };
    Ok(document(&app.database, "Search", query, body))
}

/// An empty search: what can be typed, with examples.
fn how_to_search() -> Markup {
    html! {
        h1 { "Search" }
        p #how-to-search {
            "Type an address or a CIDR in the box above to see which pools hold it, what is "
            "allocated, reserved or carved into child pools there, what discovery found there, "
            "and whether it is free."
        }
        (examples())
    }
}

fn examples() -> Markup {
    html! {
        ul.examples {
            li { a href="/search?q=10.1.2.3" { code { "10.1.2.3" } } " an address" }
            li { a href="/search?q=10.1.0.0%2F16" { code { "10.1.0.0/16" } } " a block (host bits are cleared)" }
            li { a href="/search?q=2001%3Adb8%3A%3A1" { code { "2001:db8::1" } } " an IPv6 address" }
        }
    }
}

fn pool_link(h: &PoolHit) -> Markup {
    html! { a href={"/pools/" (h.pool.id)} { (h.pool.description.as_deref().unwrap_or(&h.pool.id)) } }
}

/// One line per innermost pool holding the block (pools in separate scopes may both hold it);
/// "in no pool" when none does.
fn answer(target: &Cidr, found: &Search) -> Markup {
    let block = format::block(target);
    let holding: Vec<&PoolHit> = found.pools.iter().filter(|h| h.holds).collect();
    // The innermost: a holding pool none of whose child pools also holds the block.
    let innermost: Vec<&PoolHit> = holding
        .iter()
        .copied()
        .filter(|h| {
            !holding
                .iter()
                .any(|c| c.pool.parent_id.as_deref() == Some(&h.pool.id))
        })
        .collect();
    let discovered = found.discovered_count;
    html! {
        @if innermost.is_empty() {
            p #in-no-pool {
                code { (block) } " is in no pool"
                @if found.pools.is_empty() { "." } @else {
                    " as a whole; it overlaps "
                    @for (i, h) in found.pools.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (h.pool_cidr) } " of " (pool_link(h))
                    }
                    "."
                }
                @if discovered > 0 { " " (discovered_note(discovered)) }
            }
        }
        @for h in &innermost {
            @let mine: Vec<&AllocationRow> = found.allocations.iter().filter(|a| a.pool_id == h.pool.id).collect();
            p.verdict data-pool=(h.pool.id) data-overlapping=(h.overlapping) {
                @match (h.overlapping, mine.first()) {
                    (0, _) if discovered == 0 => {
                        span #free { code { (block) } " is free in " (pool_link(h)) " (" (h.pool_cidr) ")." }
                    }
                    (0, _) => {
                        code { (block) } " is not allocated in " (pool_link(h)) " (" (h.pool_cidr) "), but "
                        (discovered_note(discovered))
                    }
                    (1, Some(a)) if a.cidr.contains(target) => {
                        code { (block) } " is " @if a.reserved { "reserved" } @else if a.kind == "ipam-pool" { "carved out" } @else { "allocated" } " in "
                        (pool_link(h)) " as " code { (a.cidr) } " (" (a.id)
                        @if let Some(r) = &a.resource_id { ", " (r) } ")"
                        @if let Some(d) = &a.description { " — " (d) }
                    }
                    (n, _) => {
                        code { (block) } " is partly used in " (pool_link(h)) " (" (h.pool_cidr) "): "
                        (format::separated(u128::from(n))) " allocated, reserved or child-pool block"
                        @if n == 1 { " overlaps" } @else { "s overlap" } " it."
                    }
                }
            }
        }
    }
}

fn discovered_note(n: u64) -> Markup {
    html! {
        (n) " discovered " @if n == 1 { "resource CIDR overlaps" } @else { "resource CIDRs overlap" } " it."
    }
}

/// "showing 200 of 4,096" when the table was cut.
fn capped(shown: usize, total: u64) -> Markup {
    html! {
        @if (shown as u64) < total {
            p.muted.capped data-shown=(shown) data-total=(total) {
                "Showing the first " (shown) " of " (format::separated(u128::from(total))) "."
            }
        }
    }
}

fn allocations(target: &Cidr, found: &Search) -> Markup {
    html! {
        h2 { "Allocations, reservations and child pools overlapping it (" (format::separated(u128::from(found.allocation_count))) ")" }
        table.hits #hits {
            thead { tr { th { "pool" } th { "held by" } th { "type" } th { "resource" } th { "description" } } }
            tbody {
                @for a in &found.allocations {
                    @let pool = found.pools.iter().find(|h| h.pool.id == a.pool_id);
                    tr data-pool=(a.pool_id) data-allocation=(a.id) data-cidr=(a.cidr) {
                        td.nowrap {
                            a.mono href={"/pools/" (a.pool_id) "?zoom=" (pool.map(|h| h.pool_cidr.to_string()).unwrap_or_default()) "#map"} { (a.pool_id) }
                            @if let Some(h) = pool { br; span.muted { (h.pool.description.as_deref().unwrap_or("")) } }
                        }
                        td.mono { (a.cidr) br; span.muted { (a.id) } @if !a.cidr.contains(target) && !target.contains(&a.cidr) { br; em { "overlaps only" } } }
                        td.nowrap { @if a.kind == "ipam-pool" { "child pool" } @else { (a.kind) } @if a.reserved { " (reserved)" } }
                        td { (resource(a)) }
                        td { (a.description.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        (capped(found.allocations.len(), found.allocation_count))
    }
}

fn discovered(found: &Search) -> Markup {
    html! {
        h2 { "Discovered resources overlapping it (" (format::separated(u128::from(found.discovered_count))) ")" }
        table.hits #discovered-hits {
            thead { tr { th { "CIDR" } th { "resource" } th { "name" } th { "managed by" } th { "discovery" } } }
            tbody {
                @for d in &found.discovered {
                    tr data-resource=(d.resource_id) data-cidr=(d.cidr) {
                        td.mono { (d.cidr) }
                        td.mono { (d.resource_id) br; span.muted { (d.resource_type) } }
                        td { (d.name.as_deref().unwrap_or("")) }
                        td { @match &d.pool_id { Some(p) => a.mono href={"/pools/" (p)} { (p) }, None => span.muted { "unmanaged" } } }
                        td.mono { a href="/discovery" { (d.discovery_id) } }
                    }
                }
            }
        }
        (capped(found.discovered.len(), found.discovered_count))
    }
}
