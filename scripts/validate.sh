#!/usr/bin/env bash
# Validate Kubernetes YAML (kiln output) with kubernetes-validate (strict, Kubernetes 1.33
# and the newest it knows), checkov and yamllint, closing the traps where those tools
# pass broken YAML. The logic is in validate.py; this wrapper finds the project venv.
#
#   scripts/validate.sh [--allow-checks CKV_K8S_43,...] [--allow-checks-file FILE]
#                       [--allow-checks-under DIR=CKV_K8S_23,...]
#                       [--kube-version X.Y]... [-v] DIR_OR_FILE...
#
# Exit 0: clean. 1: a validation failure (one `FAIL file: tool: message` line each).
# 2: bad usage, or the validators are not installed (never a silent skip): run
# scripts/setup-validators.sh first. KILN_VENV overrides the venv (default .venv/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KILN_VENV:-$root/.venv}"

for tool in python kubernetes-validate checkov yamllint; do
    if [ ! -x "$venv/bin/$tool" ]; then
        echo "validate: $tool is not installed in $venv: run scripts/setup-validators.sh" >&2
        exit 2
    fi
done

exec "$venv/bin/python" "$root/scripts/validate.py" "$@"
