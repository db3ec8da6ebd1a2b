//! Runs `terraform-provider-ipam serve` on a free loopback port for a test, and a tiny HTTP/1.1
//! GET for reading its answers without a browser.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `serve`; stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Server {
    /// `db` is a SQLite file or a PostgreSQL URL (a test run with `IPAM_TEST_BACKEND=postgres`).
    pub fn start(db: &Path) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"]);
        if db.to_str().is_some_and(|d| d.starts_with("postgres")) {
            cmd.arg(db);
        } else {
            // Relative, as people run it (and as the screenshots show it).
            cmd.arg(db.file_name().expect("a database file"))
                .current_dir(db.parent().expect("the database's directory"));
        }
        let mut child = cmd
            .env_remove("IPAM_DATABASE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read serve's first line");
        let base = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .map(|a| format!("http://{}", a.trim_end_matches('/')))
            .unwrap_or_else(|| panic!("serve printed no address: {line:?}"));
        Server { child, base }
    }

    /// `GET path`: the status code, the headers (lowercased names) and the body.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        get(&self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn get(base: &str, path: &str) -> (u16, String, String) {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).expect("connect to serve");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw.get(split + 4..).unwrap_or_default().to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

/// HTTP/1.1 chunked transfer coding, undone (sizes count bytes).
fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let rest = &s[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        s = rest.get(n + 2..).unwrap_or_default();
    }
    out
}
