//! Where a request comes from: the directory Terraform ran in, its workspace, and a key of
//! the state it keeps (the backend). Every allocation records it, so the blocks a killed
//! `terraform apply` leaves behind can be found again (`terraform-provider-ipam orphans`) by
//! comparing one state's allocations with that state. How a Terraform working directory
//! names its workspace and state is read by [`ipam_discovery::terraform_dir`]; this is the
//! record the store keeps.

use ipam_discovery::terraform_dir;
use std::path::{Path, PathBuf};

/// A Terraform working directory, workspace and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Absolute path: Terraform starts providers in its working directory (also with `-chdir`).
    pub dir: String,
    /// The selected workspace (`default` unless `terraform workspace select` chose another).
    pub workspace: String,
    /// The state's backend: `TYPE:HASH` ([`terraform_dir::state_key`]). `None` for allocations recorded
    /// before states were told apart: which state holds those cannot be known.
    pub state: Option<String>,
}

impl Origin {
    /// The origin of this process: its current directory, the workspace selected there and
    /// the backend initialised there.
    pub fn current() -> Origin {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Origin::of_dir(&dir)
    }

    /// The origin of requests made by Terraform running in `dir`, with this process's
    /// environment (`TF_WORKSPACE`, `TF_DATA_DIR`).
    pub fn of_dir(dir: &Path) -> Origin {
        let w = terraform_dir::inspect(dir);
        Origin {
            dir: w.dir.display().to_string(),
            workspace: w.workspace,
            state: Some(w.state_key),
        }
    }

    /// The state's key for people: the backend type and the first digits of the hash.
    pub fn state_label(&self) -> String {
        match &self.state {
            Some(k) => match k.split_once(':') {
                // By characters: a key read back from an old database need not be hex.
                Some((kind, hash)) => {
                    format!("{kind}:{}", hash.chars().take(12).collect::<String>())
                }
                None => k.clone(),
            },
            None => "unrecorded".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_shortens_the_key_and_says_when_there_is_none() {
        let o = |state: Option<&str>| Origin {
            dir: "/d".into(),
            workspace: "default".into(),
            state: state.map(String::from),
        };
        assert_eq!(
            o(Some("s3:0123456789abcdef0123456789abcdef")).state_label(),
            "s3:0123456789ab"
        );
        assert_eq!(o(Some("odd")).state_label(), "odd");
        assert_eq!(o(None).state_label(), "unrecorded");
        assert_eq!(o(Some("x:ééééééééééééé")).state_label(), "x:éééééééééééé");
    }
}
