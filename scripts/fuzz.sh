#!/usr/bin/env bash
# Runs every fuzz target of kiln for a bounded time (libFuzzer through cargo-fuzz).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default: 15 s each, all six targets
#   scripts/fuzz.sh 1800 parse                            # a long run of one target
#
# Works on the stable toolchain: cargo-fuzz passes nightly-only `-Z` flags to rustc, and
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them. No sanitizer (`-s none`):
# kiln has no unsafe code, and the targets look for panics, hangs and memory blow-ups,
# which libFuzzer reports without one. Installs cargo-fuzz from crates.io if missing.
#
# Seeds: the committed corpus (fuzz/corpus/TARGET, minimized), the examples and the
# diagnostic fixtures. New inputs go to fuzz/work/ (not committed); crashes to
# fuzz/artifacts/TARGET/. Exit status: 0 when no target crashed, 1 otherwise.
# fuzz/README.md says how to turn a crash into a regression input.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

secs=${1:-15}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse check compile fmt_roundtrip diff_input lsp_session)
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2
fi

seeds="$root/fuzz/work/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
for f in tests/fixtures/syntax/*.kiln tests/fixtures/check/*.kiln; do
  [ -e "$f" ] && cp "$f" "$seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for d in examples/*/; do
  for f in "$d"*.kiln "$d"*.yaml; do
    [ -e "$f" ] && cp "$f" "$seeds/example-$(basename "$d")-$(basename "$f")"
  done
done

cd fuzz
echo "==> building the fuzz targets (release, instrumented; the first build takes minutes)"
if ! cargo fuzz build -s none --fuzz-dir . >work/build.log 2>&1; then
  tail -n 40 work/build.log
  echo "fuzz: the targets do not build"
  exit 1
fi

failed=0
for t in "${targets[@]}"; do
  mkdir -p "work/$t" "corpus/$t" "artifacts/$t"
  log="work/$t.log"
  echo "==> fuzzing $t for ${secs}s"
  set +e
  cargo fuzz run -s none --fuzz-dir . "$t" "work/$t" "corpus/$t" "$seeds" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -dict=kiln.dict -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -aEo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  if [ $rc -ne 0 ]; then
    failed=1
    echo "FAILED: $t (exit $rc) after $runs runs; the input is in fuzz/artifacts/$t/:"
    grep -aE "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | head -5 || true
    tail -n 20 "$log"
  else
    echo "ok: $t, $runs runs in ${secs}s, corpus $(ls "work/$t" | wc -l) inputs"
  fi
done

if [ $failed -ne 0 ]; then
  echo "fuzz: a target crashed"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
