"""Validate Kubernetes YAML produced by kiln with three independent tools.

Run through `scripts/validate.sh` (which picks the project venv); see `--help`.

Each tool has traps that make a broken bundle look fine. This driver closes them:

kubernetes-validate
  * Its CLI aborts the whole run on the first file it cannot parse, and only warns,
    with exit code 0, on an apiVersion/kind it has no schema for ("unknown
    apiVersion"): a removed API such as `policy/v1beta1` would pass. Here every
    file is parsed on its own, every document is validated through the library,
    and a missing schema is a failure.
  * Without `--strict`, unknown fields (a typo such as `nodeportt`) pass; here
    strict schemas are always used.
  * It silently falls back to an older schema set when asked for a version it
    lacks; here the version it reports must be the one asked for. The versions
    are Kubernetes 1.33 (the oldest kiln supports) and the newest the installed
    package has schemas for, found from its schema directory.
checkov
  * It silently skips YAML it cannot parse or does not take for Kubernetes (a
    file containing `{{ .Values.x }}`, a `name` holding `#`, `{` or `}`, a
    document without metadata.name): zero resources, zero failures, exit 0.
    Here checkov's own parser is run on each file and must return every
    document, and the number of resources the real run reports must equal
    what the documents give (one per document, plus one per pod template of
    a Deployment, StatefulSet, DaemonSet, Job, ReplicaSet...). A canary
    ConfigMap is always scanned with the files, so the report is never the
    empty one checkov prints when no check ran (which counts no resources).
  * Failed checks fail the run unless their ID is in the allow-list given.
yamllint
  * Relaxed config (`scripts/yamllint.yaml`), but errors fail: duplicate keys
    (which every YAML loader above silently resolves to the last value),
    syntax errors, and YAML 1.1 booleans such as `yes`/`on` in values.

A missing tool is a failure, never a skip. Exit codes: 0 all clean, 1 a
validation failure, 2 bad usage or a validator missing or broken.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# The oldest Kubernetes minor version kiln supports (see `lower::KubeVersion`).
OLDEST_KUBE = "1.33"

# Kinds whose `spec.template` checkov turns into a second resource (a Pod). Must match
# checkov's SUPPORTED_POD_CONTAINERS_TYPES; checked against it at run time.
POD_TEMPLATE_KINDS = {
    "Deployment",
    "DeploymentConfig",
    "DaemonSet",
    "Job",
    "ReplicaSet",
    "ReplicationController",
    "StatefulSet",
}

# checkov reads only these extensions; anything else it would skip silently.
EXTENSIONS = (".yaml", ".yml", ".json")

CANARY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: kiln-validate-canary
  namespace: kiln-validate-canary
data:
  canary: "present so that checkov's report is never empty"
"""

CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")

HERE = Path(__file__).resolve().parent


