//! `cargo bench --bench dashboard`: how fast `serve` answers over a pool of 100,000
//! allocations (goal: `/metrics` and the pool's page under 200 ms) and how large the pool's
//! map is (goal: a few hundred kilobytes). Requests go through the dashboard's router as
//! `serve` runs it. Prints a table, then one JSON line.

use axum::body::Body;
use axum::http::Request;
use ipam::dashboard::server::{router, App};
use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, PoolSpec, Store, Tags};
use std::time::Instant;
use tower::ServiceExt;

const ALLOCATIONS: usize = 100_000;

/// A pool 10.0.0.0/8 with `ALLOCATIONS` allocations of mixed sizes (/26 to /29) and a small
/// pool beside it; returns the database path and the two pools' ids.
fn build(dir: &std::path::Path) -> (std::path::PathBuf, String, String) {
    let db = dir.join("dashboard.db");
    let actor = Actor::new("000000000000", "us-east-1");
    let store = Store::open(&db, Cidr::parse("2001:db8::/32").unwrap()).unwrap();
    let ipam = store
        .create_ipam(&actor, None, vec![], Tags::new())
        .unwrap();
    let pool = store
        .create_pool(
            &actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                description: Some("bench".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store
        .provision_cidr(
            &actor,
            &pool.id,
            AllocationRequest::Explicit(Cidr::parse("10.0.0.0/8").unwrap()),
        )
        .unwrap();
    // A small pool whose few changes are older than all of the big pool's: its audit events
    // are the hardest to find.
    let small = store
        .create_pool(
            &actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                description: Some("small".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store
        .provision_cidr(
            &actor,
            &small.id,
            AllocationRequest::Explicit(Cidr::parse("192.168.0.0/16").unwrap()),
        )
        .unwrap();
    for _ in 0..10 {
        let spec = AllocationSpec::new(
            small.id.clone(),
            AllocationRequest::Netmask(24),
            AllocationKind::Vpc,
        );
        store.allocate(&actor, &spec).unwrap();
    }
    let t0 = Instant::now();
    for i in 0..ALLOCATIONS {
        let spec = AllocationSpec {
            description: Some(format!("vpc {i}")),
            tags: [("team".to_string(), format!("t{}", i % 17))].into(),
            ..AllocationSpec::new(
                pool.id.clone(),
                AllocationRequest::Netmask(26 + (i % 4) as u8),
                AllocationKind::Vpc,
            )
        };
        store.allocate(&actor, &spec).unwrap();
    }
    eprintln!(
        "built {ALLOCATIONS} allocations in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    (db, pool.id, small.id)
}

/// Median and worst milliseconds of `n` GETs of `path`, and the last body's size.
async fn time(app: &axum::Router, path: &str, n: usize) -> (f64, f64, usize) {
    let mut ms = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t0 = Instant::now();
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        size = body.len();
    }
    ms.sort_by(f64::total_cmp);
    (ms[n / 2], ms[n - 1], size)
}

fn map_bytes(page: &str) -> usize {
    let start = page.find("<svg class=\"map\"").expect("a map");
    let end = page[start..].find("</svg>").expect("the map's end");
    end + "</svg>".len()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pool, small) = build(dir.path());
    let store = Store::open_read_only(&db, Cidr::parse("2001:db8::/32").unwrap()).unwrap();
    let app = router(App {
        store,
        database: db.display().to_string(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let page_path = format!("/pools/{pool}");
        let metrics = time(&app, "/metrics", 20).await;
        let page = time(&app, &page_path, 20).await;
        let index = time(&app, "/", 20).await;
        let zoomed = time(&app, &format!("{page_path}?zoom=10.0.0.0/16"), 20).await;
        let search = time(&app, "/search?q=10.0.100.1", 20).await;
        let small_page = time(&app, &format!("/pools/{small}"), 20).await;
        let body = app
            .clone()
            .oneshot(Request::get(&page_path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let html = axum::body::to_bytes(body.into_body(), usize::MAX)
            .await
            .unwrap();
        let map = map_bytes(&String::from_utf8_lossy(&html));
        println!("dashboard over one pool of {ALLOCATIONS} allocations (median / worst of 20)");
        for (name, (med, worst, size), goal) in [
            ("/metrics", metrics, "< 200 ms"),
            ("/pools/<id>", page, "< 200 ms"),
            ("/pools/<id>?zoom=/16", zoomed, ""),
            ("/", index, ""),
            ("/search?q=<address>", search, ""),
            ("/pools/<small pool>", small_page, ""),
        ] {
            println!("{name:<24} {med:>8.1} ms {worst:>8.1} ms {size:>9} bytes  {goal}");
        }
        println!("{:<24} {map:>31} bytes  a few hundred KB", "map SVG");
        println!(
            "{}",
            serde_json::json!({
                "allocations": ALLOCATIONS,
                "metrics_ms": (metrics.0 * 10.0).round() / 10.0,
                "pool_page_ms": (page.0 * 10.0).round() / 10.0,
                "index_ms": (index.0 * 10.0).round() / 10.0,
                "search_ms": (search.0 * 10.0).round() / 10.0,
                "small_pool_page_ms": (small_page.0 * 10.0).round() / 10.0,
                "pool_page_bytes": page.2,
                "map_bytes": map,
            })
        );
    });
}
