//! Flag parsing shared by every command: `--flag VALUE`, `--flag=VALUE`, switches, repeated
//! flags and positional arguments, with errors that name the flag or value at fault.

use std::collections::HashMap;

/// A flag a command accepts.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub name: &'static str,
    /// The value's placeholder in help (`PATH`, `N`); `None` for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
}

impl Flag {
    pub const fn value(name: &'static str, value: &'static str, help: &'static str) -> Flag {
        Flag {
            name,
            value: Some(value),
            help,
        }
    }

    pub const fn switch(name: &'static str, help: &'static str) -> Flag {
        Flag {
            name,
            value: None,
            help,
        }
    }
}

/// Flags every command takes.
pub const COMMON: &[Flag] = &[
    Flag::value(
        "--database",
        "PATH",
        "the database (default: IPAM_DATABASE, else ipam.db)",
    ),
    Flag::switch("--help", "print this help"),
];

/// `--json`, which every command that prints a result takes.
pub const JSON: Flag = Flag::switch("--json", "print JSON for machines instead of tables");

/// The parsed command line of one command.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<&'static str, Vec<String>>,
    pub positional: Vec<String>,
}

impl Args {
    /// Parses `args` against `flags` (plus [`COMMON`]); `positional` says whether bare words
    /// are accepted. The error names the flag or word it cannot use.
    pub fn parse(args: &[String], flags: &[Flag], positional: bool) -> Result<Args, String> {
        let mut out = Args::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "-h" {
                out.values.entry("--help").or_default().push(String::new());
                continue;
            }
            if !arg.starts_with("--") || arg == "--" {
                if positional && arg != "--" {
                    out.positional.push(arg.clone());
                    continue;
                }
                return Err(format!("unexpected argument {arg:?}"));
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let Some(flag) = flags.iter().chain(COMMON).find(|f| f.name == name) else {
                return Err(format!("unknown flag {name}"));
            };
            let value = match (flag.value, inline) {
                (None, None) => String::new(),
                (None, Some(_)) => return Err(format!("{name} takes no value")),
                (Some(_), Some(v)) => v,
                (Some(placeholder), None) => match it.next() {
                    Some(v) if !v.starts_with("--") => v.clone(),
                    _ => return Err(format!("{name} needs a value ({placeholder})")),
                },
            };
            out.values.entry(flag.name).or_default().push(value);
        }
        Ok(out)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value given for a repeatable flag.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// `name`'s value as a number, the error naming flag and value.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name}: {v:?} is not a whole number"))
            })
            .transpose()
    }

    pub fn json(&self) -> bool {
        self.has("--json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Args, String> {
        let args: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        Args::parse(
            &args,
            &[
                Flag::value("--limit", "N", ""),
                Flag::switch("--release", ""),
            ],
            true,
        )
    }

    #[test]
    fn values_switches_and_words() {
        let a = parse(&["--limit=5", "x", "--release", "--database", "d.db", "y"]).unwrap();
        assert_eq!(a.number::<u32>("--limit"), Ok(Some(5)));
        assert!(a.has("--release"));
        assert_eq!(a.get("--database"), Some("d.db"));
        assert_eq!(a.positional, ["x", "y"]);
    }

    #[test]
    fn errors_name_the_flag_and_value() {
        assert_eq!(parse(&["--lmit", "5"]).unwrap_err(), "unknown flag --lmit");
        assert_eq!(
            parse(&["--limit"]).unwrap_err(),
            "--limit needs a value (N)"
        );
        assert_eq!(
            parse(&["--release=yes"]).unwrap_err(),
            "--release takes no value"
        );
        let a = parse(&["--limit", "ten"]).unwrap();
        assert_eq!(
            a.number::<u32>("--limit").unwrap_err(),
            "--limit: \"ten\" is not a whole number"
        );
    }
}
