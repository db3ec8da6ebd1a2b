//! `/`: every IPAM, its scopes and their pools as a tree with utilization bars.

use super::{bar, document, figures, format, tags, ALARM_PERCENT};
use crate::dashboard::app::App;
use crate::engine::Cidr;
use crate::store::view::PoolSummary;
use crate::store::Result;
use maud::{html, Markup};
use std::collections::HashMap;

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
    let (ipams, scopes, pools, discoveries, totals) = app.store.view(|v| {
        Ok((
            v.ipams()?,
            v.scopes()?,
            v.pools()?,
            v.discovery_count()?,
            app.totals.figures(v)?,
        ))
    })?;
    // CIDRs of the last scans that need someone: not held by an allocation, or clashing.
    let attention = totals.totals.attention;
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
            @if discoveries > 0 {
                a href="/discovery" class={"stat" @if attention > 0 { " hot" }} #discovery-link {
                    strong { (attention) } " discovered CIDR" @if attention != 1 { "s" }
                    " unmanaged, noncompliant or overlapping"
                }
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
