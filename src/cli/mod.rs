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
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// The exit code when it cannot do its work: 1, except where 1 is an answer (`check`: a
    /// pool is above the threshold), so that a broken check never reads as an alarm or as ok.
    pub failure: u8,
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

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// The command line is wrong: exit 2, pointing at `--help`.
    Usage(String),
    /// The command could not do its work: exit 1.
    Failed(String),
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

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        Error::Failed(e.to_string())
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
    s.push_str("Every command takes --database PATH (default: IPAM_DATABASE, else ipam.db) and --help,\nand those that print a result --json; `terraform-provider-ipam COMMAND --help` describes one.");
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
        Err(Error::Failed(e)) => failure(c, &e),
        Err(Error::Io(e)) => failure(c, &e.to_string()),
    }
}

fn usage_error(c: &Command, e: &str) -> ExitCode {
    eprintln!(
        "error: {e}\nUsage: terraform-provider-ipam {} {}\nRun `terraform-provider-ipam {} --help` for more.",
        c.name, c.synopsis, c.name
    );
    ExitCode::from(2)
}

fn failure(c: &Command, e: &str) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(c.failure)
}

/// The existing database `--database` (else the default) names: a file path, or a
/// `postgres://` URL; a CLI that looks must not create an empty one by mistake.
fn database(args: &Args) -> Result<PathBuf, Error> {
    let path = crate::defaults::database_path(args.get("--database").map(String::from));
    if !path.exists() && !path.to_str().is_some_and(crate::store::pg::is_url) {
        return Err(Error::Failed(format!(
            "no database at {} (set --database or IPAM_DATABASE)",
            path.display()
        )));
    }
    Ok(path)
}

fn provided_ipv6() -> Result<Cidr, Error> {
    Cidr::parse(crate::defaults::PROVIDED_IPV6).map_err(|e| Error::Failed(e.to_string()))
}

/// Opens an existing database for a command that may change it (migrating an older one).
pub(crate) fn open(args: &Args) -> Result<Store, Error> {
    let path = database(args)?;
    Ok(Store::open(&path, provided_ipv6()?)?)
}

/// Opens an existing database without write access, for the commands that only look
/// (`serve`, `check`): looking can never change what Terraform relies on. Also returns the
/// name, as the dashboard shows it (a URL without its password).
pub(crate) fn open_read_only(args: &Args) -> Result<(Store, String), Error> {
    let path = database(args)?;
    match path.to_str().filter(|p| crate::store::pg::is_url(p)) {
        Some(url) => {
            let store = Store::open_database_read_only(url, provided_ipv6()?)?;
            Ok((store, crate::store::pg::redact(url)))
        }
        None => {
            let store = Store::open_read_only(&path, provided_ipv6()?)?;
            Ok((store, path.display().to_string()))
        }
    }
}

/// The person running the command, as the audit log records them.
pub(crate) fn actor() -> Actor {
    Actor::new(crate::defaults::account_id(), crate::defaults::region())
}
