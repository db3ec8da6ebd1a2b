//! The commands a person runs with the provider's binary: a look at a database, and the
//! repairs an interrupted apply or a damaged index need. One file per command; this one
//! dispatches, and shares flag parsing ([`args`]), output ([`output`]) and opening the store.

mod allocations;
pub mod args;
mod audit;
mod check;
mod discover;
mod migrate;
mod orphans;
pub mod output;
mod release;
mod serve;
pub mod state;
mod verify;

use crate::engine::Cidr;
use crate::store::{Actor, Store};
use args::{Args, Flag};
use ipam_db::Location;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// One command: its name, what it does, its flags, and how to run it.
pub struct Command {
    pub name: &'static str,
    /// One line for the overview.
    pub summary: &'static str,
    /// The synopsis after the name, e.g. `[--pool ID]`.
    pub synopsis: &'static str,
    /// Paragraphs for `--help` after the summary.
    pub details: &'static str,
    pub flags: &'static [Flag],
    /// Whether bare words (ids) are accepted.
    pub positional: bool,
    /// Whether it takes `--json` (every command that prints a result does; `serve` does not).
    pub json: bool,
    /// What exit code 1 means for this command (something found), or "" when it never
    /// exits 1; every other code means the same for every command ([`EXIT_CODES`]).
    pub found: &'static str,
    pub run: fn(&Args, &mut dyn Write) -> Result<ExitCode, Error>,
}

/// Every command, in the order the overview lists them.
pub const COMMANDS: &[&Command] = &[
    &allocations::COMMAND,
    &audit::COMMAND,
    &release::COMMAND,
    &orphans::COMMAND,
    &verify::COMMAND,
    &discover::COMMAND,
    &serve::COMMAND,
    &check::COMMAND,
    &migrate::COMMAND,
];

/// The exit codes every command shares, for scripts: the README's "Exit codes" table and
/// every `--help` print this list. 1 is an answer (something found), so a command that cannot
/// answer never exits 1, and a job that alarms is told apart from one that is broken.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "done: nothing to report"),
    (1, "something found (what, each command's --help says)"),
    (2, "bad input: an unknown command or flag, a bad value, a database or state file that does not exist, an id the database does not hold"),
    (3, "cannot work: the database is unreachable, busy, read-only or of a newer schema, a discovery source cannot be read, serve cannot listen"),
    (4, "refused, nothing changed: release of what a state holds, orphans --release against another directory's state, migrate into a database that is not empty"),
    (5, "repaired: verify --repair or orphans --release mended everything it found"),
];

/// [`EXIT_CODES`] by name.
pub mod exit {
    pub const FOUND: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const CANNOT_WORK: u8 = 3;
    pub const REFUSED: u8 = 4;
    pub const REPAIRED: u8 = 5;
}

/// Why a command stopped without an answer; each maps to one of [`EXIT_CODES`].
#[derive(Debug)]
pub enum Error {
    /// The command line is wrong: exit 2, pointing at `--help`.
    Usage(String),
    /// An input the command line names is not there or not usable (the database, a state
    /// file, an id): exit 2.
    Input(String),
    /// The command could not do its work (the database, the system): exit 3.
    Failed(String),
    /// The command declined a change that would not be safe, and changed nothing: exit 4.
    Refused(String),
    Io(std::io::Error),
}

