//! Reading the Terraform state given to `orphans --state` and `release`: the ids it holds
//! ([`crate::discovery::state::ids`], which walks both forms Terraform writes), with the
//! errors worded for a person at a terminal.

pub use crate::discovery::state::StateIds;
use crate::discovery::state::{self, StateError};

/// What to do with a state file a killed Terraform left empty or cut short.
const CUT_SHORT: &str = "Terraform rewrites terraform.tfstate after every resource, so a kill can leave it empty or cut short: restore terraform.tfstate.backup (the state before that apply) to terraform.tfstate and run again (see docs/guides/interrupted-apply.md)";

/// Reads a state from its bytes; the error says what it is not.
pub fn read(bytes: &[u8]) -> Result<StateIds, String> {
    state::ids(bytes).map_err(|e| match e {
        StateError::Empty => format!("the file is empty. {CUT_SHORT}"),
        StateError::NotJson(e) => format!(
            "not JSON ({e}): expected a terraform.tfstate or `terraform show -json` output. {CUT_SHORT}"
        ),
        StateError::Neither => "neither a terraform.tfstate (no \"version\") nor `terraform show -json` output (no \"format_version\")".into(),
        StateError::Version(version) => format!(
            "state format version {version} is not supported (Terraform 0.12 and later write version 4)"
        ),
        StateError::ShowFormat(version) => format!(
            "`terraform show -json` output of format {version} is not supported (format 1.x is read)"
        ),
        StateError::NotAList(what) => format!("\"{what}\" is not a list"),
        StateError::Invalid { what, reason } => {
            format!("{what} is not as Terraform writes it ({reason})")
        }
    })
}

/// Whether `bytes` are what a killed Terraform leaves (empty, or JSON cut short), as opposed
/// to a whole file of another kind.
pub fn cut_short(bytes: &[u8]) -> bool {
    matches!(
        state::read(bytes),
        Err(StateError::Empty | StateError::NotJson(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_state_is_named() {
        let empty = read(b"").unwrap_err();
        assert!(empty.contains("empty") && empty.contains("terraform.tfstate.backup"));
        let cut = read(br#"{"version":4,"resources":[{"#).unwrap_err();
        assert!(cut.starts_with("not JSON") && cut.contains("terraform.tfstate.backup"));
        assert!(read(b"[1]").unwrap_err().contains("neither"));
        assert!(read(br#"{"version":3}"#).unwrap_err().contains("version 3"));
        assert!(read(b"{\"version\":4,\"resources\":{}}")
            .unwrap_err()
            .contains("not a list"));
        assert!(read(br#"{"format_version":"2.0"}"#)
            .unwrap_err()
            .contains("format \"2.0\""));
        // An empty state from `terraform show -json` holds nothing.
        assert_eq!(
            read(br#"{"format_version":"1.0"}"#).unwrap(),
            StateIds::default()
        );
        assert!(cut_short(b"  ") && cut_short(b"{\"version\":4,"));
        assert!(!cut_short(b"[1]") && !cut_short(br#"{"version":4}"#));
    }
}
