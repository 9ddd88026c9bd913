"""Each defect the rehearsal exists to catch, put in on purpose, makes it fail, with a message that says
what broke. Real podman, real images, real chart: only the one defect differs from a passing run.

Slow (each runs the rehearsal until it fails: about 15 s, the entrypoint case about 45 s); needs root and
a working podman, like scripts/rehearse, and is skipped with the reason where those are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rehearsal.build import build_binaries
from rehearsal.run import FAILURES, Options, Rehearsal
from rehearsal.spec import DESCRIPTION, REPO, static_builds


def _podman_usable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (rootful podman), like scripts/rehearse"
    if shutil.which("podman") is None:
        return "podman is not installed (scripts/rehearse installs it)"
    return None


pytestmark = pytest.mark.skipif(_podman_usable() is not None, reason=str(_podman_usable()))


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_binaries(static_builds(["todo-backend", "todo-frontend"], tmp_path_factory.mktemp("nix")))


def rehearse_until_it_fails(tmp_path: Path, binaries: dict[str, Path], stand_ins: dict[str, Path] | None = None,
                            **options: object) -> str:
    rehearsal = Rehearsal(Options(binaries={**binaries, **(stand_ins or {})}, artifacts=tmp_path / "artifacts",
                                  **options))
    with pytest.raises(FAILURES) as failure:
        rehearsal.run()
    print(f"the rehearsal failed as it should: {failure.value}")
    return str(failure.value)


def edited_copy(source: Path, destination: Path, file: str, old: str, new: str) -> Path:
    shutil.copytree(source, destination)
    path = destination / file
    text = path.read_text()
    assert old in text, f"{path.relative_to(destination)} no longer holds {old!r}: update this test"
    path.write_text(text.replace(old, new))
    return destination


def test_a_wrong_env_name_in_the_chart(tmp_path: Path, binaries: dict[str, Path]) -> None:
    chart = edited_copy(REPO / "helm-chart", tmp_path / "chart", "templates/_env.tpl",
                        "- name: DATABASE_URL", "- name: DATABASE_URI")
    message = rehearse_until_it_fails(tmp_path, binaries, chart=chart)
    assert "backend: exited (exit code 2)" in message
    assert "DATABASE_URL is required but not set" in message


def test_a_probe_path_that_does_not_exist(tmp_path: Path, binaries: dict[str, Path]) -> None:
    chart = edited_copy(REPO / "helm-chart", tmp_path / "chart", "templates/backend/deployment.yaml",
                        '"backend" 8000 "/readyz"', '"backend" 8000 "/ready"')
    message = rehearse_until_it_fails(tmp_path, binaries, chart=chart)
    assert "backend: readinessProbe GET /ready: HTTP 404, the path does not exist" in message


# A stand-in for a service binary that keeps a file next to itself (a static C program; the real binaries
# do not do this). On a read-only root the create fails with EROFS before any permission check; on a
# writable root it would fail with EACCES (the root directory is not the user's), so the message tells
# which of the two the container really had.
WRITES_TO_ROOT = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    if (open("/todo-backend.state", O_WRONLY | O_CREAT | O_TRUNC, 0600) < 0) {
        fprintf(stderr, "cannot write /todo-backend.state: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr, "wrote /todo-backend.state on the root filesystem\n");
    return 3;
}
"""


def test_a_binary_that_writes_to_its_read_only_root(tmp_path: Path, binaries: dict[str, Path]) -> None:
    source, binary = tmp_path / "writes.c", tmp_path / "todo-backend"
    source.write_text(WRITES_TO_ROOT)
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(binary), str(source)], check=True)
    message = rehearse_until_it_fails(tmp_path, binaries, stand_ins={"todo-backend": binary})
    assert "backend: exited (exit code 1)" in message
    assert "cannot write /todo-backend.state: Read-only file system" in message


def described_with(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "nix"
    shutil.copytree(DESCRIPTION.parent, directory, ignore=shutil.ignore_patterns("tests"))
    description = json.loads((directory / DESCRIPTION.name).read_text())
    edit(description, directory)
    (directory / DESCRIPTION.name).write_text(json.dumps(description))
    return directory / DESCRIPTION.name


def test_an_image_user_that_is_not_numeric(tmp_path: Path, binaries: dict[str, Path]) -> None:
    def by_name(description: dict, _: Path) -> None:
        description["images"]["todo-backend"]["config"]["User"] = "nobody:nobody"

    message = rehearse_until_it_fails(tmp_path, binaries, description=described_with(tmp_path, by_name))
    assert "todo-backend: User 'nobody:nobody' is not a numeric uid:gid" in message


def test_the_postgres_entrypoint_failing_on_an_initialised_volume(tmp_path: Path, binaries: dict[str, Path]) -> None:
    def always_initialise(description: dict, directory: Path) -> None:
        script = directory / description["images"]["todo-postgres"]["entrypoint"]["script"]
        guard = "if [[ ! -s $PGDATA/PG_VERSION ]]; then"
        assert guard in script.read_text(), "the entrypoint no longer has its guard: update this test"
        script.write_text(script.read_text().replace(guard, "if true; then"))

    message = rehearse_until_it_fails(tmp_path, binaries, description=described_with(tmp_path, always_initialise))
    assert "postgresql: exited (exit code 1)" in message
    assert "exists but is not empty" in message
