//! `cargo bench --bench dashboard`: how fast `serve` answers over a pool of 100,000
//! allocations (goal: `/metrics` and the pool's page under 200 ms) and how large the pool's
//! map is (goal: a few hundred kilobytes), and over a discovery whose last scan stored 200,000
//! CIDRs (goal: every `/discovery` page under 1 MB and 200 ms at the 95th percentile).
//! Requests go through the dashboard's router as `serve` runs it. Prints a table, then one
//! JSON line.

use axum::body::Body;
use axum::http::Request;
use ipam::dashboard::server::{router, App};
use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, PoolSpec, Store, Tags};
use std::time::Instant;
use tower::ServiceExt;

const DISCOVERED: usize = 200_000;

/// 100,000, or `IPAM_BENCH_ALLOCATIONS` for a quicker run (the discovery pages do not depend
/// on it).
fn allocations() -> usize {
    std::env::var("IPAM_BENCH_ALLOCATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// A discovery whose last scan stored `DISCOVERED` CIDRs (VPCs, then subnets, as a scan orders
/// them), written straight into the table a scan writes: reading a 60 MB source is the
/// discovery benchmark's subject, not this one's. Returns the discovery's id.
fn discovered(db: &std::path::Path, store: &Store, actor: &Actor) -> String {
    let d = store
        .create_discovery(
            actor,
            ipam::store::DiscoverySpec {
                description: Some("bench".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let mut conn = ipam_db::drivers::rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO discovered_cidrs (discovery_id, resource_id, resource_type, cidr, owner_id, region, vpc_id, name, source, pool_id, compliance_status, overlap_status, ip_usage, scanned_at)
                 VALUES (?1, ?2, ?3, ?4, '111122223333', 'us-east-1', NULL, ?5, 'describe-vpcs.json', NULL, ?6, ?7, NULL, 1)",
            )
            .unwrap();
        for i in 0..DISCOVERED {
            let (kind, compliance) = if i < DISCOVERED / 2 {
                (
                    "vpc",
                    Some(["unmanaged", "compliant", "noncompliant"][i % 3]),
                )
            } else {
                ("subnet", None)
            };
            let n = (i % (DISCOVERED / 2)) as u32;
            let cidr = format!(
                "172.{}.{}.{}/28",
                16 + (n >> 12) % 16,
                (n >> 4) & 0xff,
                (n & 0xf) << 4
            );
            insert
                .execute(ipam_db::drivers::rusqlite::params![
                    d.id,
                    format!("{kind}-{i:017x}"),
                    kind,
                    cidr,
                    format!("network {i} <of the bench>"),
                    compliance,
                    if i % 7 == 0 {
                        "overlapping"
                    } else {
                        "nonoverlapping"
                    },
                ])
                .unwrap();
        }
    }
    tx.execute(
        "UPDATE resource_discoveries SET last_scanned = 1 WHERE id = ?1",
        [&d.id],
    )
    .unwrap();
    tx.commit().unwrap();
    d.id
}

/// A pool 10.0.0.0/8 with `allocations()` allocations of mixed sizes (/26 to /29) and a small
/// pool beside it; returns the database path and the two pools' ids.
fn build(dir: &std::path::Path) -> (std::path::PathBuf, String, String, String) {
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
    let n = allocations();
    for i in 0..n {
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
        "built {n} allocations in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let discovery = discovered(&db, &store, &actor);
    eprintln!(
        "stored {DISCOVERED} discovered CIDRs in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    (db, pool.id, small.id, discovery)
}

/// Median, 95th percentile and worst milliseconds of `n` GETs of `path`, and the largest body.
async fn time_p95(app: &axum::Router, path: &str, n: usize) -> (f64, f64, f64, usize) {
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
        size = size.max(body.len());
    }
    ms.sort_by(f64::total_cmp);
    let p95 = ms[((n * 95).div_ceil(100)).saturating_sub(1)];
    (ms[n / 2], p95, ms[n - 1], size)
}

/// Median and worst milliseconds of `n` GETs of `path`, and the body's size (the database
/// does not change between the GETs, so neither does the body).
async fn time(app: &axum::Router, path: &str, n: usize) -> (f64, f64, usize) {
    let (median, _, worst, size) = time_p95(app, path, n).await;
    (median, worst, size)
}

fn map_bytes(page: &str) -> usize {
    let start = page.find("<svg class=\"map\"").expect("a map");
    let end = page[start..].find("</svg>").expect("the map's end");
    end + "</svg>".len()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pool, small, discovery) = build(dir.path());
    let store = Store::open_read_only(&db, Cidr::parse("2001:db8::/32").unwrap()).unwrap();
    let app = router(App::new(store, db.display().to_string()));
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
        let pages = DISCOVERED.div_ceil(ipam::dashboard::pages::DISCOVERY_PAGE as usize);
        let discovery_front = time_p95(&app, "/discovery", 40).await;
        let discovery_first = time_p95(&app, &format!("/discovery?discovery={discovery}&page=1"), 40).await;
        let discovery_last = time_p95(&app, &format!("/discovery?discovery={discovery}&page={pages}"), 40).await;
        let body = app
            .clone()
            .oneshot(Request::get(&page_path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let html = axum::body::to_bytes(body.into_body(), usize::MAX)
            .await
            .unwrap();
        let map = map_bytes(&String::from_utf8_lossy(&html));
        let n = allocations();
        println!("dashboard over one pool of {n} allocations (median / worst of 20)");
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
        println!("one discovery of {DISCOVERED} stored CIDRs (median / 95th percentile / worst of 40, largest body)");
        for (name, (med, p95, worst, size)) in [
            ("/discovery", discovery_front),
            ("/discovery?page=1", discovery_first),
            ("/discovery?page=<last>", discovery_last),
        ] {
            println!("{name:<24} {med:>8.1} ms {p95:>8.1} ms {worst:>8.1} ms {size:>9} bytes  < 200 ms p95, < 1 MB");
        }
        println!(
            "{}",
            serde_json::json!({
                "allocations": n,
                "metrics_ms": (metrics.0 * 10.0).round() / 10.0,
                "pool_page_ms": (page.0 * 10.0).round() / 10.0,
                "index_ms": (index.0 * 10.0).round() / 10.0,
                "search_ms": (search.0 * 10.0).round() / 10.0,
                "small_pool_page_ms": (small_page.0 * 10.0).round() / 10.0,
                "pool_page_bytes": page.2,
                "map_bytes": map,
                "discovered": DISCOVERED,
                "discovery_p95_ms": (discovery_front.1 * 10.0).round() / 10.0,
                "discovery_first_page_p95_ms": (discovery_first.1 * 10.0).round() / 10.0,
                "discovery_last_page_p95_ms": (discovery_last.1 * 10.0).round() / 10.0,
                "discovery_page_bytes": discovery_front.3.max(discovery_first.3).max(discovery_last.3),
            })
        );
    });
}