class Failures:
    """Failures collected over all tools, printed as `FAIL file: tool: message`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, tool: str, message: str) -> None:
        self.lines.append(f"FAIL {path}: {tool}: {message}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="validate.sh",
        description="Validate Kubernetes YAML with kubernetes-validate (strict, 1.33 and "
        "newest), checkov and yamllint. Directories are searched recursively for "
        "*.yaml, *.yml and *.json.",
    )
    parser.add_argument(
        "--allow-checks",
        action="append",
        default=[],
        metavar="IDS",
        help="comma-separated checkov check IDs whose failures are accepted "
        "(repeatable), e.g. CKV_K8S_43,CKV_K8S_15",
    )
    parser.add_argument(
        "--allow-checks-file",
        action="append",
        default=[],
        metavar="FILE",
        help="file of checkov check IDs to accept, one per line or comma-separated; "
        "`#` starts a comment",
    )
    parser.add_argument(
        "--allow-checks-under",
        action="append",
        default=[],
        metavar="DIR=IDS",
        help="comma-separated checkov check IDs accepted only in files under DIR "
        "(repeatable), e.g. out/logging=CKV_K8S_23,CKV_K8S_40",
    )
    parser.add_argument(
        "--kube-version",
        action="append",
        default=[],
        metavar="X.Y",
        help=f"Kubernetes version to validate against (repeatable); default "
        f"{OLDEST_KUBE} and the newest known to kubernetes-validate",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="say what passed, not only what failed"
    )
    parser.add_argument("paths", nargs="+", metavar="DIR_OR_FILE")
    return parser.parse_args(argv)


class Allowed:
    """The accepted checkov check IDs: everywhere, or only under some directories."""

    def __init__(self) -> None:
        self.everywhere: set[str] = set()
        self.under: list[tuple[Path, set[str]]] = []

    def allows(self, check_id: str, file: str) -> bool:
        if check_id in self.everywhere:
            return True
        path = Path(file).resolve()
        return any(
            check_id in ids and (path == d or d in path.parents) for d, ids in self.under
        )


def check_ids(raw: list[str]) -> set[str]:
    """Check IDs from comma-separated items; one that does not look like an ID is a usage error."""
    ids = set()
    for item in raw:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            if not CHECK_ID.match(part):
                usage(f"`{part}` is not a checkov check ID (like CKV_K8S_43)")
            ids.add(part)
    return ids


def allow_list(args: argparse.Namespace) -> Allowed:
    allowed = Allowed()
    raw: list[str] = list(args.allow_checks)
    for name in args.allow_checks_file:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as e:
            usage(f"cannot read allow-list file {name}: {e}")
        raw.extend(line.split("#", 1)[0] for line in text.splitlines())
    allowed.everywhere = check_ids(raw)
    for item in args.allow_checks_under:
        directory, sep, ids = item.partition("=")
        if not sep or not directory:
            usage(f"`--allow-checks-under {item}`: expected DIR=IDS")
        allowed.under.append((Path(directory).resolve(), check_ids([ids])))
    return allowed


def usage(message: str) -> None:
    print(f"validate: {message}", file=sys.stderr)
    sys.exit(2)


def collect_files(paths: list[str], failures: Failures) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(EXTENSIONS)
            )
            if not found:
                failures.add(name, "validate", "no .yaml, .yml or .json file in directory")
            files.extend(found)
        elif path.is_file():
            if not path.name.endswith(EXTENSIONS):
                # checkov would skip it without a word.
                failures.add(name, "validate", "not a .yaml, .yml or .json file")
            else:
                files.append(path)
        else:
            failures.add(name, "validate", "no such file or directory")
    # Deduplicate, keeping order (a file given twice and through its directory).
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_documents(files: list[Path], failures: Failures) -> dict[Path, list[dict]]:
    """Parses each file on its own (one bad file never hides the others)."""
    import yaml

    docs_by_file: dict[Path, list[dict]] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            loaded = [d for d in yaml.safe_load_all(text) if d is not None]
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            failures.add(str(path), "yaml", f"cannot parse: {one_line(e)}")
            continue
        if not loaded:
            failures.add(str(path), "yaml", "no Kubernetes object in file")
            continue
        good = []
        for i, doc in enumerate(loaded):
            where = f"document {i + 1}"
            if not isinstance(doc, dict):
                failures.add(str(path), "yaml", f"{where} is a {type(doc).__name__}, not a mapping")
                continue
            missing = [k for k in ("apiVersion", "kind") if not isinstance(doc.get(k), str)]
            meta = doc.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                missing.append("metadata.name")
            if missing:
                failures.add(str(path), "yaml", f"{where} has no {', '.join(missing)}")
                continue
            good.append(doc)
        if len(good) == len(loaded):
            docs_by_file[path] = good
    return docs_by_file


def one_line(e: object) -> str:
    return " ".join(str(e).split())


def describe(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def kube_versions(requested: list[str]) -> list[str]:
    from kubernetes_validate import utils

    newest = utils.major_minor(utils.latest_version())
    versions = requested or [OLDEST_KUBE, newest]
    out: list[str] = []
    for v in versions:
        v = v.lstrip("v")
        if not re.fullmatch(r"\d+\.\d+", v):
            usage(f"`{v}` is not a Kubernetes minor version like 1.33")
        if v not in out:
            out.append(v)
    return out


def run_kubernetes_validate(
    docs_by_file: dict[Path, list[dict]], versions: list[str], failures: Failures
) -> int:
    from kubernetes_validate import utils

    known = {utils.major_minor(v) for v in utils.all_versions()}
    for v in versions:
        if v not in known:
            failures.add("-", "kubernetes-validate", f"has no schemas for Kubernetes {v}")
    versions = [v for v in versions if v in known]
    checked = 0
    for path, docs in docs_by_file.items():
        for doc in docs:
            for version in versions:
                checked += 1
                tag = f"{describe(doc)} (Kubernetes {version})"
                try:
                    got = utils.validate(doc, version, strict=True)
                except utils.ValidationError as e:
                    where = ".".join(str(p) for p in e.path) or "(root)"
                    failures.add(str(path), "kubernetes-validate", f"{tag}: {where}: {one_line(e.message)}")
                    continue
                except utils.SchemaNotFoundError as e:
                    # The CLI's "WARN ... Couldn't find schema", exit 0: a removed or
                    # misspelt apiVersion, or a kind that does not exist.
                    failures.add(
                        str(path),
                        "kubernetes-validate",
                        f"{tag}: unknown apiVersion/kind: {one_line(e.message)}",
                    )
                    continue
                except (utils.VersionNotSupportedError, utils.InvalidSchemaError) as e:
                    failures.add(str(path), "kubernetes-validate", f"{tag}: {one_line(e.message)}")
                    continue
                except Exception as e:  # noqa: BLE001 - any crash is a failure, not a pass
                    failures.add(str(path), "kubernetes-validate", f"{tag}: cannot validate: {one_line(e)}")
                    continue
                if got != version:
                    failures.add(
                        str(path),
                        "kubernetes-validate",
                        f"{tag}: validated against {got} schemas instead of {version}",
                    )
    return checked


def pod_template_counts(doc: dict) -> int:
    """How many resources checkov makes of one document: itself, plus its pod template."""
    if doc.get("kind") not in POD_TEMPLATE_KINDS:
        return 1
    spec = doc.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict):
        return 1
    meta = template.get("metadata")
    tspec = template.get("spec")
    if not isinstance(meta, dict) or not isinstance(tspec, (dict, list)):
        return 1
    if meta.get("name") is None and meta.get("labels") is None:
        return 1
    return 2


def run_checkov(
    files: list[Path],
    docs_by_file: dict[Path, list[dict]],
    allowed: Allowed,
    failures: Failures,
    verbose: bool,
) -> tuple[int, set[str]]:
    """Returns the number of failed checks accepted and the allowed IDs seen."""
    venv_bin = Path(sys.executable).parent
    checkov = venv_bin / "checkov"
    if not checkov.exists():
        usage(f"checkov not found at {checkov}: run scripts/setup-validators.sh")

    # checkov's own parser, file by file: which files would it skip without a word?
    from checkov.kubernetes import kubernetes_utils
    from checkov.kubernetes.parser.parser import parse as checkov_parse

    if set(kubernetes_utils.SUPPORTED_POD_CONTAINERS_TYPES) != POD_TEMPLATE_KINDS:
        failures.add("-", "checkov", "its pod template kinds changed: update POD_TEMPLATE_KINDS")

    for path in files:
        docs = docs_by_file.get(path)
        if docs is None:
            continue  # already failed to parse: reported once
        try:
            parsed = checkov_parse(str(path))
        except Exception as e:  # noqa: BLE001
            parsed = None
            why = one_line(e)
        else:
            why = "it skips the whole file"
        got = len(parsed[0]) if parsed else 0
        if got != len(docs):
            failures.add(
                str(path),
                "checkov",
                f"reads {got} of {len(docs)} document(s) ({why}; e.g. a Helm-like "
                "`{{ .Values }}`, a `name` with `#{}`), so its checks would not run",
            )

    with tempfile.TemporaryDirectory(prefix="kiln-validate-") as tmp:
        canary = Path(tmp) / "kiln-validate-canary.yaml"
        canary.write_text(CANARY, encoding="utf-8")
        cmd = [str(checkov), "--framework", "kubernetes", "-o", "json", "--skip-download",
               "--skip-results-upload", "--compact"]
        scanned = [p for p in files if p in docs_by_file]
        for p in [*scanned, canary]:
            cmd += ["-f", str(p)]
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            failures.add("-", "checkov", f"no JSON report (exit {proc.returncode}): "
                         f"{one_line(proc.stderr)[-2000:]}")
            return 0, set()
        reports = report if isinstance(report, list) else [report]
        k8s = [r for r in reports if isinstance(r, dict) and r.get("check_type") == "kubernetes"]
        if len(k8s) != 1:
            failures.add("-", "checkov", f"expected one kubernetes report, got {len(k8s)}")
            return 0, set()
        k8s = k8s[0]
        summary = k8s.get("summary", {})
        results = k8s.get("results", {})

        expected = 1  # the canary
        for path in scanned:
            expected += sum(pod_template_counts(d) for d in docs_by_file[path])
        got = summary.get("resource_count")
        if got != expected:
            failures.add(
                "-",
                "checkov",
                f"reports {got} resources, the documents give {expected}: some YAML was "
                "skipped or merged",
            )
        if summary.get("parsing_errors"):
            for name in results.get("parsing_errors", []):
                failures.add(name, "checkov", "parsing error")

        accepted = 0
        seen_allowed: set[str] = set()
        for check in results.get("failed_checks", []):
            file_path = check.get("file_abs_path") or check.get("file_path", "?")
            if Path(file_path).name == canary.name:
                # The canary must pass whatever it is checked for; keep it honest.
                failures.add(str(file_path), "checkov", f"canary failed {check.get('check_id')}")
                continue
            cid = check.get("check_id", "?")
            if allowed.allows(cid, str(file_path)):
                accepted += 1
                seen_allowed.add(cid)
                if verbose:
                    print(f"allowed {file_path}: checkov: {check.get('resource')}: {cid}")
                continue
            failures.add(
                str(file_path),
                "checkov",
                f"{check.get('resource')}: {cid} {check.get('check_name')}",
            )
        if proc.returncode not in (0, 1):
            failures.add("-", "checkov", f"exit {proc.returncode}: {one_line(proc.stderr)[-2000:]}")
        if proc.returncode == 1 and not results.get("failed_checks"):
            failures.add("-", "checkov", f"exit 1 without failed checks: {one_line(proc.stderr)[-2000:]}")
    return accepted, seen_allowed


def run_yamllint(files: list[Path], failures: Failures) -> None:
    yamllint = Path(sys.executable).parent / "yamllint"
    if not yamllint.exists():
        usage(f"yamllint not found at {yamllint}: run scripts/setup-validators.sh")
    # yamllint reports a file it cannot parse as an error of that file and goes on.
    cmd = [str(yamllint), "--no-warnings", "-f", "parsable", "-c", str(HERE / "yamllint.yaml")]
    proc = subprocess.run(cmd + [str(f) for f in files], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        # parsable: path:line:col: [error] message (rule)
        m = re.match(r"^(.*?):(\d+):(\d+): \[(\w+)\] (.*)$", line)
        if m:
            failures.add(m.group(1), "yamllint", f"line {m.group(2)}: {m.group(5)}")
        elif line.strip():
            failures.add("-", "yamllint", line.strip())
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not proc.stdout.strip()):
        failures.add("-", "yamllint", f"exit {proc.returncode}: {one_line(proc.stderr)}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    allowed = allow_list(args)
    failures = Failures()

    try:
        import kubernetes_validate.utils  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        usage(f"validators missing ({e}): run scripts/setup-validators.sh")

    files = collect_files(args.paths, failures)
    if not files:
        for line in failures.lines:
            print(line)
        print("validate: nothing to validate", file=sys.stderr)
        return 1

    versions = kube_versions(args.kube_version)
    docs_by_file = load_documents(files, failures)
    objects = sum(len(d) for d in docs_by_file.values())
    run_kubernetes_validate(docs_by_file, versions, failures)
    accepted, seen_allowed = run_checkov(files, docs_by_file, allowed, failures, args.verbose)
    run_yamllint(files, failures)

    for line in failures.lines:
        print(line)
    status = "FAILED" if failures.lines else "ok"
    allowed_note = f", {accepted} allowed checkov failure(s) {sorted(seen_allowed)}" if accepted else ""
    print(
        f"validate: {status}: {len(files)} file(s), {objects} object(s); "
        f"kubernetes-validate strict {', '.join(versions)}; checkov; yamllint"
        f"{allowed_note}; {len(failures.lines)} failure(s)"
    )
    return 1 if failures.lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
