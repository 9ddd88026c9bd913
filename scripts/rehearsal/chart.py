"""The release as `nix run .#deploy-kind` would install it, rendered by Helm's own Go engine.

deploy-kind itself says how it calls Helm: its `--dry-run` prints every command (with the values it pipes on
stdin) and runs none. The rehearsal runs the real nix/deploy-kind.sh that way, against the rehearsal's own
image archives and tags, and renders exactly the `helm upgrade --install` it prints (helm-python-sdk, as the
chart tests do). The Secret deploy-kind applies before Helm (not part of the chart) is made the way
deploy-kind makes it.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .spec import REPO

DEPLOY_KIND = REPO / "nix" / "deploy-kind.sh"
# Flags of `helm upgrade --install` that do not change what is rendered, with how many values each takes.
INERT_FLAGS = {"--kube-context": 1, "--create-namespace": 0, "--wait": 0, "--atomic": 0, "--install": 0, "--hide-notes": 0,
               "--timeout": 1}


class ChartError(Exception):
    """deploy-kind's plan or the chart could not be turned into manifests."""


@dataclass
class HelmCommand:
    release: str
    chart: Path
    namespace: str
    values: dict[str, Any]
    timeout: str


@dataclass
class Release:
    name: str
    namespace: str
    manifests: list[dict[str, Any]]
    # Secrets that exist before the chart (deploy-kind's), as Kubernetes would hold them: name -> key -> value.
    external_secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    test_timeout_seconds: int = 300

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m.get("kind") == kind]

    def secret_data(self) -> dict[str, dict[str, str]]:
        """Every Secret the pods can reference: the rendered ones and deploy-kind's."""
        data = {name: dict(values) for name, values in self.external_secrets.items()}
        for secret in self.of_kind("Secret"):
            values = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
            values.update(secret.get("stringData") or {})
            data[secret["metadata"]["name"]] = values
        return data

    def config_maps(self) -> dict[str, dict[str, str]]:
        return {m["metadata"]["name"]: dict(m.get("data") or {}) for m in self.of_kind("ConfigMap")}


def deploy_kind_plan(images_dir: Path, chart_dir: Path, tags: dict[str, str]) -> str:
    """The commands `deploy-kind --dry-run` prints for these archives, tags and chart."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "KIND_", "TODO_"))}
    env.update(TODO_IMAGES_DIR=str(images_dir), TODO_CHART_DIR=str(chart_dir),
               TODO_BACKEND_TAG=tags["backend"], TODO_FRONTEND_TAG=tags["frontend"],
               TODO_POSTGRES_TAG=tags["postgres"])
    proc = subprocess.run(["bash", str(DEPLOY_KIND), "--dry-run"], env=env, capture_output=True, text=True,
                          timeout=60)
    if proc.returncode != 0:
        raise ChartError(f"deploy-kind --dry-run failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def shown_command(plan: str, prefix: str) -> tuple[list[str], str]:
    """The command line deploy-kind shows (`    $ …`) that starts with `prefix`, and the here-document it
    shows after it (what it pipes on stdin), if any."""
    lines = plan.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("$ " + prefix):
            command = stripped[2:]
            stdin = ""
            if command.endswith(" <<EOF"):
                command = command[: -len(" <<EOF")]
                body = []
                for following in lines[index + 1:]:
                    if following.strip() == "EOF":
                        break
                    body.append(following[6:] if following.startswith("      ") else following.strip())
                stdin = "\n".join(body) + "\n"
            return shlex.split(command), stdin
    raise ChartError(f"deploy-kind --dry-run shows no '{prefix}' command; update scripts/rehearsal/chart.py")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_helm_upgrade(argv: list[str], stdin: str) -> HelmCommand:
    """`helm upgrade --install RELEASE CHART [flags]` -> the release, chart, namespace and merged values,
    in Helm's order: every --values file in turn, then every --set."""
    import helm_python as helm

    if argv[:3] != ["helm", "upgrade", "--install"]:
        raise ChartError(f"not a helm upgrade --install: {argv[:3]}")
    positional, files, sets = [], [], []
    namespace, timeout = "default", "5m0s"
    args = iter(argv[3:])
    for arg in args:
        if arg in ("--values", "-f"):
            files.append(next(args))
        elif arg == "--set":
            sets.append(helm.parse_set_string(next(args)))
        elif arg == "--set-string":
            sets.append(helm.parse_set_string_values(next(args)))
        elif arg in ("--namespace", "-n"):
            namespace = next(args)
        elif arg in INERT_FLAGS:
            value = [next(args) for _ in range(INERT_FLAGS[arg])]
            if arg == "--timeout":
                timeout = value[0]
        elif arg.startswith("-"):
            raise ChartError(f"deploy-kind passes {arg} to Helm, which the rehearsal does not model")
        else:
            positional.append(arg)
    if len(positional) != 2:
        raise ChartError(f"expected RELEASE and CHART, got {positional}")
    values: dict[str, Any] = {}
    for source in files:
        text = stdin if source == "-" else Path(source).read_text()
        values = _merge(values, yaml.safe_load(text) or {})
    for parsed in sets:
        values = _merge(values, parsed)
    return HelmCommand(positional[0], Path(positional[1]), namespace, values, timeout)


