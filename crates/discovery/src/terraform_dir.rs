//! Where a Terraform working directory keeps its state: the workspace selected there, the
//! backend `terraform init` recorded, and for a local backend the files it writes. The IPAM
//! records a key of that state on every allocation (the core's `Origin`), so the blocks a
//! killed `terraform apply` leaves behind can be found again by comparing one state's
//! allocations with that state.
//!
//! The directory and workspace alone do not name a state: one directory can be initialised
//! against several backends in turn (`terraform init -reconfigure -backend-config=path=B`),
//! and CI runners check out different configurations to the same path. So the key is of the
//! backend: its type and the fields that say where the state lives, hashed. Credentials never
//! enter it (they do not say where, and a hash of a short secret can be guessed back).

use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

/// What Terraform running in a directory uses, with this process's environment
/// (`TF_WORKSPACE`, `TF_DATA_DIR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingDir {
    /// The directory, made absolute when it exists.
    pub dir: PathBuf,
    /// The selected workspace (`default` unless `terraform workspace select` chose another).
    pub workspace: String,
    /// The state's backend: `TYPE:HASH` ([`state_key`]).
    pub state_key: String,
}

/// The working directory `dir` as Terraform running there sees it.
pub fn inspect(dir: &Path) -> WorkingDir {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    WorkingDir {
        workspace: workspace(&dir),
        state_key: state_key(&dir),
        dir,
    }
}