impl Command {
    /// Its own flags, then `--json` where it takes it (the parser adds [`args::COMMON`]).
    fn flags(&self) -> Vec<Flag> {
        let json = self.json.then_some(args::JSON);
        self.flags.iter().copied().chain(json).collect()
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// What the database says, sorted by whose move it is: an id it does not hold is the
/// caller's input, a refusal of the data is a refusal, everything else (unreachable, busy,
/// read-only, a newer schema, SQL) keeps the command from working.
impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        use crate::store::Error as S;
        use ipam_db::Error as Db;
        if let Some(advice) = crate::provider::errors::database_advice(&e) {
            return Error::Failed(advice);
        }
        match e {
            S::NotFound { .. } => Error::Input(e.to_string()),
            S::NotIpam { .. } => Error::Input(format!(
                "{e}: run terraform apply or `terraform-provider-ipam migrate` first"
            )),
            // A file that is not SQLite at all is the wrong --database, not a broken one.
            S::Db(Db::NotADatabase { ref path }) => {
                Error::Input(format!("{path} is not an IPAM database ({e})"))
            }
            S::Db(Db::Sql { ref code, .. }) if code == "NotADatabase" => {
                Error::Input(e.to_string())
            }
            S::Blocked { ref fact, remedy } => Error::Refused(format!(
                "{fact}; {}",
                crate::provider::errors::remedy(remedy)
            )),
            S::Invalid {
                ref message,
                remedy: Some(r),
                ..
            } => Error::Refused(format!("{message}; {}", crate::provider::errors::remedy(r))),
            S::DamagedIndex(_) => Error::Failed(format!(
                "{e}; {}",
                crate::provider::errors::remedy(crate::store::Remedy::RepairIndex)
            )),
            S::NotAuthorized(ref r) => Error::Refused(crate::provider::errors::advice(r)),
            S::Refused(_)
            | S::Engine(_)
            | S::NameTaken { .. }
            | S::Invalid { .. }
            | S::SourceMismatch { .. }
            | S::WrongLocale { .. } => Error::Refused(e.to_string()),
            _ => Error::Failed(e.to_string()),
        }
    }
}

fn overview() -> String {
    let mut s = String::from(
        "terraform-provider-ipam: a Terraform provider (run by Terraform), and a small CLI.\n\nUsage:\n",
    );
    for c in COMMANDS {
        s.push_str(&format!(
            "  terraform-provider-ipam {:<12} {}\n",
            c.name, c.summary
        ));
    }
    s.push_str("  terraform-provider-ipam --version\n  terraform-provider-ipam --debug         serve for TF_REATTACH_PROVIDERS\n\n");
    s.push_str("Every command takes --database PATH (default: IPAM_DATABASE, else ipam.db) and --help,\nand those that print a result --json; `terraform-provider-ipam COMMAND --help` describes one.\nNo command creates a database: one that does not exist is bad input (exit 2).\n");
    s.push_str(&exit_codes(None));
    s
}

/// The exit code table, with `found` as the meaning of 1 for one command ("" when it never
/// exits 1).
fn exit_codes(found: Option<&str>) -> String {
    let mut s = String::from("\nExit codes:\n");
    for (code, meaning) in EXIT_CODES {
        let meaning = match (code, found) {
            (1, Some("")) => "(not used by this command)",
            (1, Some(f)) => f,
            _ => meaning,
        };
        s.push_str(&format!("  {code}  {meaning}\n"));
    }
    s
}

fn help(c: &Command) -> String {
    let mut s = format!(
        "Usage: terraform-provider-ipam {} {}\n\n{}\n",
        c.name, c.synopsis, c.summary
    );
    if !c.details.is_empty() {
        s.push('\n');
        s.push_str(c.details);
        s.push('\n');
    }
    s.push_str("\nFlags:\n");
    for f in c.flags().iter().chain(args::COMMON) {
        let name = match f.value {
            Some(v) => format!("{} {v}", f.name),
            None => f.name.to_string(),
        };
        s.push_str(&format!("  {name:<20} {}\n", f.help));
    }
    s.push_str(&exit_codes(Some(c.found)));
    s
}

/// Runs a CLI command; `None` when the arguments are not one (the binary then serves
/// Terraform).
pub fn run(args: &[String]) -> Option<ExitCode> {
    let first = args.first().map(String::as_str)?;
    let code = match first {
        "--version" | "version" => {
            println!("terraform-provider-ipam {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        "help" | "--help" | "-h" => match args.get(1).and_then(|n| find(n)) {
            Some(c) => print_stdout(&help(c)),
            None => print_stdout(&overview()),
        },
        name => match find(name) {
            Some(c) => run_command(c, &args[1..]),
            // A word that is not a command nor a flag Terraform passes: say so.
            None if !name.starts_with('-') => {
                eprintln!("error: unknown command {name:?}\n\n{}", overview());
                ExitCode::from(2)
            }
            None => return None,
        },
    };
    Some(code)
}

fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().copied().find(|c| c.name == name)
}

