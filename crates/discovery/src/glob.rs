//! Source paths with wildcards: `*` and `?` within one path component, `**` for any number of
//! directories. Enough for `states/*.tfstate` or `envs/**/terraform.tfstate`, without a crate.

use std::path::{Component, Path, PathBuf};

/// Whether `path` has a wildcard to expand.
pub fn is_pattern(path: &str) -> bool {
    path.contains(['*', '?'])
}

/// Whether `name` matches the wildcard pattern `pat`: `*` is any run of characters (also
/// none), `?` exactly one, and nothing else is special. A file name against one component of a
/// source path, and the value of an object against an AWS-style `filter` value (the
/// provider's data sources), mean the same by them.
pub fn matches(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The files `pattern` names, relative to `base` unless absolute, in path order. A path with
/// no wildcard is returned as is (its reader reports it when it is missing). Hidden entries
/// match only a pattern that starts with a dot, as in a shell.
pub fn expand(pattern: &str, base: &Path) -> Vec<PathBuf> {
    let full = base.join(pattern);
    if !is_pattern(pattern) {
        return vec![full];
    }
    let mut current = vec![PathBuf::new()];
    for comp in full.components() {
        let part = match comp {
            Component::Normal(s) => s.to_string_lossy().into_owned(),
            other => {
                for c in &mut current {
                    c.push(other.as_os_str());
                }
                continue;
            }
        };
        let mut next = Vec::new();
        for dir in &current {
            if part == "**" {
                walk_dirs(dir, &mut next);
            } else if is_pattern(&part) {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if (part.starts_with('.') || !name.starts_with('.')) && matches(&part, &name) {
                        next.push(dir.join(name));
                    }
                }
            } else {
                next.push(dir.join(&part));
            }
        }
        current = next;
    }
    // Everything that is not a directory: a FIFO or a device a pattern matches is named by the
    // reader, which refuses it, rather than skipped without a word.
    let mut files: Vec<PathBuf> = current
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))
        .collect();
    files.sort();
    files.dedup();
    files
}

/// `dir` and every directory below it (not following hidden ones).
fn walk_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let hidden = e.file_name().to_string_lossy().starts_with('.');
        if !hidden && e.file_type().is_ok_and(|t| t.is_dir()) {
            walk_dirs(&e.path(), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_within_a_component() {
        assert!(matches("*.tfstate", "prod.tfstate"));
        assert!(matches("vpc-?.json", "vpc-1.json"));
        assert!(matches("*", "x"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("*.tfstate", "prod.tfstate.backup"));
        assert!(!matches("vpc-?.json", "vpc-10.json"));
    }

    #[test]
    fn wildcards_match_filter_values_as_aws_does() {
        assert!(matches("*test*", "a test pool"));
        assert!(matches("ipv4", "ipv4"));
        assert!(!matches("ipv4", "ipv6"));
        assert!(matches("10.*", "10.0.0.0/16"));
        assert!(matches("us-east-?", "us-east-1"));
        assert!(!matches("us-east-?", "us-east-10"));
        assert!(matches("*", ""));
        assert!(!matches("a*b", "acd"));
        assert!(matches("a?c", "aéc"), "? is one character, not one byte");
    }

    #[test]
    fn expands_files_in_order_and_through_directories() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "b.tfstate",
            "a.tfstate",
            "c.json",
            "env/x/terraform.tfstate",
            ".hidden.tfstate",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.strip_prefix(d.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(
            names(expand("*.tfstate", d.path())),
            ["a.tfstate", "b.tfstate"]
        );
        assert_eq!(
            names(expand("**/*.tfstate", d.path())),
            ["a.tfstate", "b.tfstate", "env/x/terraform.tfstate"]
        );
        assert!(expand("none-*.json", d.path()).is_empty());
        assert_eq!(names(expand("missing.json", d.path())), ["missing.json"]);
    }
}