/// Terraform's data directory for `dir`: `TF_DATA_DIR` (relative to `dir`) or `.terraform`.
fn data_dir(dir: &Path) -> PathBuf {
    let data = std::env::var_os("TF_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".terraform"));
    dir.join(data)
}

/// The workspace Terraform uses in `dir`: `TF_WORKSPACE` when set, else the name `terraform
/// workspace select` wrote into the data directory, else `default`.
pub fn workspace(dir: &Path) -> String {
    if let Some(w) = std::env::var("TF_WORKSPACE").ok().filter(|w| !w.is_empty()) {
        return w;
    }
    std::fs::read_to_string(data_dir(dir).join("environment"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// The key of the state Terraform in `dir` writes: the backend `terraform init` recorded in
/// the data directory (`terraform.tfstate` there holds its type and configuration, including
/// `-backend-config` values), or the local default when there is none.
pub fn state_key(dir: &Path) -> String {
    let (kind, config) = recorded_backend(dir);
    if kind == "local" {
        let (path, workspace_dir) = local_fields(&config);
        local_state_key(dir, path, workspace_dir)
    } else {
        backend_key(&kind, &config)
    }
}

/// The backend type and configuration `terraform init` recorded for `dir` (`local` and no
/// fields when there is none).
fn recorded_backend(dir: &Path) -> (String, serde_json::Map<String, serde_json::Value>) {
    let recorded = std::fs::read(data_dir(dir).join("terraform.tfstate"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let backend = recorded.as_ref().and_then(|v| v.get("backend"));
    let kind = backend
        .and_then(|b| b.get("type"))
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or("local");
    let config = backend
        .and_then(|b| b.get("config"))
        .and_then(|c| c.as_object())
        .cloned()
        .unwrap_or_default();
    (kind.to_string(), config)
}

fn local_fields(
    config: &serde_json::Map<String, serde_json::Value>,
) -> (Option<&str>, Option<&str>) {
    (
        config.get("path").and_then(|p| p.as_str()),
        config.get("workspace_dir").and_then(|p| p.as_str()),
    )
}

/// The local state file in `dir` whose key is `key`, for `workspace`: the default local
/// state, or the local backend `dir` is initialised with now; `None` when neither has that
/// key (another backend, or a local one since re-initialised elsewhere).
pub fn local_state_file(dir: &Path, key: &str, workspace: &str) -> Option<PathBuf> {
    let (kind, config) = recorded_backend(dir);
    let mut candidates = vec![(None, None)];
    if kind == "local" {
        candidates.push(local_fields(&config));
    }
    let (path, ws_dir) = candidates
        .into_iter()
        .find(|(path, ws_dir)| local_state_key(dir, *path, *ws_dir) == key)?;
    let pick = |p: Option<&str>, default: &'static str| {
        dir.join(p.filter(|p| !p.is_empty()).unwrap_or(default))
    };
    Some(if workspace == "default" {
        pick(path, "terraform.tfstate")
    } else {
        pick(ws_dir, "terraform.tfstate.d")
            .join(workspace)
            .join("terraform.tfstate")
    })
}

/// The key of a local backend in `dir` writing `path` (default `terraform.tfstate`) and other
/// workspaces under `workspace_dir` (default `terraform.tfstate.d`), both relative to `dir`.
pub fn local_state_key(dir: &Path, path: Option<&str>, workspace_dir: Option<&str>) -> String {
    let resolve = |p: Option<&str>, default: &str| {
        let p = p.filter(|p| !p.is_empty()).unwrap_or(default);
        normalize(&dir.join(p)).display().to_string()
    };
    hash(
        "local",
        &[
            ("path", resolve(path, "terraform.tfstate")),
            (
                "workspace_dir",
                resolve(workspace_dir, "terraform.tfstate.d"),
            ),
        ],
    )
}

/// The fields of each known backend that say where its state lives. Any other backend keeps
/// every field whose name does not look like a secret ([`secret`]).
fn location_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "s3" => &[
            "bucket",
            "key",
            "region",
            "workspace_key_prefix",
            "endpoint",
        ],
        "gcs" => &["bucket", "prefix"],
        "azurerm" => &[
            "storage_account_name",
            "container_name",
            "key",
            "resource_group_name",
            "environment",
        ],
        "remote" | "cloud" => &["hostname", "organization", "workspaces"],
        "http" => &["address"],
        "consul" => &["address", "path", "datacenter"],
        "kubernetes" => &["secret_suffix", "namespace"],
        "oss" | "cos" => &["bucket", "prefix", "key", "region"],
        // A connection string may carry a password: only its host, port and database count.
        "pg" => &["conn_str", "schema_name"],
        _ => return None,
    })
}

/// Whether a configuration field's name suggests a credential.
fn secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "credential",
        "access_key",
        "sas",
        "private",
        "cert",
        "auth",
        "session",
        "assume_role",
        "role_arn",
        "profile",
        "shared_",
        "headers",
        "key_id",
        "client_id",
        "msi",
        "oidc",
        "use_",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// `postgres://user:password@host:5432/db?sslmode=…&password=…` → `host:5432/db`.
fn conn_location(conn: &str) -> String {
    let rest = conn.split_once("://").map_or(conn, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('?').next().unwrap_or(rest).to_string()
}

fn backend_key(kind: &str, config: &serde_json::Map<String, serde_json::Value>) -> String {
    let value = |name: &str, v: &serde_json::Value| match (name, v) {
        ("conn_str", serde_json::Value::String(s)) => conn_location(s),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    };
    let mut fields: Vec<(&str, String)> = match location_fields(kind) {
        Some(names) => names
            .iter()
            .filter_map(|n| {
                config
                    .get(*n)
                    .filter(|v| !v.is_null())
                    .map(|v| (*n, value(n, v)))
            })
            .collect(),
        None => config
            .iter()
            .filter(|(n, v)| !v.is_null() && !secret(n))
            .map(|(n, v)| (n.as_str(), value(n, v)))
            .collect(),
    };
    fields.sort();
    hash(kind, &fields)
}

/// `KIND:` and 32 hex digits of SHA-256 over the kind and the sorted fields.
fn hash(kind: &str, fields: &[(&str, String)]) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for (name, value) in fields {
        h.update([0u8]);
        h.update(name.as_bytes());
        h.update([b'=']);
        h.update(value.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}:{hex}")
}

/// `a/./b/../c` → `a/c`, without touching the file system (the state may not exist yet).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean_env() -> bool {
        std::env::var_os("TF_WORKSPACE").is_none() && std::env::var_os("TF_DATA_DIR").is_none()
    }

    #[test]
    fn the_workspace_is_the_one_selected_in_the_directory() {
        if !clean_env() {
            return; // the environment decides; nothing to check here
        }
        let dir = tempfile::tempdir().unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        let w = inspect(dir.path());
        assert_eq!(w.dir, canonical);
        assert_eq!(w.workspace, "default");
        std::fs::create_dir(dir.path().join(".terraform")).unwrap();
        std::fs::write(dir.path().join(".terraform/environment"), "staging\n").unwrap();
        assert_eq!(inspect(dir.path()).workspace, "staging");
    }

    fn init(dir: &Path, backend: serde_json::Value) {
        std::fs::create_dir_all(dir.join(".terraform")).unwrap();
        let recorded =
            serde_json::json!({"version": 3, "terraform_version": "1.15.5", "backend": backend});
        std::fs::write(
            dir.join(".terraform/terraform.tfstate"),
            recorded.to_string(),
        )
        .unwrap();
    }

    #[test]
    fn two_local_backends_of_one_directory_are_two_states() {
        if !clean_env() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let dir = std::fs::canonicalize(dir.path()).unwrap();
        // No backend block: the local default, the same as an explicit default local backend.
        let none = inspect(&dir).state_key;
        assert!(none.starts_with("local:"), "{none}");
        init(
            &dir,
            serde_json::json!({"type": "local", "config": {"path": null, "workspace_dir": null}, "hash": 1}),
        );
        assert_eq!(inspect(&dir).state_key, none);
        init(
            &dir,
            serde_json::json!({"type": "local", "config": {"path": "./terraform.tfstate"}}),
        );
        assert_eq!(inspect(&dir).state_key, none);
        init(
            &dir,
            serde_json::json!({"type": "local", "config": {"path": "A.tfstate", "workspace_dir": null}}),
        );
        let a = inspect(&dir).state_key;
        init(
            &dir,
            serde_json::json!({"type": "local", "config": {"path": "B.tfstate", "workspace_dir": null}}),
        );
        let b = inspect(&dir).state_key;
        assert_ne!(a, b);
        assert_ne!(a, none);
        // The same file named absolutely is the same state.
        let abs = dir.join("B.tfstate").display().to_string();
        init(
            &dir,
            serde_json::json!({"type": "local", "config": {"path": abs}}),
        );
        assert_eq!(inspect(&dir).state_key, b);
        assert_eq!(local_state_key(&dir, Some("B.tfstate"), None), b);
    }

    #[test]
    fn a_remote_backend_is_keyed_by_where_not_by_credentials() {
        let config = |extra: serde_json::Value| {
            let mut c =
                serde_json::json!({"bucket": "tf", "key": "team/a.tfstate", "region": "eu-west-1"});
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            c.as_object().unwrap().clone()
        };
        let plain = backend_key("s3", &config(serde_json::json!({})));
        let with_secret = backend_key(
            "s3",
            &config(
                serde_json::json!({"access_key": "AKIA1", "secret_key": "s3cr3t", "token": "t"}),
            ),
        );
        assert_eq!(plain, with_secret);
        assert!(plain.starts_with("s3:") && plain.len() == 3 + 32, "{plain}");
        let other_key = backend_key("s3", &config(serde_json::json!({"key": "team/b.tfstate"})));
        assert_ne!(plain, other_key);
        // pg: the password in the user part or the query string does not count.
        let pg = |c: &str| {
            backend_key(
                "pg",
                serde_json::json!({"conn_str": c}).as_object().unwrap(),
            )
        };
        assert_eq!(
            pg("postgres://u:one@db:5432/tf?sslmode=require&password=x"),
            pg("postgres://v:two@db:5432/tf")
        );
        assert_ne!(pg("postgres://db/tf"), pg("postgres://db/other"));
        // An unknown backend: every field but those that look like secrets.
        let unknown = |c: serde_json::Value| backend_key("custom", c.as_object().unwrap());
        assert_eq!(
            unknown(serde_json::json!({"where": "x", "api_token": "1"})),
            unknown(serde_json::json!({"where": "x", "api_token": "2"}))
        );
        assert_ne!(
            unknown(serde_json::json!({"where": "x"})),
            unknown(serde_json::json!({"where": "y"}))
        );
    }
}