fn print_stdout(text: &str) -> ExitCode {
    let _ = writeln!(std::io::stdout().lock(), "{}", text.trim_end());
    ExitCode::SUCCESS
}

fn run_command(c: &Command, argv: &[String]) -> ExitCode {
    let parsed = match Args::parse(argv, &c.flags(), c.positional) {
        Ok(a) => a,
        Err(e) => return usage_error(c, &e),
    };
    if parsed.has("--help") {
        return print_stdout(&help(c));
    }
    let mut out = std::io::stdout().lock();
    match (c.run)(&parsed, &mut out) {
        Ok(code) => code,
        Err(Error::Usage(e)) => usage_error(c, &e),
        // A reader that stops early (`| head`) is not an error.
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Error::Input(e)) => failure(&e, exit::BAD_INPUT),
        Err(Error::Failed(e)) => failure(&e, exit::CANNOT_WORK),
        Err(Error::Refused(e)) => failure(&e, exit::REFUSED),
        Err(Error::Io(e)) => failure(&e.to_string(), exit::CANNOT_WORK),
    }
}

fn usage_error(c: &Command, e: &str) -> ExitCode {
    let e = crate::text::escape_lines(e);
    eprintln!(
        "error: {e}\nUsage: terraform-provider-ipam {} {}\nRun `terraform-provider-ipam {} --help` for more.",
        c.name, c.synopsis, c.name
    );
    ExitCode::from(2)
}

/// The message may quote stored text (a description, a source's VPC id): shown escaped.
fn failure(e: &str, code: u8) -> ExitCode {
    eprintln!("error: {}", crate::text::escape_lines(e));
    ExitCode::from(code)
}

/// The existing database `--database` (else the default) names: a file path, or a
/// `postgres://` URL. A command never creates one: a path with no file, or an empty file
/// (which SQLite would silently make a new database of), is bad input.
fn database(args: &Args) -> Result<Location, Error> {
    let location = crate::defaults::database(args.get("--database").map(String::from));
    let Location::Sqlite(path) = &location else {
        return Ok(location);
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => Ok(location),
        Ok(m) if m.is_file() => Err(Error::Input(format!(
            "{} is an empty file, not a database (set --database or IPAM_DATABASE)",
            path.display()
        ))),
        Ok(_) => Err(Error::Input(format!(
            "{} is not a database file (set --database or IPAM_DATABASE)",
            path.display()
        ))),
        Err(_) => Err(Error::Input(format!(
            "no database at {} (set --database or IPAM_DATABASE)",
            path.display()
        ))),
    }
}

fn provided_ipv6() -> Result<Cidr, Error> {
    Cidr::parse(crate::defaults::PROVIDED_IPV6).map_err(|e| Error::Failed(e.to_string()))
}

/// Opens an existing database for a command that may change it (migrating an older one).
pub(crate) fn open(args: &Args) -> Result<Store, Error> {
    let location = database(args)?;
    Ok(Store::open_at(
        &location,
        provided_ipv6()?,
        Duration::from_secs(crate::defaults::LOCK_TIMEOUT_SECS.unsigned_abs()),
    )?)
}

/// Opens an existing database without write access, for the commands that only look
/// (`serve`, `check`): looking can never change what Terraform relies on. Also returns the
/// name, as the dashboard shows it (a URL without its password).
pub(crate) fn open_read_only(args: &Args) -> Result<(Store, String), Error> {
    let location = database(args)?;
    let store = Store::open_read_only_at(&location, provided_ipv6()?)?;
    Ok((store, location.display()))
}

/// The person running the command, as the audit log records them.
pub(crate) fn actor() -> Actor {
    Actor::new(crate::defaults::account_id(), crate::defaults::region())
}
