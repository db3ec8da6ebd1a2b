//! The command line a person meets, driven through the binary: help on stdout with exit 0 for
//! every command, errors naming the flag or value, headers on every table, ids and expiry in
//! `allocations`, readable IPv6 counts, `--json`, and the `release` and `verify` rules.

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Origin, PoolSpec, Store, Tags};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-ipam");
const COMMANDS: &[&str] = &[
    "allocations",
    "audit",
    "release",
    "orphans",
    "verify",
    "serve",
    "check",
    "discover",
    "migrate",
];

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("IPAM_DATABASE")
        .env_remove("TF_WORKSPACE")
        .output()
        .expect("run the CLI");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn spec(pool: &str, request: AllocationRequest, name: Option<&str>) -> AllocationSpec {
    AllocationSpec {
        name: name.map(String::from),
        description: Some("web tier".into()),
        ..AllocationSpec::new(pool, request, AllocationKind::Vpc)
    }
}

/// `ipam.db` in `dir` (the default database): an IPv4 pool with an allocation and a
/// reservation, an IPv6 /52 half allocated. Returns (ipv4 pool, allocation id, reservation id).
fn database(dir: &Path, actor: &Actor) -> (String, String, String) {
    let s = Store::open(&dir.join("ipam.db"), c("2001:db8::/32")).unwrap();
    let ipam = s
        .create_ipam(actor, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let v4 = s
        .create_pool(
            actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                description: Some("top".into()),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(actor, &v4.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    let a = s
        .allocate(actor, &spec(&v4.id, AllocationRequest::Netmask(24), None))
        .unwrap();
    let r = s
        .reserve(
            actor,
            &spec(&v4.id, AllocationRequest::Netmask(24), Some("planned")),
            3600,
        )
        .unwrap();
    let v6 = s
        .create_pool(
            actor,
            PoolSpec {
                scope_id: ipam.private_default_scope_id,
                family: Some(ipam::engine::AddressFamily::Ipv6),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(actor, &v6.id, AllocationRequest::Explicit(c("fd00::/52")))
        .unwrap();
    s.allocate(actor, &spec(&v6.id, AllocationRequest::Netmask(53), None))
        .unwrap();
    (v4.id, a.id, r.id)
}

fn actor_in(dir: &Path) -> Actor {
    let mut a = Actor::new("111122223333", "us-east-1");
    a.origin = Origin::of_dir(dir);
    a
}

#[test]
fn help_goes_to_stdout_with_exit_0_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["--help"], vec!["help"], vec!["-h"]] {
        let o = run(dir.path(), &args);
        assert_eq!(o.code, 0, "{args:?}");
        for c in COMMANDS {
            assert!(
                o.stdout.contains(c),
                "{c} not in the overview:\n{}",
                o.stdout
            );
        }
    }
    for c in COMMANDS {
        for flag in ["--help", "-h"] {
            let o = run(dir.path(), &[c, flag]);
            assert_eq!(o.code, 0, "{c} {flag}: {}", o.stderr);
            assert!(
                o.stdout
                    .starts_with(&format!("Usage: terraform-provider-ipam {c}")),
                "{}",
                o.stdout
            );
            assert!(o.stdout.contains("--database PATH"), "{}", o.stdout);
            assert!(o.stderr.is_empty());
        }
        let o = run(dir.path(), &["help", c]);
        assert_eq!(o.code, 0);
        assert!(o
            .stdout
            .starts_with(&format!("Usage: terraform-provider-ipam {c}")));
    }
}

#[test]
fn the_wrong_flag_or_value_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["audit", "--lmit", "3"], "unknown flag --lmit"),
        (
            &["audit", "--limit", "ten"],
            "--limit: \"ten\" is not a whole number",
        ),
        (&["audit", "--limit"], "--limit needs a value (N)"),
        (&["verify", "--repair=yes"], "--repair takes no value"),
        (&["allocations", "extra"], "unexpected argument \"extra\""),
        (&["orphans"], "--state FILE is required"),
        (&["release"], "give at least one allocation id"),
        (&["frobnicate"], "unknown command \"frobnicate\""),
    ];
    for (args, needle) in cases {
        let o = run(dir.path(), args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr.contains(needle),
            "{args:?}: {needle:?} not in {}",
            o.stderr
        );
        assert!(o.stdout.is_empty());
    }
    // A missing database is named, and not created.
    let o = run(dir.path(), &["allocations", "--database", "nope.db"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no database at nope.db"), "{}", o.stderr);
    assert!(!dir.path().join("nope.db").exists());
}

#[test]
fn tables_have_headers_ids_expiry_and_readable_ipv6_counts() {
    let dir = tempfile::tempdir().unwrap();
    let actor = actor_in(dir.path());
    let (_, alloc, reservation) = database(dir.path(), &actor);
    let o = run(dir.path(), &["allocations"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(
        lines[0].starts_with("POOL") && lines[0].contains("USED"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("2^75 of 2^76, 50%"), "{}", o.stdout);
    assert!(o.stdout.contains("512 of 65536, 0.78%"), "{}", o.stdout);
    let header = lines
        .iter()
        .find(|l| l.starts_with("ALLOCATION"))
        .expect("allocation header");
    for col in [
        "CIDR",
        "TYPE",
        "RESOURCE",
        "OWNER",
        "DESCRIPTION",
        "ORIGIN",
        "EXPIRES",
    ] {
        assert!(header.contains(col), "{col} missing: {header}");
    }
    let line = |id: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not listed:\n{}", o.stdout))
    };
    assert!(line(&alloc).contains("10.0.0.0/24"));
    let origin = std::fs::canonicalize(dir.path()).unwrap();
    assert!(line(&alloc).contains(&origin.display().to_string()));
    let r = line(&reservation);
    assert!(r.contains("reserved") && r.contains("planned"), "{r}");
    assert!(r.trim_end().ends_with('Z'), "the reservation's expiry: {r}");

    let o = run(dir.path(), &["allocations", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let pools = v["pools"].as_array().unwrap();
    let v6 = pools.iter().find(|p| p["family"] == "ipv6").unwrap();
    assert_eq!(v6["total"], (1u128 << 76).to_string());
    assert_eq!(v6["allocated"], (1u128 << 75).to_string());
    let allocations = v["allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 3);
    let r = allocations
        .iter()
        .find(|a| a["id"] == reservation.as_str())
        .unwrap();
    assert_eq!(r["state"], "reserved");
    assert!(r["expires_at"].is_string());

    let o = run(dir.path(), &["audit", "--limit", "2"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("SEQ"), "{}", o.stdout);
    assert_eq!(o.stdout.lines().count(), 3);
    let o = run(dir.path(), &["audit", "--json", "--object", &alloc]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v[0]["action"], "allocate-cidr");
    assert_eq!(v[0]["after"]["cidr"], "10.0.0.0/24");
}

#[test]
fn release_refuses_what_a_state_holds_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let actor = actor_in(dir.path());
    let (pool, alloc, reservation) = database(dir.path(), &actor);
    let state = |ids: &[&str]| {
        let attrs: Vec<String> = ids
            .iter()
            .map(|id| format!(r#"{{"attributes":{{"id":"{id}"}}}}"#))
            .collect();
        format!(
            r#"{{"version":4,"resources":[{{"type":"ipam_vpc_allocation","instances":[{}]}}]}}"#,
            attrs.join(",")
        )
    };
    // No local state in the allocation's directory: it cannot tell, so it refuses.
    let o = run(dir.path(), &["release", &alloc]);
    assert_eq!(o.code, 4, "refused");
    assert!(
        o.stderr.contains("--state FILE") && o.stderr.contains(&alloc),
        "{}",
        o.stderr
    );
    // The directory's state holds it: refused, naming the state file.
    std::fs::write(dir.path().join("terraform.tfstate"), state(&[&alloc])).unwrap();
    let o = run(dir.path(), &["release", &alloc, &reservation]);
    assert_eq!(o.code, 4, "refused");
    assert!(o.stderr.contains("terraform.tfstate"), "{}", o.stderr);
    let s = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    assert_eq!(
        s.list_allocations(&pool).unwrap().len(),
        2,
        "nothing released"
    );
    // A reservation alone is released; an unknown id releases nothing.
    let o = run(
        dir.path(),
        &["release", "ipam-pool-alloc-00000000000000000"],
    );
    assert_eq!(o.code, 2, "an unknown id is bad input");
    assert!(
        o.stderr.contains("no allocation or reservation"),
        "{}",
        o.stderr
    );
    let o = run(dir.path(), &["release", &reservation]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("RELEASED"), "{}", o.stdout);
    // --state given and not holding it: released.
    std::fs::write(dir.path().join("other.json"), state(&["ipam-pool-alloc-x"])).unwrap();
    let o = run(
        dir.path(),
        &["release", &alloc, "--state", "other.json", "--json"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["released"][0]["id"], alloc.as_str());
    assert!(s.list_allocations(&pool).unwrap().is_empty());
    let events = s.audit_events(Some(&alloc), 10).unwrap();
    assert_eq!(events.last().unwrap().action, "release-allocation");
    // --force overrides a state that holds it.
    let again = s
        .allocate(&actor, &spec(&pool, AllocationRequest::Netmask(24), None))
        .unwrap();
    std::fs::write(dir.path().join("terraform.tfstate"), state(&[&again.id])).unwrap();
    assert_eq!(run(dir.path(), &["release", &again.id]).code, 4);
    assert_eq!(run(dir.path(), &["release", &again.id, "--force"]).code, 0);
}

#[test]
fn verify_exits_1_on_a_fault_and_repair_mends_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let actor = actor_in(dir.path());
    let (pool, _, _) = database(dir.path(), &actor);
    let o = run(dir.path(), &["verify"]);
    assert_eq!(
        (o.code, o.stdout.trim()),
        (0, "ok: no fault found"),
        "{}",
        o.stderr
    );
    // A stray free block over the allocated 10.0.0.0/24.
    ipam_db::drivers::rusqlite::Connection::open(dir.path().join("ipam.db"))
        .unwrap()
        .execute(
            "INSERT INTO free_blocks (pool_id, start, len) VALUES (?1, X'0000000000000000000000000A000000', 24)",
            [&pool],
        )
        .unwrap();
    let o = run(dir.path(), &["verify"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.starts_with("POOL") && o.stdout.contains("overlaps"),
        "{}",
        o.stdout
    );
    let o = run(dir.path(), &["verify", "--repair", "--json"]);
    assert_eq!(o.code, 5, "repaired: {}{}", o.stdout, o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["repaired_pools"][0], pool.as_str());
    assert_eq!(run(dir.path(), &["verify"]).code, 0);
}

#[test]
fn orphans_of_a_state_a_kill_left_empty_are_read_from_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let actor = actor_in(dir.path());
    let (_, alloc, reservation) = database(dir.path(), &actor);
    let state = dir.path().join("terraform.tfstate");
    // Not a state at all, and no backup: refused, pointing at the backup.
    std::fs::write(&state, "").unwrap();
    let o = run(dir.path(), &["orphans", "--state", "terraform.tfstate"]);
    assert_eq!(o.code, 2, "a state that cannot be read is bad input");
    assert!(
        o.stderr.contains("terraform.tfstate.backup"),
        "{}",
        o.stderr
    );
    // With a backup (the state before the killed apply), the comparison is made with it.
    std::fs::write(
        dir.path().join("terraform.tfstate.backup"),
        r#"{"version":4,"resources":[]}"#,
    )
    .unwrap();
    for broken in ["", "{\"version\":4,\"resou"] {
        std::fs::write(&state, broken).unwrap();
        let o = run(dir.path(), &["orphans", "--state", "terraform.tfstate"]);
        assert_eq!(o.code, 1, "orphans found: {}", o.stderr);
        assert!(
            o.stderr
                .contains("cp terraform.tfstate.backup terraform.tfstate"),
            "{}",
            o.stderr
        );
        assert!(o.stdout.contains(&alloc), "{}", o.stdout);
        assert!(
            !o.stdout.contains(&reservation),
            "reservations are not orphans"
        );
    }
    // A whole state of another kind is not replaced by the backup.
    std::fs::write(&state, r#"{"version":3}"#).unwrap();
    let o = run(dir.path(), &["orphans", "--state", "terraform.tfstate"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("version 3"), "{}", o.stderr);
}

/// The exit codes every command shares (README "Exit codes", every `--help`): 2 for what the
/// command line names and is not there (no database, an empty or foreign file, a directory, an
/// unknown flag), 3 when the database cannot be reached, and each command's own answers. No
/// command creates the database it is pointed at, and the plugin still starts for Terraform.
#[test]
fn every_command_answers_with_the_shared_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("state.json"),
        r#"{"version":4,"resources":[]}"#,
    )
    .unwrap();
    // What each command needs to get past its flags to the database.
    let commands: &[(&str, &[&str])] = &[
        ("allocations", &[]),
        ("audit", &[]),
        ("release", &["ipam-pool-alloc-00000000000000000"]),
        ("orphans", &["--state", "state.json"]),
        ("verify", &[]),
        ("discover", &[]),
        ("serve", &["--listen", "127.0.0.1:0"]),
        ("check", &["--threshold", "80"]),
        ("migrate", &["--to", "postgres://127.0.0.1:1/ipam"]),
    ];
    // Every command the overview lists is covered here.
    let overview = run(dir.path(), &["--help"]).stdout;
    let listed: Vec<&str> = overview
        .lines()
        .filter_map(|l| l.trim().strip_prefix("terraform-provider-ipam "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.starts_with('-'))
        .collect();
    let covered: Vec<&str> = commands.iter().map(|(c, _)| *c).collect();
    assert_eq!(listed, covered, "a command without exit code checks");
    assert!(overview.contains("Exit codes:"), "{overview}");

    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let foreign = b"this is not a database, only a file long enough for a header";
    std::fs::write(dir.path().join("foreign.db"), foreign).unwrap();
    std::fs::create_dir(dir.path().join("a-directory")).unwrap();
    for (c, args) in commands {
        let with = |extra: &[&'static str]| -> Vec<&str> { [&[*c][..], args, extra].concat() };
        let h = run(dir.path(), &[c, "--help"]);
        for code in 0..=5 {
            assert!(
                h.stdout.contains(&format!("\n  {code}  ")),
                "{c} --help lacks exit code {code}:\n{}",
                h.stdout
            );
        }
        let o = run(dir.path(), &with(&["--bogus"]));
        assert_eq!(o.code, 2, "{c} --bogus: {}", o.stderr);
        // The default database (ipam.db here) does not exist: named, and not created.
        let o = run(dir.path(), &with(&[]));
        assert_eq!(o.code, 2, "{c} without a database: {}", o.stderr);
        assert!(
            o.stderr.contains("no database at ipam.db"),
            "{c}: {}",
            o.stderr
        );
        assert!(!dir.path().join("ipam.db").exists(), "{c} created ipam.db");
        for (db, needle) in [
            ("missing.db", "no database at missing.db"),
            ("empty.db", "empty.db is an empty file, not a database"),
            ("foreign.db", "foreign.db"),
            ("a-directory", "a-directory is not a database file"),
        ] {
            let o = run(dir.path(), &with(&["--database", db]));
            assert_eq!(o.code, 2, "{c} --database {db}: {}", o.stderr);
            assert!(o.stderr.contains(needle), "{c} {db}: {}", o.stderr);
        }
        assert!(!dir.path().join("missing.db").exists(), "{c} created it");
        assert_eq!(std::fs::read(dir.path().join("empty.db")).unwrap(), b"");
        assert_eq!(
            std::fs::read(dir.path().join("foreign.db")).unwrap(),
            foreign
        );
        // A server that cannot be reached: the command cannot work (3), it is not an answer.
        if *c != "migrate" {
            let o = run(
                dir.path(),
                &with(&[
                    "--database",
                    "postgres://127.0.0.1:1/ipam?connect_timeout=2",
                ]),
            );
            assert_eq!(o.code, 3, "{c} unreachable: {}", o.stderr);
        }
    }

    // With a database: each command's own answers.
    let actor = actor_in(dir.path());
    let (pool, alloc, _) = database(dir.path(), &actor);
    let code = |args: &[&str]| {
        let o = run(dir.path(), args);
        (o.code, format!("{}{}", o.stdout, o.stderr))
    };
    for args in [
        &["allocations"][..],
        &["audit"],
        &["verify"],
        &["check", "--threshold", "80"],
    ] {
        let (c, text) = code(args);
        assert_eq!(c, 0, "{args:?}: {text}");
    }
    assert_eq!(code(&["check", "--threshold", "0"]).0, 1, "a pool above 0%");
    assert_eq!(code(&["allocations", "--pool", "ipam-pool-nope"]).0, 2);
    assert_eq!(code(&["discover"]).0, 2, "no discovery to scan");
    assert_eq!(
        code(&["discover", "--discovery", "ipam-res-disc-nope"]).0,
        2
    );
    assert_eq!(
        code(&["orphans", "--state", "state.json"]).0,
        1,
        "orphans found"
    );
    assert_eq!(code(&["orphans", "--state", "missing.json"]).0, 2);
    assert_eq!(code(&["release", "ipam-pool-alloc-00000000000000000"]).0, 2);
    assert_eq!(code(&["release", &alloc, "--state", "missing.json"]).0, 2);
    assert_eq!(code(&["release", &alloc]).0, 4, "no state to tell: refused");
    assert_eq!(code(&["migrate", "--to", "copy.db"]).0, 2);
    assert!(
        !dir.path().join("copy.db").exists(),
        "migrate created a file"
    );
    // serve cannot listen where another already does.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (c, text) = code(&["serve", "--listen", &addr]);
    assert_eq!(c, 3, "{text}");
    // A fault is found (1); repaired (5); then nothing to report (0).
    ipam_db::drivers::rusqlite::Connection::open(dir.path().join("ipam.db"))
        .unwrap()
        .execute(
            "INSERT INTO free_blocks (pool_id, start, len) VALUES (?1, X'0000000000000000000000000A000000', 24)",
            [&pool],
        )
        .unwrap();
    assert_eq!(code(&["verify"]).0, 1);
    assert_eq!(code(&["verify", "--repair"]).0, 5);
    assert_eq!(code(&["verify", "--repair"]).0, 0);

    // The plugin handshake (no command, as Terraform runs it) is unaffected.
    let empty = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .current_dir(empty.path())
        .env(tfplug::MAGIC_COOKIE_KEY, tfplug::MAGIC_COOKIE_VALUE)
        .env_remove("IPAM_DATABASE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.starts_with("1|6|unix|"), "handshake: {line:?}");
    assert!(!empty.path().join("ipam.db").exists());
}

/// Whether `s` holds a character a terminal would act on (line breaks aside).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| c != '\n' && ipam::text::is_hostile(c))
        .collect()
}

/// Text another team or a discovery source supplied (descriptions, names, resource ids, an
/// account, a directory, a VPC id and Name tag) reaches the terminal escaped in every command
/// that shows it, on stdout and stderr, in tables and in JSON.
#[test]
fn others_text_reaches_the_terminal_escaped() {
    const FAKE: &str = "\u{1b}[2J\u{1b}[31mFAKE: all good\u{9b}0m\u{202e}";
    let dir = tempfile::tempdir().unwrap();
    // Another team's directory, its name holding an escape sequence too.
    let team_dir = dir.path().join("team\u{1b}[31m");
    std::fs::create_dir(&team_dir).unwrap();
    let mut team = Actor::new(format!("1111{FAKE}"), "us-east-1");
    team.origin = Origin::of_dir(&team_dir);
    let s = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    let ipam = s
        .create_ipam(&team, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let pool = s
        .create_pool(
            &team,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                description: Some(format!("pool {FAKE}")),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(
        &team,
        &pool.id,
        AllocationRequest::Explicit(c("10.0.0.0/24")),
    )
    .unwrap();
    let a = s
        .allocate(
            &team,
            &AllocationSpec {
                description: Some(FAKE.into()),
                resource_id: Some(format!("vpc-{FAKE}")),
                ..AllocationSpec::new(
                    &pool.id,
                    AllocationRequest::Netmask(26),
                    AllocationKind::Vpc,
                )
            },
        )
        .unwrap();
    s.reserve(
        &team,
        &AllocationSpec {
            name: Some(format!("named {FAKE}")),
            ..AllocationSpec::new(
                &pool.id,
                AllocationRequest::Netmask(26),
                AllocationKind::Vpc,
            )
        },
        3600,
    )
    .unwrap();
    // A discovery source whose VPC id and Name tag hold escape sequences.
    std::fs::write(
        dir.path().join("vpcs.json"),
        r#"{"Vpcs":[{"CidrBlock":"10.0.0.0/26","VpcId":"vpc-\u001b[2J\u009b31m","OwnerId":"111122223333","Tags":[{"Key":"Name","Value":"\u001b[31mFAKE\u202e"}]}]}"#,
    )
    .unwrap();
    s.create_discovery(
        &team,
        ipam::store::DiscoverySpec {
            description: None,
            operating_regions: vec![],
            tags: Tags::new(),
            excluded_resource_ids: vec![],
            sources: vec![ipam::discovery::Source {
                path: "vpcs.json".into(),
                region: Some("us-east-1".into()),
                account_id: None,
            }],
            base_dir: dir.path().display().to_string(),
        },
    )
    .unwrap();
    drop(s);
    std::fs::write(
        dir.path().join("empty.tfstate"),
        r#"{"version":4,"resources":[]}"#,
    )
    .unwrap();
    let team_dir_arg = team_dir.to_str().unwrap();
    let runs: &[(&[&str], &str)] = &[
        (
            &["allocations"],
            "\\u{1b}[2J\\u{1b}[31mFAKE: all good\\u{9b}0m\\u{202e}",
        ),
        (
            &["allocations", "--json"],
            "\\u001b[2J\\u001b[31mFAKE: all good\\u009b0m\\u202e",
        ),
        (&["audit"], "1111\\u{1b}[2J"),
        (&["audit", "--json"], "\\u001b[2J"),
        (&["check", "--threshold", "0"], "pool \\u{1b}[2J"),
        (&["check", "--threshold", "0", "--json"], "pool \\u001b[2J"),
        (
            &["orphans", "--state", "empty.tfstate", "--dir", team_dir_arg],
            "vpc-\\u{1b}[2J",
        ),
        (&["release", &a.id], "team\\u{1b}[31m"),
        (&["discover"], "vpc-\\u{1b}[2J\\u{9b}31m"),
        (&["discover", "--json"], "vpc-\\u001b[2J\\u009b31m"),
        (&["verify"], "ok"),
    ];
    for (args, escaped) in runs {
        let o = run(dir.path(), args);
        let text = format!("{}{}", o.stdout, o.stderr);
        assert!(
            raw_controls(&text).is_empty(),
            "{args:?} printed raw {:?}:\n{text}",
            raw_controls(&text)
        );
        assert!(text.contains(escaped), "{args:?}: {escaped} not in\n{text}");
    }
    // The Name tag too, and JSON that still reads back to the stored text.
    let o = run(dir.path(), &["discover"]);
    assert!(
        o.stdout.contains("\\u{1b}[31mFAKE\\u{202e}"),
        "{}",
        o.stdout
    );
    let o = run(dir.path(), &["allocations", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(v["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["description"] == FAKE));
}

#[test]
fn orphans_will_not_release_on_the_word_of_a_state_that_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let actor = actor_in(dir.path());
    let (_, alloc, _) = database(dir.path(), &actor);
    // A state with resources, none of them an allocation: which state it is cannot be told.
    std::fs::write(
        dir.path().join("other.tfstate"),
        r#"{"version":4,"resources":[{"instances":[{"attributes":{"id":"ipam-pool-alloc-elsewhere"}}]}]}"#,
    )
    .unwrap();
    for force in [false, true] {
        let mut args = vec!["orphans", "--state", "other.tfstate", "--release"];
        if force {
            args.push("--force");
        }
        let o = run(dir.path(), &args);
        assert_eq!(o.code, 4, "--force {force}: {}", o.stdout);
        assert!(
            o.stderr.contains("holds no allocation") && o.stderr.contains("release --state"),
            "{}",
            o.stderr
        );
    }
    let o = run(dir.path(), &["orphans", "--state", "other.tfstate"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains(&alloc) && o.stdout.contains("--release refuses"),
        "listing is harmless: {}",
        o.stdout
    );
    let s = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    assert!(
        s.get_allocation(&alloc).unwrap().is_some(),
        "nothing released"
    );
}

/// A state file (format 4) holding `ids`.
fn state_of(ids: &[&str]) -> String {
    let attrs: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"attributes":{{"id":"{id}"}}}}"#))
        .collect();
    format!(
        r#"{{"version":4,"resources":[{{"type":"ipam_vpc_allocation","instances":[{}]}}]}}"#,
        attrs.join(",")
    )
}

#[test]
fn orphans_takes_the_state_from_the_allocations_it_holds_not_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let here = actor_in(dir.path());
    let (pool, _, _) = database(dir.path(), &here);
    let s = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    // Two backends of one directory and workspace (init -reconfigure between the applies).
    let with_state = |key: &str| {
        let mut a = here.clone();
        a.origin.state = Some(key.into());
        a
    };
    let (a, b) = (with_state("local:aaaa"), with_state("local:bbbb"));
    let alloc = |who: &Actor| {
        s.allocate(who, &spec(&pool, AllocationRequest::Netmask(24), None))
            .unwrap()
            .id
    };
    let (a_kept, a_lost) = (alloc(&a), alloc(&a));
    let (b_kept, b_lost) = (alloc(&b), alloc(&b));
    std::fs::write(dir.path().join("A.tfstate"), state_of(&[&a_kept])).unwrap();
    std::fs::write(dir.path().join("B.tfstate"), state_of(&[&b_kept])).unwrap();
    // Run from another directory: the file says which state it is.
    let elsewhere = tempfile::tempdir().unwrap();
    let db = dir.path().join("ipam.db");
    let b_file = dir.path().join("B.tfstate");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "orphans".to_string(),
            "--database".into(),
            db.display().to_string(),
            "--state".into(),
            b_file.display().to_string(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run_s = |v: Vec<String>| {
        run(
            elsewhere.path(),
            &v.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let o = run_s(args(&["--json"]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let listed: Vec<&str> = v["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [b_lost.as_str()], "{}", o.stdout);
    assert_eq!(v["origin"]["state"], "local:bbbb");
    let o = run_s(args(&["--release"]));
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(s.get_allocation(&b_lost).unwrap().is_none());
    for id in [&a_kept, &a_lost, &b_kept] {
        assert!(s.get_allocation(id).unwrap().is_some(), "{id} was released");
    }

    // A state holding allocations of two states: listed, never released.
    std::fs::write(
        dir.path().join("both.tfstate"),
        state_of(&[&a_kept, &b_kept]),
    )
    .unwrap();
    let o = run(dir.path(), &["orphans", "--state", "both.tfstate"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stdout.contains(&a_lost) && o.stdout.contains("several states"),
        "{}",
        o.stdout
    );
    let o = run(
        dir.path(),
        &["orphans", "--state", "both.tfstate", "--release", "--force"],
    );
    assert_eq!(o.code, 4, "{}", o.stdout);
    assert!(
        o.stderr.contains("local:aaaa") && o.stderr.contains("local:bbbb"),
        "{}",
        o.stderr
    );
    assert!(
        s.get_allocation(&a_lost).unwrap().is_some(),
        "released on the word of a mixed state"
    );

    // An allocation recorded before states were told apart (no key): only with --force.
    let old = alloc(&a);
    ipam_db::drivers::rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE allocations SET origin_state = NULL WHERE id = ?1",
            [&old],
        )
        .unwrap();
    let o = run(
        dir.path(),
        &["orphans", "--state", "A.tfstate", "--release"],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.contains("pass --force"), "{}", o.stdout);
    assert!(
        s.get_allocation(&a_lost).unwrap().is_none(),
        "A's own orphan is released"
    );
    assert!(
        s.get_allocation(&old).unwrap().is_some(),
        "an unrecorded one needs --force"
    );
    let o = run(
        dir.path(),
        &["orphans", "--state", "A.tfstate", "--release"],
    );
    assert_eq!(o.code, 4, "{}", o.stdout);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    let o = run(
        dir.path(),
        &["orphans", "--state", "A.tfstate", "--release", "--force"],
    );
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(s.get_allocation(&old).unwrap().is_none());
    for id in [&a_kept, &b_kept] {
        assert!(s.get_allocation(id).unwrap().is_some(), "{id} was released");
    }

    // A state holding only unrecorded allocations (applied before the upgrade): its directory's
    // unrecorded allocations are candidates (with --force), another state's never.
    let (old_kept, old_lost) = (alloc(&a), alloc(&a));
    ipam_db::drivers::rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE allocations SET origin_state = NULL WHERE id IN (?1, ?2)",
            [&old_kept, &old_lost],
        )
        .unwrap();
    std::fs::write(dir.path().join("old.tfstate"), state_of(&[&old_kept])).unwrap();
    let o = run(
        dir.path(),
        &["orphans", "--state", "old.tfstate", "--release", "--force"],
    );
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(s.get_allocation(&old_lost).unwrap().is_none());
    for id in [&a_kept, &b_kept, &old_kept] {
        assert!(s.get_allocation(id).unwrap().is_some(), "{id} was released");
    }
}

#[test]
fn release_finds_the_local_state_an_allocation_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    let here = actor_in(dir.path());
    let (pool, _, _) = database(dir.path(), &here);
    let s = Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")).unwrap();
    // The directory's backend is a local one writing A.tfstate.
    std::fs::create_dir(dir.path().join(".terraform")).unwrap();
    std::fs::write(
        dir.path().join(".terraform/terraform.tfstate"),
        r#"{"version":3,"backend":{"type":"local","config":{"path":"A.tfstate","workspace_dir":null}}}"#,
    )
    .unwrap();
    let a = actor_in(dir.path());
    assert_ne!(
        a.origin.state, here.origin.state,
        "another backend, another key"
    );
    let held = s
        .allocate(&a, &spec(&pool, AllocationRequest::Netmask(24), None))
        .unwrap()
        .id;
    std::fs::write(dir.path().join("A.tfstate"), state_of(&[&held])).unwrap();
    // terraform.tfstate (the default local state) does not hold it, A.tfstate does.
    std::fs::write(dir.path().join("terraform.tfstate"), state_of(&[])).unwrap();
    let o = run(dir.path(), &["release", &held]);
    assert_eq!(o.code, 4, "{}", o.stdout);
    assert!(o.stderr.contains("A.tfstate"), "{}", o.stderr);
    // Re-initialised elsewhere: the state cannot be found, so it refuses.
    std::fs::write(
        dir.path().join(".terraform/terraform.tfstate"),
        r#"{"version":3,"backend":{"type":"local","config":{"path":"B.tfstate"}}}"#,
    )
    .unwrap();
    let o = run(dir.path(), &["release", &held]);
    assert_eq!(o.code, 4, "{}", o.stdout);
    assert!(o.stderr.contains("--state FILE"), "{}", o.stderr);
    assert!(s.get_allocation(&held).unwrap().is_some());
}
