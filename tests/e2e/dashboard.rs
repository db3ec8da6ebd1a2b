//! The dashboard in a real browser: a database built by real Terraform, `serve` on a free
//! loopback port, Debian's headless Chromium through chromedriver. Screenshots land in
//! `target/tmp/dashboard/` for people to look at.

use crate::support::{self, serve};

use crate::support::browser::Browser;
use crate::support::{Tf, Workspace};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::Locator;
use serde_json::Value;

/// User text that would run if it were not escaped: it sets `window.__xss`.
const XSS: &str = r#"<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"#;

const CONFIG: &str = r#"
resource "ipam" "main" {
  description = "main"
}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "corporate"
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "ipam_pool" "prod" {
  ipam_scope_id                     = ipam.main.private_default_scope_id
  address_family                    = "ipv4"
  source_ipam_pool_id               = ipam_pool.top.id
  description                       = "production"
  allocation_default_netmask_length = 24
}

resource "ipam_pool_cidr" "prod" {
  ipam_pool_id = ipam_pool.prod.id
  cidr         = "10.1.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_pool" "dev" {
  ipam_scope_id       = ipam.main.private_default_scope_id
  address_family      = "ipv4"
  source_ipam_pool_id = ipam_pool.top.id
  description         = "development"
}

resource "ipam_pool_cidr" "dev" {
  ipam_pool_id = ipam_pool.dev.id
  cidr         = "10.2.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_vpc_allocation" "app" {
  count        = 3
  ipam_pool_id = ipam_pool.prod.id
  description  = "app ${count.index}"
  tags         = { team = "app" }
  depends_on   = [ipam_pool_cidr.prod]
}

resource "ipam_vpc_allocation" "web" {
  ipam_pool_id   = ipam_pool.prod.id
  name           = "web"
  netmask_length = 20
  description    = "web tier"
  depends_on     = [ipam_pool_cidr.prod]
}

resource "ipam_vpc_allocation" "evil" {
  ipam_pool_id   = ipam_pool.prod.id
  netmask_length = 26
  description    = XSS_HCL
  depends_on     = [ipam_pool_cidr.prod]
}

resource "ipam_vpc_allocation" "sandbox" {
  ipam_pool_id   = ipam_pool.dev.id
  netmask_length = 18
  description    = "sandbox"
  depends_on     = [ipam_pool_cidr.dev]
}

# Many blocks of mixed sizes: those smaller than a map cell (/28 here) are summed per cell.
resource "ipam_vpc_allocation" "many" {
  count          = 24
  ipam_pool_id   = ipam_pool.dev.id
  netmask_length = [22, 24, 26, 27, 28, 29, 30, 29][count.index % 8]
  description    = "service ${count.index}"
  depends_on     = [ipam_vpc_allocation.sandbox]
}

resource "ipam_pool" "v6" {
  ipam_scope_id  = ipam.main.public_default_scope_id
  address_family = "ipv6"
  aws_service    = "ec2"
  description    = "ipv6 public"
}

resource "ipam_pool_cidr" "v6" {
  ipam_pool_id   = ipam_pool.v6.id
  netmask_length = 40
}

resource "ipam_vpc_allocation" "v6" {
  count          = 2
  ipam_pool_id   = ipam_pool.v6.id
  netmask_length = 56
  depends_on     = [ipam_pool_cidr.v6]
}

locals {
  pools = {
    top  = ipam_pool.top.id
    prod = ipam_pool.prod.id
    dev  = ipam_pool.dev.id
    v6   = ipam_pool.v6.id
  }
}

data "ipam_utilization" "u" {
  for_each     = local.pools
  ipam_pool_id = each.value
  depends_on = [ipam_vpc_allocation.app, ipam_vpc_allocation.web, ipam_vpc_allocation.evil,
  ipam_vpc_allocation.sandbox, ipam_vpc_allocation.v6, ipam_vpc_allocation.many, ipam_pool_cidr.dev]
}

output "usage" {
  value = { for k, d in data.ipam_utilization.u : d.ipam_pool_id => {
    total = d.total_addresses, allocated = d.allocated_addresses,
    percent = d.utilization_percent, count = d.allocation_count
  } }
}

output "allocations" {
  value = concat(
    [for a in ipam_vpc_allocation.app : { id = a.id, cidr = a.cidr, pool = a.ipam_pool_id }],
    [for a in [ipam_vpc_allocation.web, ipam_vpc_allocation.evil, ipam_vpc_allocation.sandbox] : { id = a.id, cidr = a.cidr, pool = a.ipam_pool_id }],
    [for a in ipam_vpc_allocation.v6 : { id = a.id, cidr = a.cidr, pool = a.ipam_pool_id }],
  )
}

output "many" {
  value = [for a in ipam_vpc_allocation.many : a.cidr]
}

output "dev" {
  value = ipam_pool.dev.id
}

output "evil" {
  value = ipam_vpc_allocation.evil.id
}

output "prod" {
  value = ipam_pool.prod.id
}

output "ipam" {
  value = ipam.main.id
}
"#;

fn screenshot_dir() -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&d).expect("screenshot dir");
    d
}

async fn screenshot(b: &Browser, name: &str) {
    let png = b.client.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save screenshot");
}

/// Moves the pointer to the middle of `el`, as a person would.
async fn point_at(b: &Browser, el: fantoccini::elements::Element) {
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: el,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    b.client
        .perform_actions(hover)
        .await
        .expect("move the pointer");
}

/// A workspace with [`CONFIG`] applied, and its outputs.
fn applied() -> (Workspace, Value) {
    let w = Workspace::new(Tf::V1_15);
    w.config(&config(""));
    w.init();
    w.apply().ok();
    let out = w.outputs();
    (w, out)
}

