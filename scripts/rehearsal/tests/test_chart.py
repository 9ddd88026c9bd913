"""The release the rehearsal runs is the one deploy-kind installs: the real nix/deploy-kind.sh --dry-run,
given archives written by the rehearsal's own docker-archive writer, and Helm's Go engine (no podman)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from rehearsal import chart
from rehearsal.layer import Layer, docker_archive
from rehearsal.spec import REPO

CHART = REPO / "helm-chart"


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("images")
    tags = {}
    for repository, component in (("todo-backend", "backend"), ("todo-frontend", "frontend"),
                                  ("todo-postgres", "postgres")):
        layer = Layer()
        layer.file(f"bin/{repository}", repository.encode(), 0o555)
        tags[component] = docker_archive(directory / f"{repository}.tar", repository, layer.tar(),
                                         {"User": "65534:65534"}, "amd64")
    return directory, tags


@pytest.fixture(scope="module")
def plan(archives: tuple[Path, dict[str, str]]) -> str:
    directory, tags = archives
    return chart.deploy_kind_plan(directory, CHART, tags)


def test_deploy_kind_accepts_the_archives_and_shows_its_helm_command(plan: str,
                                                                     archives: tuple[Path, dict[str, str]]) -> None:
    _, tags = archives
    argv, stdin = chart.shown_command(plan, "helm upgrade --install")
    command = chart.parse_helm_upgrade(argv, stdin)
    assert command.chart == CHART and command.namespace == "todo"
    assert command.values["backend"]["image"] == {"repository": "todo-backend", "tag": tags["backend"]}
    assert command.values["postgresql"]["image"]["tag"] == tags["postgres"]
    assert command.values["frontend"]["service"]["nodePort"] == 30080, "values-kind.yaml is applied"
    assert "todo-chatbot/app-secret-checksum" in command.values["backend"]["podAnnotations"], "the stdin values"


def test_the_rendered_release_uses_exactly_these_images(plan: str, archives: tuple[Path, dict[str, str]]) -> None:
    directory, tags = archives
    release = chart.release_as_deployed(directory, CHART, tags)
    images = {c["image"] for kind in ("Deployment", "StatefulSet") for w in release.of_kind(kind)
              for c in w["spec"]["template"]["spec"]["containers"]}
    assert images == {f"todo-backend:{tags['backend']}", f"todo-frontend:{tags['frontend']}",
                      f"todo-postgres:{tags['postgres']}"}
    (secret_name, secret), = release.external_secrets.items()
    assert secret_name in plan and list(secret) == ["AUTH_SECRET"] and len(secret["AUTH_SECRET"]) == 64
    assert secret["AUTH_SECRET"] not in plan
    data = release.secret_data()
    assert data[secret_name] == secret, "deploy-kind's Secret sits beside the chart's own"
    assert "DATABASE_URL" in data["todo-todo-chatbot"], "the chart's Secret, decoded"
    assert release.test_timeout_seconds > 0


def test_values_merge_like_helm(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("a: {b: 1, c: [1, 2]}\nkeep: yes\n")
    second.write_text("a: {c: [3]}\n")
    command = chart.parse_helm_upgrade(
        ["helm", "upgrade", "--install", "r", "/chart", "--values", str(first), "--set", "a.b=2",
         "--values", str(second), "--values", "-", "--set-string", "n=5", "--namespace", "ns", "--wait"],
        "a: {d: true}\n")
    assert command.values == {"a": {"b": 2, "c": [3], "d": True}, "keep": True, "n": "5"}
    with pytest.raises(chart.ChartError, match="--post-renderer"):
        chart.parse_helm_upgrade(["helm", "upgrade", "--install", "r", "/c", "--post-renderer", "x"], "")


def test_durations() -> None:
    assert chart.duration_seconds("5m") == 300
    assert chart.duration_seconds("1h2m3s") == 3723
    with pytest.raises(chart.ChartError):
        chart.duration_seconds("5 minutes")


def test_archives_are_plain_deterministic_docker_archives(tmp_path: Path) -> None:
    layer = Layer()
    layer.file("etc/passwd", b"root:x:0:0::/:/bin/sh\n", 0o444)
    layer.symlink("bin/sh", "bash")
    layer.dir("run/postgresql", 0o775, (999, 999))
    one = docker_archive(tmp_path / "1.tar", "x", layer.tar(), {"User": "1:1"}, "amd64")
    two = docker_archive(tmp_path / "2.tar", "x", layer.tar(), {"User": "1:1"}, "amd64")
    assert one == two and (tmp_path / "1.tar").read_bytes() == (tmp_path / "2.tar").read_bytes()
    with tarfile.open(tmp_path / "1.tar") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == [f"x:{one}"]
        with tarfile.open(fileobj=outer.extractfile(manifest[0]["Layers"][0])) as inner:
            members = {m.name: m for m in inner.getmembers()}
    assert members["run/postgresql"].uid == 999 and members["run/postgresql"].mode == 0o775
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "bash"
    assert all(m.mtime == 1 for m in members.values())
