//! `/search?q=`: which pools and allocations hold an address or CIDR.

use super::{document, format, resource};
use crate::dashboard::server::App;
use crate::store::view::parse_query;
use crate::store::Result;
use maud::html;

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
