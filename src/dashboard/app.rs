//! What every request of `serve` shares: the store, the database's name, and the figures kept
//! between requests while the database has not changed; and what a page handler answers.

use crate::store::view::View;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;

/// What every page shares: the database, read-only, and its name for the header.
pub struct App {
    pub store: Store,
    pub database: String,
    /// Figures over every discovered CIDR, kept while the database is unchanged.
    pub totals: TotalsCache,
}

impl App {
    pub fn new(store: Store, database: String) -> App {
        App {
            store,
            database,
            totals: TotalsCache::default(),
        }
    }
}

/// Figures over every discovered CIDR cost a pass over all of them (hundreds of thousands
/// after a large scan), yet change only when something writes the database. SQLite numbers
/// every change committed by another connection (`PRAGMA data_version`); `serve` never writes,
/// so an unchanged number means unchanged figures. PostgreSQL has no such number: there the
/// figures are read every time.
#[derive(Default)]
pub struct TotalsCache {
    /// For the pages: totals per status and CIDRs per discovery.
    figures: Kept<DiscoveredFigures>,
    /// For `/metrics`: CIDRs per discovery and pair of statuses.
    pairs: Kept<Vec<crate::store::view::StatusCount>>,
}

/// What [`TotalsCache`] holds for the pages.
pub struct DiscoveredFigures {
    pub totals: crate::store::view::StatusTotals,
    /// Stored CIDRs per discovery id.
    pub counts: HashMap<String, u64>,
}

/// A value read at one `data_version`.
struct Kept<T>(std::sync::Mutex<Option<(i64, Arc<T>)>>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept(std::sync::Mutex::new(None))
    }
}

impl<T> Kept<T> {
    fn get(
        &self,
        view: &View,
        read: impl FnOnce(&View) -> crate::store::Result<T>,
    ) -> crate::store::Result<Arc<T>> {
        let version = view.data_version()?;
        if let (Some(v), Ok(held)) = (version, self.0.lock()) {
            if let Some((_, value)) = held.as_ref().filter(|(at, _)| *at == v) {
                return Ok(value.clone());
            }
        }
        let value = Arc::new(read(view)?);
        if let (Some(v), Ok(mut held)) = (version, self.0.lock()) {
            *held = Some((v, value.clone()));
        }
        Ok(value)
    }
}

impl TotalsCache {
    /// The pages' figures as `view` sees them, read again only when the database changed.
    pub fn figures(&self, view: &View) -> crate::store::Result<Arc<DiscoveredFigures>> {
        self.figures.get(view, |v| {
            Ok(DiscoveredFigures {
                totals: v.discovered_totals()?,
                counts: v.discovered_per_discovery()?,
            })
        })
    }

    /// `/metrics`' counts as `view` sees them, read again only when the database changed.
    pub fn pairs(
        &self,
        view: &View,
    ) -> crate::store::Result<Arc<Vec<crate::store::view::StatusCount>>> {
        self.pairs.get(view, |v| v.discovered_counts())
    }
}

pub(crate) type Shared = Arc<App>;

/// A page's outcome before it becomes a response.
pub enum Page {
    Html(String),
    NotFound(String),
}
