//! Where a request comes from: the directory Terraform ran in and its workspace. Every
//! allocation records it, so the blocks a killed `terraform apply` leaves behind can be found
//! again (`terraform-provider-ipam orphans`) by comparing one directory's allocations with the
//! state that directory keeps.

use std::path::{Path, PathBuf};

/// A Terraform working directory and workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Absolute path: Terraform starts providers in its working directory (also with `-chdir`).
    pub dir: String,
    /// The selected workspace (`default` unless `terraform workspace select` chose another).
    pub workspace: String,
}

impl Origin {
    /// The origin of this process: its current directory and the workspace selected there.
    pub fn current() -> Origin {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Origin::of_dir(&dir)
    }

    /// The origin of requests made by Terraform running in `dir`, with this process's
    /// environment (`TF_WORKSPACE`, `TF_DATA_DIR`).
    pub fn of_dir(dir: &Path) -> Origin {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        Origin {
            workspace: workspace(&dir),
            dir: dir.display().to_string(),
        }
    }
}

/// The workspace Terraform uses in `dir`: `TF_WORKSPACE` when set, else the name `terraform
/// workspace select` wrote into the data directory, else `default`.
fn workspace(dir: &Path) -> String {
    if let Some(w) = std::env::var("TF_WORKSPACE").ok().filter(|w| !w.is_empty()) {
        return w;
    }
    let data = std::env::var_os("TF_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".terraform"));
    std::fs::read_to_string(dir.join(data).join("environment"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_the_one_selected_in_the_directory() {
        if std::env::var_os("TF_WORKSPACE").is_some() || std::env::var_os("TF_DATA_DIR").is_some() {
            return; // the environment decides; nothing to check here
        }
        let dir = tempfile::tempdir().unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        let o = Origin::of_dir(dir.path());
        assert_eq!(o.dir, canonical.display().to_string());
        assert_eq!(o.workspace, "default");
        std::fs::create_dir(dir.path().join(".terraform")).unwrap();
        std::fs::write(dir.path().join(".terraform/environment"), "staging\n").unwrap();
        assert_eq!(Origin::of_dir(dir.path()).workspace, "staging");
    }
}
