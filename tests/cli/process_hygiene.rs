//! The provider started as Terraform starts it (magic cookie, protocol versions, client
//! certificate, handshake line on stdout): it exits within seconds when Terraform dies or on
//! SIGTERM, removes its unix socket on every exit, and checks the certificate before binding.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-ipam");

/// The environment Terraform gives a provider, with sockets under `tmp`.
fn as_terraform(cmd: &mut Command, tmp: &Path, cert: &str) {
    cmd.env(tfplug::MAGIC_COOKIE_KEY, tfplug::MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", cert)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

/// Reads stdout lines until the handshake line; returns the socket path and the other lines.
fn handshake(child: &mut Child) -> (PathBuf, Vec<String>) {
    let out = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(out).lines();
    let mut other = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read stdout");
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() == 6 && fields[2] == "unix" {
            assert!(
                !fields[5].is_empty(),
                "no server certificate announced: {line}"
            );
            // Keep reading in the background so the pipe never fills.
            std::thread::spawn(move || lines.for_each(drop));
            return (PathBuf::from(fields[3]), other);
        }
        other.push(line);
    }
    panic!("no handshake line; stdout was {other:?}");
}

/// Whether process `pid` has exited (gone, or a zombie nobody has reaped yet).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

#[test]
fn the_provider_exits_and_removes_its_socket_when_terraform_is_killed() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = tfplug::tls::generate_pem().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let pid_file = scratch.path().join("pid");
    // A stand-in for Terraform: a shell that starts the provider and waits for it.
    let mut parent = Command::new("sh");
    parent
        .arg("-c")
        .arg("\"$0\" & echo $! > \"$1\"; wait")
        .arg(BIN)
        .arg(&pid_file);
    as_terraform(&mut parent, tmp.path(), &cert);
    let mut parent = parent.spawn().expect("start the parent");
    let (socket, _) = handshake(&mut parent);
    assert!(wait_until(Duration::from_secs(2), || {
        std::fs::read_to_string(&pid_file).is_ok_and(|p| p.ends_with('\n'))
    }));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(socket.exists(), "the socket {} is bound", socket.display());
    assert!(!exited(pid));

    // kill -9 the parent, as when Terraform is killed mid-apply.
    parent.kill().unwrap();
    parent.wait().unwrap();
    let started = Instant::now();
    assert!(
        wait_until(Duration::from_secs(3), || exited(pid)),
        "the provider {pid} outlived its parent by more than 3 s"
    );
    assert!(
        wait_until(Duration::from_secs(1), || !socket.exists()),
        "the socket {} was left behind",
        socket.display()
    );
    eprintln!("provider gone {:?} after its parent", started.elapsed());
}

#[test]
fn sigterm_stops_the_provider_and_removes_its_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = tfplug::tls::generate_pem().unwrap();
    let mut cmd = Command::new(BIN);
    as_terraform(&mut cmd, tmp.path(), &cert);
    let mut child = cmd.spawn().unwrap();
    let (socket, _) = handshake(&mut child);
    assert!(socket.exists());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        wait_until(Duration::from_secs(3), || matches!(
            child.try_wait(),
            Ok(Some(_))
        )),
        "still running 3 s after SIGTERM"
    );
    assert!(
        !socket.exists(),
        "the socket {} was left behind",
        socket.display()
    );
}

#[test]
fn a_bad_client_certificate_fails_before_any_socket_is_bound() {
    for cert in [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(BIN);
        as_terraform(&mut cmd, tmp.path(), cert);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("PLUGIN_CLIENT_CERT"), "{stderr}");
        assert!(out.stdout.is_empty(), "no handshake line");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "files left in TMPDIR: {left:?}");
    }
}

#[test]
fn a_provider_killed_outright_has_its_socket_removed_by_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = tfplug::tls::generate_pem().unwrap();
    let start = || {
        let mut cmd = Command::new(BIN);
        as_terraform(&mut cmd, tmp.path(), &cert);
        let mut child = cmd.spawn().unwrap();
        let (socket, _) = handshake(&mut child);
        (child, socket)
    };
    // SIGKILL cannot be handled: the socket stays behind.
    let (mut first, stale) = start();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(stale.exists());
    // Something else's file of a similar name is left alone.
    let other = tmp.path().join("plugin-notes");
    std::fs::write(&other, "x").unwrap();
    let (mut second, socket) = start();
    assert!(
        !stale.exists(),
        "the stale socket {} was not removed",
        stale.display()
    );
    assert!(socket.exists() && other.exists());
    second.kill().unwrap();
    second.wait().unwrap();
}
