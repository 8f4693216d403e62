#!/usr/bin/env bash
# CI guard against gross performance regressions (issue 8). Counts the instructions
# `kiln compile` executes on the committed 100-app workload (benches/workload/n100.kiln)
# with valgrind's callgrind, and fails only when the count is more than FACTOR (5) times
# the committed baseline for the same build profile (benches/baseline.txt). Instruction
# counts do not depend on the load of the machine, so host noise cannot fail this; a
# change of a few percent (a compiler upgrade, a new default object) cannot either.
# A deliberate, accepted slowdown updates the baseline: `benches/smoke.sh --bless`.
#
#   benches/smoke.sh                 # target/debug/kiln (what `cargo test` built)
#   KILN=target/release/kiln benches/smoke.sh
#   benches/smoke.sh --bless         # record the current count as the baseline
set -euo pipefail
cd "$(dirname "$0")/.."

FACTOR=5
KILN=${KILN:-target/debug/kiln}
INPUT=benches/workload/n100.kiln
BASELINE=benches/baseline.txt
case "$KILN" in
  *release*) PROFILE=release ;;
  *) PROFILE=debug ;;
esac

if [ ! -x "$KILN" ]; then
  cargo build --locked --bin kiln $([ "$PROFILE" = release ] && echo --release)
fi
if ! command -v valgrind > /dev/null; then
  # Debian's valgrind; the registries are reachable in CI.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; } > /dev/null 2>&1 || true
fi
if ! command -v valgrind > /dev/null; then
  echo "smoke: valgrind is not available; the instruction-count guard is skipped" >&2
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
valgrind --tool=callgrind --callgrind-out-file=/dev/null "$KILN" compile "$INPUT" > /dev/null 2> "$log" || {
  cat "$log" >&2
  echo "smoke: kiln compile failed on $INPUT" >&2
  exit 1
}
count=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log" | tail -1)
if [ -z "$count" ]; then
  cat "$log" >&2
  echo "smoke: no instruction count in callgrind's output" >&2
  exit 1
fi

if [ "${1:-}" = "--bless" ]; then
  tmp=$(mktemp)
  grep -v "^$PROFILE " "$BASELINE" 2> /dev/null > "$tmp" || true
  echo "$PROFILE $count" >> "$tmp"
  sort "$tmp" > "$BASELINE"
  rm -f "$tmp"
  echo "smoke: baseline for $PROFILE is now $count instructions"
  exit 0
fi

base=$(awk -v p="$PROFILE" '$1 == p {print $2}' "$BASELINE")
if [ -z "$base" ]; then
  echo "smoke: no $PROFILE baseline in $BASELINE (run benches/smoke.sh --bless)" >&2
  exit 1
fi
ratio=$(awk -v c="$count" -v b="$base" 'BEGIN {printf "%.2f", c / b}')
echo "smoke: kiln compile $INPUT ($PROFILE): $count instructions, $ratio x the baseline $base (limit ${FACTOR}x)"
if awk -v c="$count" -v b="$base" -v f="$FACTOR" 'BEGIN {exit !(c > f * b)}'; then
  echo "smoke: gross performance regression: more than ${FACTOR}x the baseline instructions" >&2
  echo "smoke: profile with: valgrind --tool=callgrind $KILN compile $INPUT > /dev/null; callgrind_annotate callgrind.out.*" >&2
  exit 1
fi