/// A resource discovery, associated with the IPAM of [`CONFIG`], over `aws ec2 describe-vpcs`
/// and `describe-subnets` output written here: the `web` allocation's CIDR (compliant), a slice
/// of the `sandbox` allocation whose Name tag is a script (unmanaged, overlapping), a lab VPC
/// (unmanaged) with one subnet. Real Terraform scans it by reading `ipam_discovered_resource_cidrs`;
/// a second discovery is never scanned. Returns the data source's CIDRs and the discoveries' ids.
fn discover(w: &Workspace, out: &Value) -> (Value, String, String) {
    let allocations = out["allocations"]["value"].as_array().expect("allocations");
    let cidr_of = |desc_index: usize| {
        allocations[desc_index]["cidr"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // app 0..3, then web, evil, sandbox: see the `allocations` output.
    let (web, sandbox) = (cidr_of(3), cidr_of(5));
    let slice = format!("{}/25", sandbox.split('/').next().unwrap());
    let d = w.sibling();
    let vpc = |id: &str, cidr: &str, name: &str| {
        serde_json::json!({"VpcId": id, "CidrBlock": cidr, "OwnerId": "111122223333", "State": "available",
            "CidrBlockAssociationSet": [{"CidrBlock": cidr, "CidrBlockState": {"State": "associated"}}],
            "Tags": [{"Key": "Name", "Value": name}]})
    };
    d.write(
        "describe-vpcs.json",
        &serde_json::json!({"Vpcs": [
            vpc("vpc-0d00000000000000a", &web, "web"),
            vpc("vpc-0d00000000000000b", &slice, XSS),
            vpc("vpc-0d00000000000000c", "192.168.0.0/16", "lab"),
        ]})
        .to_string(),
    );
    d.write(
        "describe-subnets.json",
        &serde_json::json!({"Subnets": [{"SubnetId": "subnet-0d00000000000000c", "VpcId": "vpc-0d00000000000000c",
            "CidrBlock": "192.168.0.0/24", "OwnerId": "111122223333", "AvailabilityZone": "us-east-1a",
            "Tags": [{"Key": "Name", "Value": "lab-a"}]}]})
        .to_string(),
    );
    d.config(&format!(
        r#"
resource "ipam_resource_discovery" "d" {{
  description = "hand-built network"
  operating_regions {{
    region_name = "us-east-1"
  }}
  source {{
    path       = "describe-*.json"
    region     = "us-east-1"
    account_id = "111122223333"
  }}
}}

resource "ipam_resource_discovery_association" "a" {{
  ipam_id                    = "{ipam}"
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
}}

resource "ipam_resource_discovery" "idle" {{
  description = "never scanned"
  source {{
    path = "describe-vpcs.json"
  }}
}}

data "ipam_discovered_resource_cidrs" "all" {{
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
  depends_on                 = [ipam_resource_discovery_association.a]
}}

output "cidrs" {{
  value = data.ipam_discovered_resource_cidrs.all.ipam_discovered_resource_cidrs
}}

output "ids" {{
  value = [ipam_resource_discovery.d.id, ipam_resource_discovery.idle.id]
}}
"#,
        ipam = out["ipam"]["value"].as_str().expect("ipam id"),
    ));
    d.init();
    d.apply().ok();
    let o = d.outputs();
    let id = |i: usize| o["ids"]["value"][i].as_str().unwrap().to_string();
    (o["cidrs"]["value"].clone(), id(0), id(1))
}

/// The discoveries' scan times and stored results, as text: `serve` must not scan.
fn scans(w: &Workspace) -> String {
    let mut out = String::new();
    for sql in [
        "SELECT id, last_scanned FROM resource_discoveries ORDER BY id",
        "SELECT * FROM discovered_cidrs ORDER BY discovery_id, resource_id, cidr",
    ] {
        for row in w.query(sql) {
            for v in row {
                out.push_str(&format!("{v:?}|"));
            }
            out.push('\n');
        }
    }
    out
}

/// [`CONFIG`] with the script-bearing description in place, and `extra` HCL after it.
fn config(extra: &str) -> String {
    let hcl_xss = serde_json::to_string(XSS).expect("quote");
    format!("{}\n{extra}", CONFIG.replace("XSS_HCL", &hcl_xss))
}

async fn attr(b: &Browser, css: &str, name: &str) -> String {
    let el = b
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not on the page: {e}"));
    el.attr(name)
        .await
        .expect("read attribute")
        .unwrap_or_else(|| panic!("{css} has no {name}"))
}

/// The element at `css` shows [`XSS`] as text, and its script has not run.
async fn shown_not_run(b: &Browser, css: &str) {
    let cell = b
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not on the page: {e}"));
    assert_eq!(cell.text().await.expect("text"), XSS, "{css}");
    let ran = b
        .client
        .execute(
            "return window.__xss === undefined ? null : window.__xss",
            vec![],
        )
        .await
        .expect("run a check");
    assert_eq!(ran, Value::Null, "the script in {css} ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_chromium() {
    // Blocking work (Terraform, and PostgreSQL's synchronous client, which starts a runtime of
    // its own) runs off the async workers.
    let (w, out) = tokio::task::block_in_place(applied);
    let usage = out["usage"]["value"].as_object().expect("usage").clone();
    let allocations = out["allocations"]["value"]
        .as_array()
        .expect("allocations")
        .clone();
    let evil = out["evil"]["value"].as_str().expect("evil").to_string();
    let prod = out["prod"]["value"].as_str().expect("prod").to_string();
    assert_eq!(usage.len(), 4);

    let server = serve::Server::start(&w.db);
    let b = Browser::start().await;

    // The tree shows every pool with the figures of the ipam_utilization data source.
    b.client
        .goto(&format!("{}/", server.base))
        .await
        .expect("open /");
    for (pool, u) in &usage {
        let css = format!("li.pool[data-pool='{pool}'] > .row .figures");
        assert_eq!(
            attr(&b, &css, "data-total").await,
            u["total"].to_string(),
            "{pool}"
        );
        assert_eq!(
            attr(&b, &css, "data-allocated").await,
            u["allocated"].to_string(),
            "{pool}"
        );
        assert_eq!(
            attr(&b, &css, "data-count").await,
            u["count"].to_string(),
            "{pool}"
        );
        let shown: f64 = attr(&b, &css, "data-percent")
            .await
            .parse()
            .expect("percent");
        assert_eq!(Some(shown), u["percent"].as_f64(), "{pool}");
    }
    // Child pools sit under their parent.
    let nested = b
        .client
        .find_all(Locator::Css("li.pool li.pool"))
        .await
        .expect("nested pools");
    assert_eq!(nested.len(), 2, "prod and dev are under the top pool");
    screenshot(&b, "index").await;

    // Each pool's map shows each of its allocations, and names the one under the pointer.
    for a in &allocations {
        let (id, pool) = (a["id"].as_str().unwrap(), a["pool"].as_str().unwrap());
        b.client
            .goto(&format!("{}/pools/{pool}", server.base))
            .await
            .expect("open pool page");
        let block = b
            .client
            .find(Locator::Css(&format!("svg.map rect[data-id='{id}']")))
            .await
            .unwrap_or_else(|e| panic!("{id} ({}) not on the map of {pool}: {e}", a["cidr"]));
        assert_eq!(
            block.attr("data-c").await.unwrap().as_deref(),
            a["cidr"].as_str()
        );
        point_at(&b, block).await;
        let info = b
            .client
            .find(Locator::Css(".mapinfo"))
            .await
            .expect("map info")
            .text()
            .await
            .expect("text");
        assert!(
            info.contains(id),
            "pointer over {id}, the map says {info:?}"
        );
    }
    // On the top pool's map its child pools are green blocks that open the child's page.
    b.client
        .goto(&format!("{}/pools/{prod}", server.base))
        .await
        .expect("open prod");
    let top = attr(&b, "nav.crumbs a[href^='/pools/']", "href").await;
    b.client
        .goto(&format!("{}{top}", server.base))
        .await
        .expect("open the top pool");
    let children = b
        .client
        .find_all(Locator::Css("svg.map rect.blk.child"))
        .await
        .expect("child blocks");
    assert_eq!(children.len(), 2, "prod and dev on the top pool's map");
    b.client
        .find(Locator::Css(&format!(
            "svg.map rect.child[data-r='{prod}']"
        )))
        .await
        .expect("prod on the map")
        .click()
        .await
        .expect("click prod");
    b.client
        .wait()
        .for_element(Locator::Css(&format!(".summary[data-pool='{prod}']")))
        .await
        .expect("the child's page opens");

    // An IPv6 pool's map opens on the block around its allocations.
    let v6 = allocations.last().unwrap()["pool"]
        .as_str()
        .unwrap()
        .to_string();
    b.client
        .goto(&format!("{}/pools/{v6}", server.base))
        .await
        .expect("open the IPv6 pool");
    let view = attr(&b, "svg.map", "data-view").await;
    assert!(
        view.starts_with("2001:db8:") && view.ends_with("/51"),
        "{view}"
    );
    b.client
        .execute("document.getElementById('map').scrollIntoView()", vec![])
        .await
        .expect("scroll");
    screenshot(&b, "pool-ipv6").await;

    // Blocks smaller than a cell are counted in the cells that hold them.
    let dev = out["dev"]["value"].as_str().expect("dev").to_string();
    let small = out["many"]["value"]
        .as_array()
        .expect("many")
        .iter()
        .filter(|c| {
            c.as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .parse::<u8>()
                .unwrap()
                > 28
        })
        .count();
    b.client
        .goto(&format!("{}/pools/{dev}", server.base))
        .await
        .expect("open dev");
    let mut counted = 0;
    for cell in b
        .client
        .find_all(Locator::Css("svg.map rect.cell"))
        .await
        .expect("cells")
    {
        counted += cell
            .attr("data-n")
            .await
            .unwrap()
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert_eq!(counted, small, "allocations summed in cells");
    b.client
        .execute("document.getElementById('map').scrollIntoView()", vec![])
        .await
        .expect("scroll");
    let cell = b
        .client
        .find(Locator::Css("svg.map rect.cell"))
        .await
        .expect("a cell");
    point_at(&b, cell).await;
    let info = b
        .client
        .find(Locator::Css(".mapinfo"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(info.contains("% used"), "{info}");
    screenshot(&b, "pool-cells").await;
    // Clicking a summed cell zooms into it.
    let cell = b
        .client
        .find(Locator::Css("svg.map rect.cell"))
        .await
        .expect("a cell");
    let target = cell.attr("data-c").await.unwrap().unwrap();
    cell.click().await.expect("click the cell");
    b.client
        .wait()
        .for_element(Locator::Css(&format!("svg.map[data-view='{target}']")))
        .await
        .expect("the map zoomed into the cell");
    screenshot(&b, "pool-zoomed").await;

    b.client
        .goto(&format!("{}/pools/{prod}", server.base))
        .await
        .expect("open prod");
    screenshot(&b, "pool").await;
    for (section, name) in [
        ("map", "pool-map"),
        ("history", "pool-history"),
        ("allocations", "pool-allocations"),
    ] {
        b.client
            .execute(
                &format!("document.getElementById('{section}').scrollIntoView()"),
                vec![],
            )
            .await
            .expect("scroll");
        if section == "map" {
            let block = b
                .client
                .find(Locator::Css("svg.map rect.blk"))
                .await
                .expect("a block");
            point_at(&b, block).await;
        }
        screenshot(&b, name).await;
    }

    // The description that is a script shows as text and does not run.
    shown_not_run(&b, &format!("tr[data-allocation='{evil}'] td.description")).await;
    assert!(b.client.get_alert_text().await.is_err(), "no alert is open");

    // The search finds the pool and allocation holding an address.
    let web = allocations
        .iter()
        .find(|a| {
            a["id"].as_str().is_some_and(|i| i.contains("alloc"))
                && a["cidr"].as_str().unwrap().ends_with("/20")
        })
        .expect("the /20");
    let web_cidr: &str = web["cidr"].as_str().unwrap();
    let inside = web_cidr.replace(".0/20", ".7");
    b.client
        .goto(&format!("{}/", server.base))
        .await
        .expect("open /");
    let q = b.client.find(Locator::Css("#q")).await.expect("search box");
    q.send_keys(&inside).await.expect("type");
    b.client
        .find(Locator::Css("form.search button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("search");
    b.client
        .wait()
        .for_element(Locator::Css("#hits, #no-hit"))
        .await
        .expect("the search's answer");
    let rows = b
        .client
        .find_all(Locator::Css("#hits tr[data-pool]"))
        .await
        .expect("hits");
    let mut held = Vec::new();
    for r in &rows {
        held.push((
            r.attr("data-pool").await.unwrap().unwrap_or_default(),
            r.attr("data-allocation").await.unwrap().unwrap_or_default(),
        ));
    }
    assert!(
        held.contains(&(prod.clone(), web["id"].as_str().unwrap().to_string())),
        "search for {inside} found {held:?}"
    );
    let answer = b
        .client
        .find(Locator::Css("#answer"))
        .await
        .expect("answer")
        .text()
        .await
        .unwrap();
    assert!(
        answer.contains(&format!(
            "{inside} is allocated in production as {web_cidr}"
        )),
        "{answer}"
    );
    screenshot(&b, "search").await;

    // A plan reserves a named allocation's block: the map shows it as reserved, the page lists
    // it with its expiry.
    w.config(&config(
        "resource \"ipam_vpc_allocation\" \"db\" {\n  ipam_pool_id   = ipam_pool.prod.id\n  name           = \"db\"\n  netmask_length = 22\n}\n",
    ));
    let plan = w.plan();
    assert_eq!(plan.code, 2, "{}", plan.text());
    b.client
        .goto(&format!("{}/pools/{prod}", server.base))
        .await
        .expect("open prod");
    let row = b
        .client
        .find(Locator::Css("#reservations tbody tr"))
        .await
        .expect("the reservation is listed")
        .text()
        .await
        .expect("text");
    assert!(
        row.starts_with("db ") && row.contains("/22") && row.contains("UTC"),
        "{row}"
    );
    let reserved = b
        .client
        .find_all(Locator::Css("svg.map rect.blk.resv"))
        .await
        .expect("reserved blocks");
    assert_eq!(reserved.len(), 1, "the reservation is on the map");

    b.client
        .goto(&format!("{}/pools/no-such-pool", server.base))
        .await
        .expect("open a bad id");
    assert!(b.client.find(Locator::Css("#not-found")).await.is_ok());

    // Discovery: no link while the database has no discovery; after a scan, the front page
    // links the compliance table, where a script in a Name tag is text and does not run.
    b.client
        .goto(&format!("{}/", server.base))
        .await
        .expect("open /");
    assert!(b
        .client
        .find(Locator::Css("#discovery-link"))
        .await
        .is_err());
    let (found, scanned, _) = tokio::task::block_in_place(|| discover(&w, &out));
    b.client
        .goto(&format!("{}/", server.base))
        .await
        .expect("open /");
    b.client
        .find(Locator::Css("#discovery-link"))
        .await
        .expect("a link to /discovery")
        .click()
        .await
        .expect("follow it");
    let rows = b
        .client
        .find_all(Locator::Css(&format!(
            "section[data-discovery='{scanned}'] tr[data-resource]"
        )))
        .await
        .expect("discovered rows");
    assert_eq!(rows.len(), found.as_array().unwrap().len());
    shown_not_run(&b, "tr[data-resource='vpc-0d00000000000000b'] td.name").await;
    screenshot(&b, "discovery").await;
    b.close().await;
}

#[test]
fn metrics_and_404s_over_http() {
    let (w, out) = applied();
    let (found, scanned, idle) = discover(&w, &out);
    let before = (w.dump(), scans(&w));
    let usage = out["usage"]["value"].as_object().expect("usage").clone();
    let server = serve::Server::start(&w.db);

    let (status, head, metrics) = server.get("/metrics");
    assert_eq!(status, 200, "{metrics}");
    assert!(head.contains("application/openmetrics-text"), "{head}");
    for (pool, u) in &usage {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with("ipam_pool_allocated_addresses{")
                    && l.contains(&format!("pool_id=\"{pool}\""))
            })
            .unwrap_or_else(|| panic!("no allocated line for {pool}:\n{metrics}"));
        let value: f64 = line.rsplit(' ').next().unwrap().parse().expect("a number");
        let expected: f64 = u["allocated"].to_string().parse().unwrap();
        assert_eq!(value, expected, "{line}");
    }
    for name in [
        "ipam_pool_addresses",
        "ipam_pool_utilization_ratio",
        "ipam_pool_allocations",
        "ipam_pool_largest_free_prefix_length",
        "ipam_reservations",
    ] {
        assert!(
            metrics.contains(&format!("# TYPE {name} gauge")),
            "{name} missing:\n{metrics}"
        );
    }
    assert!(metrics.contains("description=\"production\""), "{metrics}");
    // The example alert rules use only metrics that exist.
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/monitoring/alerts.yml"),
    )
    .expect("examples/monitoring/alerts.yml");
    let used: std::collections::BTreeSet<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr:"))
        .flat_map(|e| e.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| w.starts_with("ipam_"))
        .collect();
    assert!(used.contains("ipam_pool_utilization_ratio"), "{used:?}");
    assert!(used.contains("ipam_discovered_resource_cidrs"), "{used:?}");
    for name in used {
        assert!(
            metrics.contains(&format!("\n{name}{{")),
            "{name} is not in /metrics"
        );
    }
    assert!(metrics.contains("locale=\"\""), "{metrics}");

    // Discovery: /metrics counts the stored scan's CIDRs per status pair, as the data source
    // listed them; the never-scanned discovery has none.
    let found = found.as_array().expect("a list of CIDRs");
    let status = |c: &Value, k: &str| c[k].as_str().unwrap_or("").to_string();
    let mut expected: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for c in found {
        *expected
            .entry((status(c, "compliance_status"), status(c, "overlap_status")))
            .or_default() += 1.0;
    }
    let mut counted: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for l in metrics
        .lines()
        .filter(|l| l.starts_with("ipam_discovered_resource_cidrs{"))
    {
        assert!(!l.contains(&idle), "{l}");
        assert!(l.contains(&format!("discovery_id=\"{scanned}\"")), "{l}");
        let label = |k: &str| {
            let at = l
                .find(&format!("{k}=\""))
                .unwrap_or_else(|| panic!("{k} in {l}"))
                + k.len()
                + 2;
            l[at..at + l[at..].find('"').unwrap()].to_string()
        };
        let value: f64 = l.rsplit(' ').next().unwrap().parse().expect("a number");
        counted.insert((label("compliance_status"), label("overlap_status")), value);
    }
    assert_eq!(counted, expected, "{metrics}");
    for (pair, n) in [
        (("compliant", "nonoverlapping"), 1.0),
        (("unmanaged", "overlapping"), 1.0),
        (("unmanaged", "nonoverlapping"), 1.0),
        (("", "nonoverlapping"), 1.0),
    ] {
        assert_eq!(
            counted.get(&(pair.0.to_string(), pair.1.to_string())),
            Some(&n),
            "{pair:?}: {metrics}"
        );
    }

    // /discovery lists every CIDR of the scan with its statuses and managing pool, counts them,
    // and says the other discovery was never scanned.
    let (status_code, _, page) = server.get("/discovery");
    assert_eq!(status_code, 200, "{page}");
    assert_eq!(
        page.matches("<tr data-resource=").count(),
        found.len(),
        "{page}"
    );
    for c in found {
        let row = format!(
            r#"<tr data-resource="{}" data-cidr="{}" data-compliance="{}" data-overlap="{}" data-pool="{}">"#,
            status(c, "resource_id"),
            status(c, "resource_cidr"),
            status(c, "compliance_status"),
            status(c, "overlap_status"),
            status(c, "ipam_pool_id"),
        );
        assert!(page.contains(&row), "{row} not in {page}");
        // An unmanaged VPC CIDR says why no pool adopted it, in the data source and here.
        if c["resource_type"] == "vpc" && c["compliance_status"] == "unmanaged" {
            let reason = c["reason"].as_str().expect("an unmanaged CIDR's reason");
            let shown = reason.replace('\'', "&#39;");
            assert!(
                page.contains(reason) || page.contains(&shown),
                "{reason} not in {page}"
            );
        }
        if let Some(pool) = c["ipam_pool_id"].as_str() {
            assert!(
                page.contains(&format!("<a href=\"/pools/{pool}\">")),
                "{pool}"
            );
        }
    }
    let prod_pool = out["prod"]["value"].as_str().unwrap();
    assert!(
        found.iter().any(|c| c["ipam_pool_id"] == prod_pool),
        "{found:?}"
    );
    for (kind, s, n) in [
        ("compliance", "unmanaged", 2),
        ("compliance", "compliant", 1),
        ("compliance", "noncompliant", 0),
        ("overlap", "overlapping", 1),
        ("overlap", "nonoverlapping", 3),
    ] {
        assert!(
            page.contains(&format!("id=\"count-{kind}-{s}\" data-count=\"{n}\"")),
            "{kind} {s} {n}: {page}"
        );
    }
    let never = &page[page
        .find(&format!("data-discovery=\"{idle}\""))
        .expect("the idle discovery")..];
    assert!(never.contains("never scanned"), "{never}");
    assert!(page.contains("last scanned "), "{page}");
    assert!(
        page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"),
        "escaped"
    );
    assert!(!page.contains(XSS));
    let (_, _, front) = server.get("/");
    assert!(
        front.contains("href=\"/discovery\""),
        "the front page links /discovery"
    );
    let attention = found
        .iter()
        .filter(|c| {
            ["unmanaged", "noncompliant"].contains(&status(c, "compliance_status").as_str())
                || status(c, "overlap_status") == "overlapping"
        })
        .count();
    assert_eq!(attention, 2);
    assert!(
        front.contains(&format!(
            "<strong>{attention}</strong> discovered CIDRs unmanaged"
        )),
        "{front}"
    );

    for bad in [
        "/nothing-here",
        "/pools/ipam-pool-00000000000000000",
        "/pools/%3Cscript%3E",
        "/pools/x/y",
        "/pools/",
    ] {
        let (status, _, body) = server.get(bad);
        assert_eq!(status, 404, "{bad}: {body}");
        assert!(!body.contains("<script>"), "{bad} echoed markup: {body}");
    }
    let prod = out["prod"]["value"].as_str().unwrap();
    for bad in [
        "?zoom=192.168.0.0/24",
        "?zoom=garbage",
        "?page=0",
        "?page=99",
        "?page=x",
        "?page=18446744073709551615",
        "?zoom=2001:db8::/64",
    ] {
        let (status, _, body) = server.get(&format!("/pools/{prod}{bad}"));
        assert_eq!(status, 404, "{bad}: {body}");
    }
    let (status, head, page) = server.get(&format!("/pools/{prod}?zoom=10.1.0.0/20"));
    assert_eq!(status, 200, "{page}");
    assert!(head.contains("content-security-policy"), "{head}");
    assert!(
        page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"),
        "escaped"
    );
    assert!(!page.contains(XSS));
    // The pool's audit events: its CIDR and its allocations, not other pools'.
    let audit = &page[page.find("id=\"audit\"").expect("audit section")..];
    assert!(audit.matches("provision-pool-cidr").count() == 1, "{audit}");
    assert_eq!(audit.matches("allocate-cidr").count(), 4, "{audit}");
    assert!(audit.contains("allocate-reserved-cidr"), "{audit}");
    let sandbox_pool = out["dev"]["value"].as_str().unwrap();
    assert!(!audit.contains(sandbox_pool), "{audit}");
    // Serving never writes to the database.
    drop(server);
    assert_eq!(before, (w.dump(), scans(&w)));
}

/// Pages read while `terraform apply` writes are each one snapshot: the figures at the top of a
/// pool's page always agree with the allocations listed below them.
#[test]
fn pages_are_consistent_while_terraform_applies() {
    let w = Workspace::new(Tf::V1_15);
    let base = r#"
resource "ipam" "main" {}

resource "ipam_pool" "p" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
}

resource "ipam_pool_cidr" "p" {
  ipam_pool_id = ipam_pool.p.id
  cidr         = "10.0.0.0/16"
}

output "pool" {
  value = ipam_pool.p.id
}
"#;
    w.config(base);
    w.init();
    w.apply().ok();
    let pool = w.outputs()["pool"]["value"].as_str().unwrap().to_string();
    let server = serve::Server::start(&w.db);
    w.config(&format!(
        "{base}\nresource \"ipam_vpc_allocation\" \"v\" {{\n  count          = 60\n  ipam_pool_id   = ipam_pool.p.id\n  netmask_length = 24 + count.index % 5\n}}\n"
    ));
    let apply = std::thread::spawn({
        let mut cmd = w.apply_command(4);
        move || cmd.output().expect("run terraform")
    });
    let mut seen = std::collections::BTreeSet::new();
    while !apply.is_finished() {
        let (status, _, page) = server.get(&format!("/pools/{pool}"));
        assert_eq!(status, 200);
        let allocated: u128 = page
            .split("data-allocated=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("the pool's allocated figure");
        let listed: u128 = page
            .split("data-cidr=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(|c| 1u128 << (32 - c.rsplit('/').next().unwrap().parse::<u32>().unwrap()))
            .sum();
        assert_eq!(allocated, listed, "figures and rows of one page disagree");
        seen.insert(allocated);
    }
    let out = apply.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        seen.len() > 1,
        "no page was read during the apply: {seen:?}"
    );
}

/// A pool's allocations show their origin, the directory Terraform ran in and when, escaped:
/// a directory name is user text like a description.
#[test]
fn allocations_show_their_origin_escaped() {
    let w = Workspace::new(Tf::V1_15);
    // Terraform runs (`-chdir`) in a directory whose name is markup.
    let dir = w.path().join("<b>team & \"ops\"");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            r#"
terraform {{
  required_providers {{
    ipam = {{
      source  = "{}"
      version = "{}"
    }}
  }}
}}

provider "ipam" {{
  database = "{}"
}}

resource "ipam" "main" {{}}

resource "ipam_pool" "p" {{
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
}}

resource "ipam_pool_cidr" "p" {{
  ipam_pool_id = ipam_pool.p.id
  cidr         = "10.0.0.0/16"
}}

resource "ipam_vpc_allocation" "v" {{
  ipam_pool_id   = ipam_pool.p.id
  netmask_length = 24
  depends_on     = [ipam_pool_cidr.p]
}}

output "pool" {{
  value = ipam_pool.p.id
}}

output "allocation" {{
  value = ipam_vpc_allocation.v.id
}}
"#,
            support::SOURCE.trim_start_matches("registry.terraform.io/"),
            support::VERSION,
            w.db.display()
        ),
    )
    .unwrap();
    let chdir = format!("-chdir={}", dir.display());
    w.run(&[&chdir, "init", "-input=false", "-no-color"]).ok();
    w.run(&[
        &chdir,
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ])
    .ok();
    let out = w.run(&[&chdir, "output", "-json"]).ok();
    let out: Value = serde_json::from_str(&out.stdout).expect("outputs");
    let (pool, id) = (
        out["pool"]["value"].as_str().unwrap(),
        out["allocation"]["value"].as_str().unwrap(),
    );
    let server = serve::Server::start(&w.db);
    let (status, _, page) = server.get(&format!("/pools/{pool}"));
    assert_eq!(status, 200, "{page}");
    let row = page
        .split("<tr data-allocation=")
        .find(|r| r.starts_with(&format!("\"{id}\"")))
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row for {id}: {page}"));
    let canonical = std::fs::canonicalize(&dir).unwrap();
    let escaped = canonical
        .display()
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(row.contains(&escaped), "origin {escaped} not in {row}");
    assert!(!page.contains("<b>team"), "unescaped origin: {row}");
    // When, in the tooltip (it is the creation time, so not repeated in the cell).
    let origin = &row[row.find("class=\"origin\"").expect("an origin cell")..];
    assert!(
        origin.contains(&format!("title=\"{escaped} (workspace default) at 20")),
        "{origin}"
    );
    assert!(page.contains("<th>origin</th>"), "an origin column heading");

    // The same database as a provider from before origins left it (schema 2, no origin
    // columns): opened read-only, so not migrated, it is shown as it is, without origins.
    if support::pg::skip_on_postgres(
        "allocations_show_their_origin_escaped (its schema-2 part)",
        "it turns the database back into schema 2 with SQLite statements on the file",
    ) {
        return;
    }
    drop(server);
    let conn = ipam_db::drivers::rusqlite::Connection::open(&w.db).unwrap();
    conn.execute_batch(
        "DROP INDEX allocations_by_origin;
         DROP INDEX allocations_by_state;
         ALTER TABLE allocations DROP COLUMN origin_state;
         DROP TABLE moved_to;
         ALTER TABLE allocations DROP COLUMN origin_dir;
         ALTER TABLE allocations DROP COLUMN origin_workspace;
         ALTER TABLE allocations DROP COLUMN origin_at;
         DROP TABLE discovered_cidrs;
         DROP TABLE resource_discovery_associations;
         DROP TABLE resource_discoveries;
         DELETE FROM schema_version WHERE version > 2;",
    )
    .unwrap();
    drop(conn);
    let server = serve::Server::start(&w.db);
    let (status, _, page) = server.get(&format!("/pools/{pool}"));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<td class=\"origin\"><span class=\"muted\">-</span></td>"),
        "{page}"
    );
    let (status, _, found) = server.get("/search?q=10.0.0.1");
    assert_eq!(status, 200, "{found}");
    assert!(found.contains(id), "{found}");
    // Nor has it discoveries (schema 5): none is shown or counted.
    let (status, _, front) = server.get("/");
    assert_eq!(status, 200, "{front}");
    assert!(!front.contains("href=\"/discovery\""), "{front}");
    let (status, _, page) = server.get("/discovery");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"no-discovery\""), "{page}");
    let (status, _, metrics) = server.get("/metrics");
    assert_eq!(status, 200, "{metrics}");
    assert!(metrics.contains("ipam_pool_addresses{"), "{metrics}");
    assert!(
        !metrics.contains("ipam_discovered_resource_cidrs{"),
        "{metrics}"
    );
}