def render(command: HelmCommand) -> list[dict[str, Any]]:
    """`helm upgrade --install` of a new release, offline: every manifest and hook (the test Pod)."""
    import helm_python as helm

    try:
        with helm.Chart.load(command.chart) as chart:
            out = chart.render(command.values, name=command.release, namespace=command.namespace,
                               is_install=True)
    except (helm.HelmValuesError, helm.HelmRenderError) as err:
        raise ChartError(f"Helm refused the values deploy-kind passes: {err}") from err
    return [doc for path, text in sorted(out.items()) if not path.endswith("NOTES.txt")
            for doc in yaml.safe_load_all(text) if doc]


def duration_seconds(text: str) -> int:
    """A Go duration as Helm takes it (10m, 300s, 1h2m3s)."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or match is None:
        raise ChartError(f"cannot read the duration {text!r}")
    hours, minutes, seconds = (int(n or 0) for n in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def deploy_kind_secret(plan: str) -> dict[str, dict[str, str]]:
    """The Secret deploy-kind applies before Helm, as a first run with no LLM_* variables set makes it: only
    AUTH_SECRET, generated as deploy-kind generates it (48 random bytes, base64). Its values never appear in the
    plan, which shows the Secret's name and (outside a dry run) its keys."""
    match = re.search(r"\(Secret (\S+) with ([A-Z_, ]*); values not shown\)", plan)
    if match is None:
        return {}
    unknown = [key for key in re.split(r"[, ]+", match.group(2)) if key and key != "AUTH_SECRET"]
    if unknown:
        raise ChartError(f"deploy-kind's Secret {match.group(1)} holds {unknown}; the rehearsal only knows "
                         "how AUTH_SECRET is made")
    return {match.group(1): {"AUTH_SECRET": base64.b64encode(secrets.token_bytes(48)).decode()}}


def release_as_deployed(images_dir: Path, chart_dir: Path, tags: dict[str, str]) -> Release:
    plan = deploy_kind_plan(images_dir, chart_dir, tags)
    command = parse_helm_upgrade(*shown_command(plan, "helm upgrade --install"))
    if command.chart.resolve() != chart_dir.resolve():
        raise ChartError(f"deploy-kind renders {command.chart}, not {chart_dir}")
    test_argv, _ = shown_command(plan, "helm test")
    test_timeout = test_argv[test_argv.index("--timeout") + 1] if "--timeout" in test_argv else "5m"
    return Release(command.release, command.namespace, render(command), deploy_kind_secret(plan),
                   duration_seconds(test_timeout))
