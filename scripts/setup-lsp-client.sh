#!/usr/bin/env bash
# Create the venv with the third-party LSP client that tests/lsp_client.rs drives
# `kiln lsp` with: pytest-lsp (on pygls), which checks every reply against the protocol
# and the client's declared capabilities. Pinned, so CI and every developer run the same
# client. pytest-lsp 1.0.1 needs cattrs < 25 to finish `initialize`.
#
# Idempotent: when the venv already has exactly these versions, it does nothing. Quiet
# unless it fails (then pip's log is printed). The venv lives under target/ (a cache
# that `cargo clean` may drop); override its place with KILN_LSP_VENV=/path.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KILN_LSP_VENV:-$root/target/venv-lsp-client}"

# The one list of pins: change versions here only.
pins=(
    pytest-lsp==1.0.1
    cattrs==24.1.3
    pygls==2.1.1
    lsprotocol==2025.0.0
    pytest==9.2.0
    pytest-asyncio==1.5.0
    attrs==26.1.0
)

python="${PYTHON:-python3}"

installed_ok() {
    [ -x "$venv/bin/python" ] || return 1
    local frozen
    frozen="$("$venv/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null \
        | tr '[:upper:]_' '[:lower:]-')" || return 1
    local pin
    for pin in "${pins[@]}"; do
        grep -qxF "$pin" <<<"$frozen" || return 1
    done
}

if installed_ok; then
    exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
    echo "setup-lsp-client: $1" >&2
    cat "$log" >&2
    exit 1
}

mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >"$log" 2>&1 || fail "cannot create venv at $venv"
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${pins[@]}" >"$log" 2>&1 || fail "pip install failed"

installed_ok || fail "the client is not at the pinned versions after install"
