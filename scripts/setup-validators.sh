#!/usr/bin/env bash
# Create the project venv `.venv/` with the three validators that
# `scripts/validate.sh` runs on kiln output, pinned so that CI and every
# developer judge the same YAML the same way.
#
# Idempotent: when `.venv/` already has exactly these versions, it does nothing.
# Quiet unless it fails (then pip's log is printed). Override the venv place
# with KILN_VENV=/path.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KILN_VENV:-$root/.venv}"

# The one list of pinned validators: change versions here only.
pins=(kubernetes-validate==1.37.0 checkov==3.3.30 yamllint==1.38.0)

python="${PYTHON:-python3}"

# Already installed at these exact versions? `pip freeze` names are normalised
# to lower case with dashes, which is how the pins are written.
installed_ok() {
    [ -x "$venv/bin/python" ] || return 1
    local frozen
    frozen="$("$venv/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null \
        | tr '[:upper:]_' '[:lower:]-')" || return 1
    local pin
    for pin in "${pins[@]}"; do
        grep -qxF "$pin" <<<"$frozen" || return 1
    done
    # The entry points must exist too (a half-finished install has none).
    [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/checkov" ] \
        && [ -x "$venv/bin/yamllint" ]
}

if installed_ok; then
    exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
    echo "setup-validators: $1" >&2
    cat "$log" >&2
    exit 1
}

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >"$log" 2>&1 || fail "cannot create venv at $venv"
fi

# One pip install for all three, so pip resolves their dependencies together.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${pins[@]}" >"$log" 2>&1 || fail "pip install failed"

installed_ok || fail "validators not at the pinned versions after install"
