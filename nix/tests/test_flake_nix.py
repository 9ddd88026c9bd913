"""The Nix checks of scripts/check-nix catch what they are for, shown on copies of the repository with the
mistake put back (the real Nix evaluator, stand-in inputs, a scratch store; nothing is built)."""

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
    replace_in(repo / "nix" / "checks.nix", "pkgs.procps", "pkgs.procpss")


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
        (missing_package_deep_down, "nix/tests/flake-outputs.nix", "attribute 'procpss' missing"),
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