/// The text of the element with `id` on `page`, tags stripped (entities left as they are).
fn text_of(page: &str, id: &str) -> String {
    let Some(at) = page.find(&format!("id=\"{id}\"")) else {
        return String::new();
    };
    let from = at + page[at..].find('>').unwrap() + 1;
    let mut depth = 1usize;
    let mut out = String::new();
    let mut rest = &page[from..];
    while depth > 0 && !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let end = tag.find('>').unwrap_or(tag.len());
            let name = &tag[..end];
            if name.starts_with('/') {
                depth -= 1;
            } else if !name.ends_with('/')
                && !["br", "input", "img", "meta", "link"]
                    .iter()
                    .any(|v| name.split_whitespace().next() == Some(*v))
            {
                depth += 1;
            }
            rest = &tag[(end + 1).min(tag.len())..];
        } else {
            let next = rest.find('<').unwrap_or(rest.len());
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out
}

/// The allocations a search page lists, by their `data-cidr`.
fn listed(page: &str) -> Vec<String> {
    let Some(at) = page.find("id=\"hits\"") else {
        return Vec::new();
    };
    let table = &page[at..page[at..].find("</table>").map_or(page.len(), |e| at + e)];
    table
        .split("data-cidr=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// A CIDR search lists everything overlapping it, says "free" only when nothing does (not even
/// a discovered resource), says "in no pool" outside every pool, caps long answers with a count,
/// and an empty search says how to search.
#[test]
fn search_answers_for_whole_blocks() {
    let w = Workspace::new(Tf::V1_15);
    w.config(
        r#"
resource "ipam" "main" {}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "corporate"
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "ipam_vpc_allocation" "a" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_vpc_allocation" "b" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.5.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_pool" "kids" {
  ipam_scope_id       = ipam.main.private_default_scope_id
  address_family      = "ipv4"
  source_ipam_pool_id = ipam_pool.top.id
  description         = "kids"
}

resource "ipam_pool_cidr" "kids" {
  ipam_pool_id = ipam_pool.kids.id
  cidr         = "10.8.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_vpc_allocation" "k" {
  ipam_pool_id = ipam_pool.kids.id
  cidr         = "10.8.1.0/24"
  depends_on   = [ipam_pool_cidr.kids]
}

output "top" {
  value = ipam_pool.top.id
}
"#,
    );
    w.init();
    w.apply().ok();
    let top = w.outputs()["top"]["value"].as_str().unwrap().to_string();
    let server = serve::Server::start(&w.db);
    let search = |q: &str| {
        let (status, _, page) = server.get(&format!("/search?q={}", q.replace('/', "%2F")));
        assert_eq!(status, 200, "{q}: {page}");
        let answer = text_of(&page, "answer");
        (page, answer)
    };

    // Partly used: not free, and the overlapping allocation is listed.
    let (page, answer) = search("10.4.0.0/15");
    assert!(!answer.contains("free"), "{answer}");
    assert!(
        answer.contains("10.4.0.0/15 is partly used in corporate"),
        "{answer}"
    );
    assert_eq!(listed(&page), ["10.5.0.0/16"], "{page}");

    // The whole pool: both allocations and the child pool's carve-out.
    let (page, answer) = search("10.0.0.0/8");
    assert!(!answer.contains("free"), "{answer}");
    assert_eq!(
        listed(&page),
        ["10.0.0.0/16", "10.5.0.0/16", "10.8.0.0/16", "10.8.1.0/24"],
        "{page}"
    );
    assert!(page.contains("child pool"), "{page}");

    // Free only where nothing overlaps, in the innermost pool.
    let (_, answer) = search("10.6.0.0/16");
    assert!(
        answer.contains("10.6.0.0/16 is free in corporate"),
        "{answer}"
    );
    let (_, answer) = search("10.8.2.0/24");
    assert!(answer.contains("10.8.2.0/24 is free in kids"), "{answer}");
    let (_, answer) = search("10.8.1.5");
    assert!(
        answer.contains("10.8.1.5 is allocated in kids as 10.8.1.0/24"),
        "{answer}"
    );
    let (_, answer) = search("10.8.0.0/16");
    assert!(answer.contains("partly used in kids"), "{answer}");
    assert!(!answer.contains("free"), "{answer}");

    // Outside every pool; larger than a pool; the same integer in the other family.
    let (_, answer) = search("192.168.0.0/16");
    assert!(answer.contains("192.168.0.0/16 is in no pool"), "{answer}");
    let (page, answer) = search("0.0.0.0/0");
    assert!(answer.contains("is in no pool as a whole"), "{answer}");
    assert!(answer.contains("10.0.0.0/8"), "{answer}");
    assert_eq!(listed(&page).len(), 4, "{page}");
    let (_, answer) = search("::a06:0/112");
    assert!(answer.contains("in no pool"), "{answer}");

    // An empty search says how to search.
    for q in ["", "%20"] {
        let (status, _, page) = server.get(&format!("/search?q={q}"));
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"how-to-search\""), "{page}");
        assert!(!page.contains("Cannot read"), "{page}");
    }
    let (status, _, page) = server.get("/search");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"how-to-search\""), "{page}");
    let (page, _) = search("not-an-address");
    assert!(page.contains("Cannot read"), "{page}");
    drop(server);

    // Behind Terraform's back: 250 allocations in 10.9.0.0/16 and a discovered VPC in the free
    // 10.6.0.0/16. The long answer is capped and counted; the block a VPC uses is not free.
    if support::pg::skip_on_postgres(
        "search_answers_for_whole_blocks (second half)",
        "its rows are written with SQLite's SQL; e2e::postgres searches a PostgreSQL IPAM",
    ) {
        return;
    }
    let conn = ipam_db::drivers::rusqlite::Connection::open(&w.db).unwrap();
    for i in 0..250u32 {
        let start = u32::from(std::net::Ipv4Addr::new(10, 9, i as u8, 0));
        conn.execute(
            "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
             VALUES (?1, ?2, ?3, ?4, 24, 'custom', 'allocated', '{}', '123456789012', 'us-east-1', 0)",
            ipam_db::drivers::rusqlite::params![
                format!("ipam-pool-alloc-sql{i:04}"),
                top,
                format!("10.9.{i}.0/24"),
                u128::from(start).to_be_bytes().to_vec()
            ],
        )
        .unwrap();
    }
    conn.execute_batch(
        "INSERT INTO resource_discoveries (id, description, operating_regions, tags, excluded, sources, base_dir, owner_id, home_region, last_scanned, created_at)
         VALUES ('ipam-res-disco-sql', NULL, '[]', '{}', '[]', '[]', '', '123456789012', 'us-east-1', 0, 0);
         INSERT INTO discovered_cidrs (discovery_id, resource_id, resource_type, cidr, source, overlap_status, scanned_at)
         VALUES ('ipam-res-disco-sql', 'vpc-0sql', 'vpc', '10.6.5.0/24', 'test', 'nonoverlapping', 0),
                ('ipam-res-disco-sql', 'vpc-0wide', 'vpc', '192.0.0.0/8', 'test', 'nonoverlapping', 0),
                ('ipam-res-disco-sql', 'vpc-0v6', 'vpc', '::a06:0/112', 'test', 'nonoverlapping', 0);",
    )
    .unwrap();
    drop(conn);
    let server = serve::Server::start(&w.db);
    let search = |q: &str| {
        let (status, _, page) = server.get(&format!("/search?q={}", q.replace('/', "%2F")));
        assert_eq!(status, 200, "{q}: {page}");
        let answer = text_of(&page, "answer");
        (page, answer)
    };
    let (page, answer) = search("10.9.0.0/16");
    assert!(
        answer.contains("250 allocated, reserved or child-pool blocks overlap it"),
        "{answer}"
    );
    assert_eq!(listed(&page).len(), 200, "capped");
    assert!(page.contains("Showing the first 200 of 250"), "{page}");
    assert!(page.len() < 1 << 20, "{} bytes", page.len());
    let (page, answer) = search("10.6.0.0/16");
    assert!(!answer.contains("free"), "{answer}");
    assert!(
        answer.contains("1 discovered resource CIDR overlaps it"),
        "{answer}"
    );
    assert!(page.contains("data-resource=\"vpc-0sql\""), "{page}");
    assert!(!page.contains("vpc-0v6"), "the other family: {page}");
    // A discovered block that holds the searched one.
    let (page, answer) = search("192.168.0.0/16");
    assert!(answer.contains("192.168.0.0/16 is in no pool"), "{answer}");
    assert!(
        answer.contains("1 discovered resource CIDR overlaps it"),
        "{answer}"
    );
    assert!(page.contains("data-resource=\"vpc-0wide\""), "{page}");
    let (page, _) = search("::a06:1");
    assert!(page.contains("data-resource=\"vpc-0v6\""), "{page}");
    assert!(!page.contains("vpc-0sql"), "{page}");
}

