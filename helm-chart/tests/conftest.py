"""Shared helpers for the chart tests: render, lint and validate the chart without a cluster.

Two engines:
- Default: Helm's own Go engine through the `helm_python` SDK (PyPI helm-python-sdk) and the offline strict
  Kubernetes schemas of `kubernetes_validate`.
- When `helm` and `kubeconform` are both on PATH (the Nix dev shell), the binaries instead. That branch cannot
  run on machines without them, so it is kept to plain command invocations.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from helm_values import deep_merge

CHART_DIR = Path(__file__).resolve().parents[1]
VALUES_DIR = Path(__file__).resolve().parent / "values"
RELEASE = "todo"
NAMESPACE = "todo"
KUBE_VERSION = "1.30.0"
FULLNAME = f"{RELEASE}-todo-chatbot"

USE_BINARIES = bool(shutil.which("helm") and shutil.which("kubeconform"))

# The value sets users have; each is rendered and checked by test_manifests.py.
CASES: dict[str, list[Path]] = {
    "defaults": [],
    "kind": [CHART_DIR / "values-kind.yaml"],
    "k3s": [CHART_DIR / "values-kind.yaml", CHART_DIR / "values-k3s.yaml"],
    "external-db": [CHART_DIR / "values-external-db.yaml"],
    "autoscaling": [VALUES_DIR / "autoscaling.yaml"],
}


class RenderError(Exception):
    """The chart refused the values (schema, `fail` or `required`)."""


@dataclass
class Rendered:
    manifests: list[dict[str, Any]]
    notes: str | None  # None when rendered by the helm binary (`helm template` prints no NOTES)
    values: dict[str, Any] = field(default_factory=dict)  # user-supplied values, merged

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, got {len(found)}"
        return found[0]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        return found[0] if found else None

    def workloads(self) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m["kind"] in ("Deployment", "StatefulSet")]

    def pod_specs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(description, pod spec) of every workload and of bare Pods (the helm test hook)."""
        for m in self.workloads():
            yield f"{m['kind']}/{m['metadata']['name']}", m["spec"]["template"]["spec"]
        for m in self.of_kind("Pod"):
            yield f"Pod/{m['metadata']['name']}", m["spec"]

    def secret_data(self, name: str = FULLNAME) -> dict[str, str]:
        secret = self.get("Secret", name)
        return {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}

    def config(self, component: str) -> dict[str, str]:
        return self.get("ConfigMap", f"{FULLNAME}-{component}")["data"]


def load_values(files: list[Path], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in files:
        values = deep_merge(values, yaml.safe_load(path.read_text()) or {})
    return deep_merge(values, overrides or {})


def _docs(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def render(files: list[Path] = (), overrides: dict[str, Any] | None = None) -> Rendered:
    """Render the chart as `helm template` would, with `files` then `overrides` as user values."""
    values = load_values(list(files), overrides)
    if USE_BINARIES:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as tmp:
            json.dump(values, tmp)
            tmp.flush()
            proc = subprocess.run(
                ["helm", "template", RELEASE, str(CHART_DIR), "--namespace", NAMESPACE,
                 "--kube-version", KUBE_VERSION, "--values", tmp.name],
                capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RenderError(proc.stderr)
        return Rendered(_docs(proc.stdout), None, values)

    import helm_python as helm

    try:
        with helm.Chart.load(CHART_DIR) as chart:
            out = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except (helm.HelmValuesError, helm.HelmRenderError) as err:
        raise RenderError(str(err)) from err
    notes = next((text for path, text in out.items() if path.endswith("NOTES.txt")), None)
    manifests = [doc for path, text in sorted(out.items()) if not path.endswith("NOTES.txt")
                 for doc in _docs(text)]
    return Rendered(manifests, notes, values)


def lint_problems(files: list[Path] = ()) -> list[str]:
    """Warnings and errors of a strict lint (INFO findings such as "icon is recommended" are not problems)."""
    values = load_values(list(files))
    if USE_BINARIES:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as tmp:
            json.dump(values, tmp)
            tmp.flush()
            proc = subprocess.run(
                ["helm", "lint", "--strict", str(CHART_DIR), "--namespace", NAMESPACE,
                 "--kube-version", KUBE_VERSION, "--values", tmp.name],
                capture_output=True, text=True, check=False)
        return [] if proc.returncode == 0 else [proc.stdout + proc.stderr]

    import helm_python as helm

    report = helm.lint(CHART_DIR, values, strict=True, namespace=NAMESPACE,
                       kube_version=f"v{KUBE_VERSION}")
    problems = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return problems + list(report["errors"])


def schema_problems(manifests: list[dict[str, Any]]) -> list[str]:
    """Validate every manifest strictly (unknown fields rejected) against Kubernetes KUBE_VERSION."""
    if USE_BINARIES:
        proc = subprocess.run(
            ["kubeconform", "-strict", "-summary", "-kubernetes-version", KUBE_VERSION, "-"],
            input=yaml.safe_dump_all(manifests), capture_output=True, text=True, check=False)
        return [] if proc.returncode == 0 else [proc.stdout + proc.stderr]

    import kubernetes_validate

    problems = []
    for m in manifests:
        what = f"{m.get('kind')}/{m.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(m, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            path = ".".join(str(p) for p in err.path)
            problems.append(f"{what}: {path}: {err.message}")
        except kubernetes_validate.SchemaNotFoundError as err:
            problems.append(f"{what}: {err.message}")
    return problems


def containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def env_value(container: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((e for e in container.get("env", []) if e["name"] == name), None)


def admits(policy: dict, labels: dict[str, str], port: int) -> bool:
    """Whether `policy` lets a pod of this namespace with `labels` in on `port` (podSelector peers only)."""
    for rule in policy["spec"]["ingress"]:
        if port not in [p["port"] for p in rule["ports"]]:
            continue
        peers = rule.get("from", [])
        if not peers or any(set(peer) == {"podSelector"} and
                            peer["podSelector"]["matchLabels"].items() <= labels.items() for peer in peers):
            return True
    return False


@pytest.fixture(scope="session", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    """Each of the users' value sets, rendered once per session."""
    return request.param, render(CASES[request.param])


@pytest.fixture(scope="session")
def defaults() -> Rendered:
    return render()
