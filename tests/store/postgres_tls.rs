//! TLS to PostgreSQL through rustls (on a server of its own: it listens on a loopback port
//! with a certificate for `localhost` signed by a test CA). `verify-full` checks the chain
//! and the host name, `require` encrypts without checking, `disable` does not encrypt.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::pg;

use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{PoolSpec, Store, Tags};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::time::Duration;

fn open(url: &str) -> Result<Store, ipam::store::Error> {
    Store::open_database(
        url,
        Cidr::parse("2001:db8::/32").unwrap(),
        Duration::from_secs(10),
    )
}

/// A CA; its certificate in PEM and the issuer that signs with it.
fn ca() -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

/// Whether the connections of this provider to the server are encrypted.
fn encrypted(cluster: &pg::Cluster) -> Vec<bool> {
    cluster
        .admin("postgres")
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'terraform-provider-ipam'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn verify_full_checks_the_chain_and_the_name_require_encrypts_disable_does_not() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cluster = &pg::Cluster::private_tcp("127.0.0.1", port);
    let dir = cluster.dir().to_path_buf();
    // The server's certificate, for localhost only, signed by the test CA.
    let (ca_pem, issuer) = ca();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let data = dir.join("data");
    std::fs::write(data.join("server.crt"), server.pem()).unwrap();
    std::fs::write(data.join("server.key"), server_key.serialize_pem()).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let (other_ca, _) = ca();
    let other_file = dir.join("other-ca.pem");
    std::fs::write(&other_file, other_ca).unwrap();
    for f in ["server.crt", "server.key"] {
        let path = data.join(f);
        std::process::Command::new("chmod")
            .arg("600")
            .arg(&path)
            .status()
            .unwrap();
        let _ = std::process::Command::new("chown")
            .arg("postgres:")
            .arg(&path)
            .status();
    }
    let mut admin = cluster.admin("postgres");
    for sql in [
        "ALTER SYSTEM SET ssl = on",
        "ALTER SYSTEM SET ssl_cert_file = 'server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'server.key'",
        "SELECT pg_reload_conf()",
    ] {
        admin.batch_execute(sql).unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let url = cluster.new_database();
    let db = pg::database_name(&url);
    let at = |host: &str, params: &str| format!("postgres://postgres@{host}:{port}/{db}?{params}");

    // verify-full against the right CA: works, and the connection is encrypted.
    let s = open(&at(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
    ))
    .unwrap();
    let ipam = s
        .create_ipam(
            &ipam::store::Actor::new("111122223333", "us-east-1"),
            None,
            vec![],
            Tags::new(),
        )
        .unwrap();
    let pool = s
        .create_pool(
            &ipam::store::Actor::new("111122223333", "us-east-1"),
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(
        &ipam::store::Actor::new("111122223333", "us-east-1"),
        &pool.id,
        AllocationRequest::Explicit(Cidr::parse("10.0.0.0/8").unwrap()),
    )
    .unwrap();
    assert_eq!(encrypted(cluster), vec![true]);
    drop(s);

    // Another CA, or a name the certificate does not carry: refused, saying why.
    let wrong_ca = open(&at(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", other_file.display()),
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(wrong_ca.contains("certificate"), "{wrong_ca}");
    let wrong_name = open(&at(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(wrong_name.contains("certificate"), "{wrong_name}");
    // A missing root file is named.
    let missing = open(&at(
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(missing.contains("/nonexistent/ca.pem"), "{missing}");

    // require: encrypted without checking who the server is.
    let s = open(&at("127.0.0.1", "sslmode=require")).unwrap();
    s.get_ipam(&ipam.id).unwrap().unwrap();
    assert_eq!(encrypted(cluster), vec![true]);
    drop(s);

    // disable: plain.
    let s = open(&at("127.0.0.1", "sslmode=disable")).unwrap();
    s.get_ipam(&ipam.id).unwrap().unwrap();
    assert_eq!(encrypted(cluster), vec![false]);
}
