//! `cargo bench --bench discovery`: scanning 100,000 resources. Writes a Terraform state with
//! 90,000 `aws_vpc`s and 10,000 `aws_subnet`s (about 80 MB, the AWS provider's attributes),
//! then times reading it, assessing it against a pool with allocations, and a whole scan
//! through the store (read, assess, store every finding in one transaction). Prints a table,
//! then one JSON line. The goal: the scan of 100,000 resources under one second (release).

use ipam::discovery::{assess, read_sources, AllocView, Assessment, PoolView, Source};
use ipam::engine::{Cidr, PoolRules};
use ipam::store::{Actor, DiscoverySpec, Store};
use std::io::Write;
use std::time::Instant;

const VPCS: u32 = 90_000;
const SUBNETS: u32 = 10_000;

/// The `n`th /24 in 10.0.0.0/8.
fn block(n: u32) -> String {
    format!("10.{}.{}.0/24", (n >> 8) & 0xff, n & 0xff)
}

fn write_state(path: &std::path::Path) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(f, r#"{{"version": 4, "terraform_version": "1.15.5", "serial": 1, "lineage": "bench", "outputs": {{}}, "resources": ["#).unwrap();
    let p = r#""provider": "provider[\"registry.terraform.io/hashicorp/aws\"]""#;
    for i in 0..VPCS + SUBNETS {
        if i > 0 {
            f.write_all(b",").unwrap();
        }
        let id = format!("{:017x}", i);
        if i < VPCS {
            write!(f, r#"{{"mode": "managed", "type": "aws_vpc", "name": "v{i}", {p}, "instances": [{{"schema_version": 1, "attributes": {{"arn": "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-{id}", "assign_generated_ipv6_cidr_block": false, "cidr_block": "{c}", "default_network_acl_id": "acl-{id}", "default_route_table_id": "rtb-{id}", "default_security_group_id": "sg-{id}", "dhcp_options_id": "dopt-{id}", "enable_dns_hostnames": true, "enable_dns_support": true, "id": "vpc-{id}", "instance_tenancy": "default", "ipv6_cidr_block": "", "main_route_table_id": "rtb-{id}", "owner_id": "111122223333", "tags": {{"Name": "vpc-{i}"}}, "tags_all": {{"Name": "vpc-{i}"}}}}, "sensitive_attributes": []}}]}}"#, c = block(i)).unwrap();
        } else {
            let v = format!("{:017x}", i - VPCS);
            write!(f, r#"{{"mode": "managed", "type": "aws_subnet", "name": "s{i}", {p}, "instances": [{{"schema_version": 1, "attributes": {{"arn": "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-{id}", "availability_zone": "us-east-1a", "cidr_block": "{c}", "id": "subnet-{id}", "ipv6_cidr_block": "", "owner_id": "111122223333", "tags": {{}}, "vpc_id": "vpc-{v}"}}, "sensitive_attributes": []}}]}}"#, c = block(i - VPCS).replace(".0/24", ".0/25")).unwrap();
        }
    }
    f.write_all(b"]}").unwrap();
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("big.tfstate");
    let bytes = write_state(&state);
    let sources = [Source {
        path: state.display().to_string(),
        ..Source::default()
    }];

    let t = Instant::now();
    let resources = read_sources(&sources, dir.path()).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    assert_eq!(resources.len() as u32, VPCS + SUBNETS);

    // One pool over 10.0.0.0/9 holding every 10th /24 as an allocation.
    let assessment = Assessment {
        pools: vec![PoolView {
            id: "p".into(),
            depth: 1,
            locale: None,
            rules: PoolRules::default(),
            cidrs: vec![Cidr::parse("10.0.0.0/9").unwrap()],
            auto_import: false,
        }],
        allocations: (0..VPCS / 10)
            .map(|i| AllocView {
                id: format!("a{i}"),
                pool_id: "p".into(),
                cidr: Cidr::parse(&block(i * 10)).unwrap(),
                tags: Default::default(),
            })
            .collect(),
        ..Assessment::default()
    };
    let t = Instant::now();
    let findings = assess(resources, &assessment);
    let assess_s = t.elapsed().as_secs_f64();
    assert_eq!(findings.len() as u32, VPCS + SUBNETS);

    let store = Store::open(
        &dir.path().join("ipam.db"),
        Cidr::parse("2001:db8::/32").unwrap(),
    )
    .unwrap();
    let actor = Actor::new("000000000000", "us-east-1");
    let d = store
        .create_discovery(
            &actor,
            DiscoverySpec {
                sources: sources.to_vec(),
                ..DiscoverySpec::default()
            },
        )
        .unwrap();
    let t = Instant::now();
    let scan = store
        .scan_discovery(&actor, &d.id, ipam::discovery::read_sources)
        .unwrap();
    let scan_s = t.elapsed().as_secs_f64();
    assert_eq!(scan.findings.len() as u32, VPCS + SUBNETS);

    println!(
        "discovery over {} resources ({:.0} MB state)",
        VPCS + SUBNETS,
        bytes as f64 / 1e6
    );
    println!("  {:<44} {:>8.3} s", "read and parse the state", read_s);
    println!(
        "  {:<44} {:>8.3} s",
        "assess (statuses, overlaps, ip_usage)", assess_s
    );
    println!(
        "  {:<44} {:>8.3} s",
        "whole scan (read, assess, store findings)", scan_s
    );
    println!(
        "{}",
        serde_json::json!({"resources": VPCS + SUBNETS, "bytes": bytes, "read_s": read_s, "assess_s": assess_s, "scan_s": scan_s})
    );
}
