"""The Nix checks of scripts/check-nix catch what they are for, shown on copies of the repository with the
mistake put back (the real Nix evaluator, stand-in inputs, a scratch store; nothing is built). And the nextest
check's PostgreSQL start as root, run with fake initdb/pg_ctl/runuser/id (the real ones need a Nix build)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO

NIX = shutil.which("nix-instantiate")
pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not installed (Debian: apt-get install nix-bin)")


def evaluate(root, path, *args, expr=None, store):
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    command = [NIX, "--store", str(store), "--eval", "--strict", *args, *([] if expr else [path])]
    if expr:
        command.append("-")
    return subprocess.run(command, cwd=root, input=expr, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def repo_copy(tmp_path):
    """The repository's tracked and new files, without build output."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    copy = tmp_path / "repo"
    for name in files:
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    return copy


def test_flake_outputs_evaluate_with_stand_in_inputs(tmp_path):
    result = evaluate(REPO, "nix/tests/flake-outputs.nix", store=tmp_path / "store")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "true"


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new))


def without_ellipsis(repo):
    """Nix always adds `self` (call-flake.nix); an `outputs` pattern without `...` or `self` refuses it."""
    replace_in(repo / "flake.nix", "      rust-overlay,\n      ...\n    }:", "      rust-overlay,\n    }:")


def missing_package_deep_down(repo):
    replace_in(repo / "nix" / "checks.nix", "pkgs.util-linux", "pkgs.util-linuxx")


def crane_on_a_branch(repo):
    replace_in(repo / "flake.nix", '"github:ipetkov/crane/v0.23.4"', '"github:ipetkov/crane"')
    lock = json.loads((repo / "flake.lock").read_text())
    del lock["nodes"]["crane"]["original"]["ref"]
    (repo / "flake.lock").write_text(json.dumps(lock))


def lock_behind_flake_nix(repo):
    replace_in(repo / "flake.nix", "nixos-25.11", "nixos-26.05")


@pytest.mark.parametrize(
    ("mistake", "checker", "message"),
    [
        (without_ellipsis, "nix/tests/flake-outputs.nix", "called with unexpected argument 'self'"),
        (missing_package_deep_down, "nix/tests/flake-outputs.nix", "attribute 'util-linuxx' missing"),
        (crane_on_a_branch, "nix/lock-test.nix", "pin crane to a release tag"),
        (lock_behind_flake_nix, "nix/lock-test.nix", "the original of nixpkgs differs from its URL in flake.nix"),
    ],
)
def test_the_checks_catch_their_mistake(repo_copy, tmp_path, mistake, checker, message):
    assert evaluate(repo_copy, checker, store=tmp_path / "store").returncode == 0
    mistake(repo_copy)
    result = evaluate(repo_copy, checker, store=tmp_path / "store")
    assert result.returncode == 1
    assert message in result.stderr


# --- the nextest check's PostgreSQL ---------------------------------------------------------------------

FAKE_TOOL = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >>"$CALLS"
"""


def nextest_hooks(tmp_path):
    expr = ("let c = (import ./nix/tests/flake-call.nix).outputs.checks.x86_64-linux.nextest.drvAttrs; "
            "in { inherit (c) preCheck postCheck; }")
    result = evaluate(REPO, None, "--json", expr=expr, store=tmp_path / "store")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_hooks(tmp_path, uid, postgres_user):
    hooks = nextest_hooks(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("initdb", "pg_ctl", "runuser", "chown", "chmod"):
        (bin_dir / tool).write_text(FAKE_TOOL + ('shift 3; exec "$@"\n' if tool == "runuser" else ""))
        (bin_dir / tool).chmod(0o755)
    # `id -u` prints the uid; `id postgres` succeeds only when the user exists.
    (bin_dir / "id").write_text(
        f'#!/usr/bin/env bash\nif [ "$1" = -u ]; then echo {uid}; else {"true" if postgres_user else "false"}; fi\n')
    (bin_dir / "id").chmod(0o755)
    build = tmp_path / "build"
    build.mkdir()
    calls = tmp_path / "calls"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(build), "CALLS": str(calls)}
    script = f"set -eu -o pipefail\n{hooks['preCheck']}\n{hooks['postCheck']}\n"
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_nextest_postgres_runs_as_the_build_user(tmp_path):
    result, calls = run_hooks(tmp_path, uid=30001, postgres_user=False)
    assert result.returncode == 0, result.stderr
    assert [c.split()[0] for c in calls] == ["initdb", "pg_ctl", "pg_ctl"]


def test_nextest_postgres_runs_as_postgres_when_the_build_is_root(tmp_path):
    result, calls = run_hooks(tmp_path, uid=0, postgres_user=True)
    assert result.returncode == 0, result.stderr
    build = tmp_path / "build"
    assert calls[0] == f"chmod 755 {build}"
    assert calls[1] == f"chown postgres {build}/postgres"
    assert calls[2].startswith("runuser -u postgres -- initdb ")
    assert calls[3] == calls[2].split(" -- ", 1)[1]
    assert [c.split()[0] for c in calls[4:]] == ["runuser", "pg_ctl", "runuser", "pg_ctl"]


def test_nextest_as_root_without_a_postgres_user_says_what_to_do(tmp_path):
    result, calls = run_hooks(tmp_path, uid=0, postgres_user=False)
    assert result.returncode == 1
    assert "PostgreSQL refuses root" in result.stderr and "useradd --system postgres" in result.stderr
    assert calls == []


def test_compile_time_data_lives_where_the_package_sources_take_it():
    """nix/sources.nix gives the backend's package backend/.sqlx and backend/migrations and the frontend's its
    templates and static files; sqlx data or migrations anywhere else would be missing from a package build."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    sqlx = {path.rsplit("/.sqlx/", 1)[0] for path in tracked if "/.sqlx/" in f"/{path}"}
    migrations = {path.rsplit("/migrations/", 1)[0] for path in tracked
                  if path.endswith(".sql") and "/migrations/" in path}
    assert sqlx == {"backend"}, f"sqlx offline data in {sorted(sqlx)}: add it to nix/sources.nix"
    assert migrations == {"backend"}, f"migrations in {sorted(migrations)}: add them to nix/sources.nix"
