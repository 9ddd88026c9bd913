"""nix/apps.nix, evaluated by the real Nix evaluator with a fake `pkgs` in a scratch store (no build): the apps
the flake gets, the store copy of the scripts they run, and that wrapper running end to end (--dry-run and a
real run against the STUB tools of stubs/)."""

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import CHART, NIX_DIR, REPO

NIX = shutil.which("nix-instantiate")
pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not installed (Debian: apt-get install nix-bin)")

# writeShellApplication is faked to return its arguments as JSON where the store path would be.
FAKE = """
let
  tool = name: "/fake/${name}";
  pkgs = {
    kind = tool "kind"; kubectl = tool "kubectl"; kubernetes-helm = tool "helm";
    jq = tool "jq"; gnutar = tool "tar"; coreutils = tool "coreutils";
    runtimeShell = RUNTIME_SHELL;
    writeShellApplication = args: builtins.toJSON args;
  };
in import NIX_DIR/apps.nix {
  inherit pkgs;
  images = IMAGES;
  imageTags = TAGS;
  chart = CHART;
}
"""


def apps(store, images, chart, tags, shell="/fake/bash"):
    nix_tags = "{ " + " ".join(f"{k} = {json.dumps(v)};" for k, v in tags.items()) + " }"
    expr = (FAKE.replace("NIX_DIR", str(NIX_DIR)).replace("IMAGES", json.dumps(str(images)))
            .replace("CHART", json.dumps(str(chart))).replace("TAGS", nix_tags)
            .replace("RUNTIME_SHELL", json.dumps(shell)))
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    # --read-write-mode: builtins.path really copies the scripts into the scratch store, as `nix run` would.
    result = subprocess.run([NIX, "--store", str(store), "--read-write-mode", "--eval", "--strict", "--json", "-"],
                            input=expr, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wrapper(app):
    program = app["program"]
    name = program.rsplit("/bin/", 1)[1]
    args = json.loads(program.removesuffix(f"/bin/{name}"))
    assert args["name"] == name
    return args


def copied_scripts(store, text):
    """The scripts' store path named in the wrapper, and where the scratch store holds it."""
    path = re.search(r"(/nix/store/[a-z0-9]{32}-todo-chatbot-kind-scripts)/", text).group(1)
    return path, store / path.lstrip("/")


def test_apps_and_their_runtime_inputs(sandbox, tmp_path):
    result = apps(tmp_path / "store", sandbox.images, "/chart", {"backend": "b0", "frontend": "f0", "postgres": "p'0"})
    assert set(result) == {"deploy-kind", "kind-down"}
    for app in result.values():
        assert app["type"] == "app" and app["meta"]["description"]
        inputs = wrapper(app)["runtimeInputs"]
        assert {"/fake/kind", "/fake/kubectl", "/fake/helm", "/fake/jq", "/fake/tar", "/fake/coreutils"} <= set(inputs)
    text = wrapper(result["deploy-kind"])["text"]
    assert f"export TODO_IMAGES_DIR='{sandbox.images}'\n" in text
    assert "export TODO_CHART_DIR='/chart'\n" in text
    assert "export TODO_POSTGRES_TAG='p'\\''0'\n" in text
    assert "export TODO_BACKEND_TAG='b0'\n" in text
    assert re.search(r'^exec /fake/bash /nix/store/\S+/deploy-kind\.sh "\$@"$', text, re.M)
    assert "TODO_" not in wrapper(result["kind-down"])["text"]


def test_the_store_copy_holds_exactly_the_scripts_and_their_step_files(sandbox, tmp_path):
    store = tmp_path / "store"
    text = wrapper(apps(store, sandbox.images, "/chart", {"backend": "b", "frontend": "f", "postgres": "p"})["deploy-kind"])["text"]
    _, copy = copied_scripts(store, text)
    copied = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "nix/deploy-kind.sh", "nix/kind-down.sh", "nix/kind"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert copied == sorted(path.removeprefix("nix/") for path in tracked)
    for path in copied:
        assert (copy / path).read_text() == (NIX_DIR / path).read_text()


def run_wrapper(sandbox, tmp_path, *args):
    store = tmp_path / "store"
    sandbox.set_images("b0")
    tags = {"backend": "b0", "frontend": "b0", "postgres": "b0"}
    text = wrapper(apps(store, sandbox.images, CHART, tags, shell=sandbox.bash)["deploy-kind"])["text"]
    path, copy = copied_scripts(store, text)
    # What writeShellApplication writes around `text` (trivial-builders/default.nix); the store path is read
    # from where the scratch store keeps it.
    script = tmp_path / "deploy-kind"
    script.write_text("#!/usr/bin/env bash\nset -o errexit\nset -o nounset\nset -o pipefail\n"
                      + text.replace(path, str(copy)))
    env = sandbox.env()
    for key in ("TODO_IMAGES_DIR", "TODO_CHART_DIR", "TODO_BACKEND_TAG", "TODO_FRONTEND_TAG", "TODO_POSTGRES_TAG"):
        env.pop(key)
    sandbox.log.write_text("")
    return subprocess.run([sandbox.bash, str(script), *args], env=env, capture_output=True, text=True, timeout=120)


def test_wrapped_script_uses_the_flake_paths_and_tags(sandbox, tmp_path):
    result = run_wrapper(sandbox, tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"--values {CHART}/values-kind.yaml" in result.stdout
    assert "--set backend.image.tag=b0" in result.stdout


def test_wrapped_script_deploys_against_the_stubs(sandbox, tmp_path):
    result = run_wrapper(sandbox, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Todo AI Chatbot is up: http://localhost:8080/" in result.stdout
    assert "StatefulSet/todo/todo-todo-chatbot-postgresql" in sandbox.cluster()["objects"]