/// Runs `terraform-provider-ipam` with `args` on `db`: (exit code, stdout, stderr).
fn ipam_cli(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(args)
        .arg("--database")
        .arg(db)
        .current_dir(db.parent().unwrap())
        .env_remove("IPAM_DATABASE")
        .output()
        .expect("run the CLI");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether every column of every table matching `css` is inside the window (no horizontal
/// scrolling, nothing cut off at the right): the widest overflow in pixels, 0 when none.
async fn overflow(b: &Browser, css: &str) -> f64 {
    b.client
        .execute(
            "let worst = 0; for (const t of document.querySelectorAll(arguments[0])) {
               const box = t.parentElement;
               worst = Math.max(worst, box.scrollWidth - box.clientWidth);
               for (const th of t.querySelectorAll('th')) {
                 worst = Math.max(worst, th.getBoundingClientRect().right - document.documentElement.clientWidth);
               }
             } return worst;",
            vec![Value::String(css.into())],
        )
        .await
        .expect("measure the table")
        .as_f64()
        .expect("a number")
}

/// `/discovery` and the pool pages, in Chromium at 1,280 px: the compliance table shows all its
/// columns, pages through a scan of thousands of CIDRs, and says when the latest scan failed;
/// a pool's page shows its shares and `auto_import`; pool figures count child pools' CIDRs apart
/// from allocations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_pages_and_pool_details_in_chromium() {
    if support::pg::skip_on_postgres(
        "discovery_pages_and_pool_details_in_chromium",
        "it stores a big scan's rows with SQLite's SQL; e2e::postgres pages /discovery on PostgreSQL",
    ) {
        return;
    }
    let (w, out) = applied();
    let (_, scanned, _) = discover(&w, &out);
    let prod = out["prod"]["value"].as_str().unwrap().to_string();
    let ipam = out["ipam"]["value"].as_str().unwrap().to_string();
    // A share of the production pool, and a pool that auto-imports, from another configuration.
    let other = w.sibling();
    other.config(&format!(
        r#"
data "ipam" "m" {{
  id = "{ipam}"
}}

resource "ipam_resource_share" "web" {{
  name                      = "web <team>"
  resource_arns             = ["{prod}"]
  principals                = ["444455556666", "555566667777"]
  allow_external_principals = true
}}

resource "ipam_pool" "auto" {{
  ipam_scope_id  = data.ipam.m.private_default_scope_id
  address_family = "ipv4"
  auto_import    = true
  description    = "adopts"
}}

output "share" {{
  value = ipam_resource_share.web.id
}}

output "auto" {{
  value = ipam_pool.auto.id
}}
"#
    ));
    other.init();
    other.apply().ok();
    let o = other.outputs();
    let (share, auto) = (
        o["share"]["value"].as_str().unwrap().to_string(),
        o["auto"]["value"].as_str().unwrap().to_string(),
    );
    // 1,234 more CIDRs in the scanned discovery's stored result (as a big scan would leave).
    let conn = ipam_db::drivers::rusqlite::Connection::open(&w.db).unwrap();
    for i in 0..1234u32 {
        conn.execute(
            "INSERT INTO discovered_cidrs (discovery_id, resource_id, resource_type, cidr, source, overlap_status, scanned_at)
             VALUES (?1, ?2, 'subnet', ?3, 'bulk', 'nonoverlapping', 1)",
            ipam_db::drivers::rusqlite::params![scanned, format!("subnet-bulk{i:05}"), format!("172.20.{}.{}/28", i / 16, (i % 16) * 16)],
        )
        .unwrap();
    }
    drop(conn);
    let total = 4 + 1234usize;

    let server = serve::Server::start(&w.db);
    let b = Browser::start().await;

    // The front page: the top pool holds no allocation, only its two child pools' CIDRs.
    b.client
        .goto(&format!("{}/", server.base))
        .await
        .expect("open /");
    let top: String = ipam_db::drivers::rusqlite::Connection::open(&w.db)
        .unwrap()
        .query_row(
            "SELECT id FROM pools WHERE description = 'corporate'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let figures = b
        .client
        .find(Locator::Css(&format!(
            "li.pool[data-pool='{top}'] > .row .figures"
        )))
        .await
        .expect("the top pool's figures");
    assert_eq!(
        figures.attr("data-child-pools").await.unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        figures.attr("data-allocations").await.unwrap().as_deref(),
        Some("0")
    );
    let text = figures.text().await.unwrap();
    assert!(
        text.contains("0 allocations · 2 child pool CIDRs"),
        "{text}"
    );

    // The compliance table: every column inside a 1,280 px window, the first rows of the scan,
    // and a way to all of them, a page at a time.
    b.client
        .goto(&format!("{}/discovery", server.base))
        .await
        .expect("open /discovery");
    let width = b
        .client
        .execute("return window.innerWidth", vec![])
        .await
        .unwrap();
    assert_eq!(width.as_f64(), Some(1280.0));
    let cut = overflow(&b, "table.discovered").await;
    assert!(cut <= 0.0, "the table overflows by {cut} px at 1,280 px");
    screenshot(&b, "discovery-1280").await;
    let section = format!("section[data-discovery='{scanned}']");
    let rows = b
        .client
        .find_all(Locator::Css(&format!("{section} tr[data-resource]")))
        .await
        .unwrap();
    assert_eq!(rows.len(), 100, "the first rows only");
    let more = b
        .client
        .find(Locator::Css(&format!("{section} p.more")))
        .await
        .expect("a count of what is not shown")
        .text()
        .await
        .unwrap();
    assert!(
        more.contains(&format!("Showing the first 100 of {}", format_count(total))),
        "{more}"
    );
    b.client
        .find(Locator::Css(&format!("{section} p.more a")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let rows = b
            .client
            .find_all(Locator::Css("tr[data-resource]"))
            .await
            .unwrap();
        assert!(rows.len() <= 500, "{} rows on a page", rows.len());
        for r in rows {
            let key = (
                r.attr("data-resource").await.unwrap().unwrap(),
                r.attr("data-cidr").await.unwrap().unwrap(),
            );
            assert!(seen.insert(key.clone()), "{key:?} on two pages");
        }
        let source = b.client.source().await.unwrap();
        assert!(source.len() < 1 << 20, "{} bytes", source.len());
        assert!(overflow(&b, "table.discovered").await <= 0.0);
        match b.client.find(Locator::Css("nav.pager a[rel='next']")).await {
            Ok(next) => next.click().await.unwrap(),
            Err(_) => break,
        }
    }
    assert_eq!((seen.len(), pages), (total, 3));
    // VPCs first, as the scan orders them.
    b.client
        .goto(&format!(
            "{}/discovery?discovery={scanned}&page=1",
            server.base
        ))
        .await
        .unwrap();
    let first = b
        .client
        .find(Locator::Css("tr[data-resource]"))
        .await
        .unwrap()
        .attr("data-resource")
        .await
        .unwrap()
        .unwrap();
    assert!(first.starts_with("vpc-"), "{first}");
    for bad in [
        "page=4",
        "page=0",
        "page=x",
        "discovery=ipam-res-disco-0&page=1",
    ] {
        let (status, _, _) = server.get(&format!(
            "/discovery?{}",
            if bad.starts_with("page") {
                format!("discovery={scanned}&{bad}")
            } else {
                bad.to_string()
            }
        ));
        assert_eq!(status, 404, "{bad}");
    }

    // The latest scan fails (its sources are gone): the page says so, and that what it shows
    // is the scan before.
    assert!(b
        .client
        .find(Locator::Css(&format!("{section} p.scan-failed")))
        .await
        .is_err());
    // The discovery's sources were in the directory of the configuration that made it, which
    // is gone now: the next scan cannot read them.
    let (code, _, err) = ipam_cli(&w.db, &["discover", "--discovery", &scanned]);
    assert_ne!(code, 0, "{err}");
    b.client
        .goto(&format!("{}/discovery", server.base))
        .await
        .unwrap();
    let failed = b
        .client
        .find(Locator::Css(&format!("{section} p.scan-failed")))
        .await
        .expect("the failed scan is shown")
        .text()
        .await
        .unwrap();
    assert!(failed.starts_with("The latest scan failed"), "{failed}");
    assert!(failed.contains("describe-*.json"), "{failed}");
    assert!(failed.contains("the scan before it"), "{failed}");
    screenshot(&b, "discovery-failed").await;

    // The pool pages: shares with their principals, auto_import.
    b.client
        .goto(&format!("{}/pools/{prod}", server.base))
        .await
        .unwrap();
    let shares = b
        .client
        .find(Locator::Css("#shares"))
        .await
        .expect("a shares entry")
        .text()
        .await
        .unwrap();
    assert!(
        shares.contains("web <team>")
            && shares.contains(&share)
            && shares.contains("444455556666, 555566667777"),
        "{shares}"
    );
    assert_eq!(attr(&b, "#auto-import", "data-auto-import").await, "false");
    b.client
        .goto(&format!("{}/pools/{auto}", server.base))
        .await
        .unwrap();
    assert_eq!(attr(&b, "#auto-import", "data-auto-import").await, "true");
    let text = b
        .client
        .find(Locator::Css("#auto-import"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("on"), "{text}");
    let none = b
        .client
        .find(Locator::Css("#shares"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(none, "no resource share");
    b.close().await;
}

/// 1234 as the dashboard writes it: 1,234.
fn format_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
