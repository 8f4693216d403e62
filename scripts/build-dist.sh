#!/usr/bin/env bash
# Builds the binary kiln ships and benchmarks: the `dist` profile (fat LTO, one codegen
# unit) with profile-guided optimisation, the way rustc and CPython build their releases
# (docs/performance.md, "Profile-guided build").
#
#   scripts/build-dist.sh            # -> target/dist-pgo/kiln
#   scripts/build-dist.sh --plain    # -> target/dist/kiln, without PGO (same as
#                                    #    `cargo build --profile dist`)
#
# 1. Builds an instrumented binary (target/pgo-gen/, its own target directory because
#    RUSTFLAGS differ).
# 2. Trains it on the project's own inputs: every example in examples/ (check, compile to
#    standard output and to a bundle directory, plan, fmt --check, every --for target) and
#    the committed 100-app workload benches/workload/n100.kiln. Nothing larger is run:
#    the benchmark sizes (1,000 and 10,000 apps) are not part of the training.
# 3. Merges the profiles with llvm-profdata of the toolchain's own LLVM (the rustup
#    component `llvm-tools`, installed here when missing: a profile must be read by the
#    LLVM that wrote it).
# 4. Rebuilds with the profile (target/pgo-use/) and copies the binary to
#    target/dist-pgo/kiln.
# The output of the optimised binary is checked byte for byte against the plain build's
# on every training input before the script says it is done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--plain" ]; then
  cargo build --profile dist --locked --bin kiln
  echo "target/dist/kiln"
  exit 0
fi

HOST=$(rustc -vV | sed -n 's/^host: //p')
SYSROOT=$(rustc --print sysroot)
PROFDATA="$SYSROOT/lib/rustlib/$HOST/bin/llvm-profdata"
if [ ! -x "$PROFDATA" ]; then
  echo "==> rustup component add llvm-tools (llvm-profdata of rustc's LLVM)" >&2
  rustup component add llvm-tools >&2
fi
if [ ! -x "$PROFDATA" ]; then
  echo "llvm-profdata not found at $PROFDATA" >&2
  exit 3
fi

ROOT=$(pwd)
# The training inputs, also the inputs on which the optimised binary's output is checked.
INPUTS=(examples/*/app.kiln benches/workload/n100.kiln)
DATA="$ROOT/target/pgo-data"
rm -rf "$DATA"
mkdir -p "$DATA"

echo "==> instrumented build (target/pgo-gen)" >&2
RUSTFLAGS="-Cprofile-generate=$DATA" CARGO_TARGET_DIR=target/pgo-gen \
  cargo build --profile dist --locked --bin kiln >&2
GEN=target/pgo-gen/dist/kiln

# The training runs: kiln's commands on the project's own inputs.
train() {
  local kiln=$1 scratch
  scratch=$(mktemp -d)
  for app in "${INPUTS[@]}"; do
    "$kiln" check "$app" > /dev/null 2>&1 || true
    "$kiln" compile "$app" > /dev/null 2>&1 || true
    "$kiln" compile "$app" -o "$scratch/bundle" > /dev/null 2>&1 || true
    for target in argocd helm kapp; do
      "$kiln" compile --for "$target" "$app" > /dev/null 2>&1 || true
    done
    "$kiln" plan "$app" > /dev/null 2>&1 || true
    "$kiln" fmt --check "$app" > /dev/null 2>&1 || true
  done
  rm -rf "$scratch"
}

echo "==> training on examples/ and benches/workload/n100.kiln" >&2
train "$GEN"

echo "==> llvm-profdata merge" >&2
"$PROFDATA" merge -o "$DATA/kiln.profdata" "$DATA"/*.profraw

echo "==> optimised build (target/pgo-use)" >&2
RUSTFLAGS="-Cprofile-use=$DATA/kiln.profdata" CARGO_TARGET_DIR=target/pgo-use \
  cargo build --profile dist --locked --bin kiln >&2
mkdir -p target/dist-pgo
cp target/pgo-use/dist/kiln target/dist-pgo/kiln

# The profile may change speed, never output: compare with the instrumented build (the
# same source without the profile's influence on optimisation).
for app in "${INPUTS[@]}"; do
  if ! cmp -s <("$GEN" compile "$app" 2>&1) <(target/dist-pgo/kiln compile "$app" 2>&1); then
    echo "the optimised binary's output differs on $app" >&2
    exit 1
  fi
done
echo "target/dist-pgo/kiln"
