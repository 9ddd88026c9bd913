"""nix/apps.nix, evaluated by the real Nix evaluator with a fake `pkgs` (no Nix store or build needed): the
apps the flake gets, the prelude that hands the build's paths and tags to the scripts, and that wrapped
script running end to end (--dry-run, STUB tools of stub_tools.py)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import NIX_DIR

NIX = shutil.which("nix-instantiate")
pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not installed (Debian: apt-get install nix-bin)")

# writeShellApplication is faked to return its arguments as JSON where the store path would be.
FAKE = """
let
  tool = name: "/fake/${name}";
  pkgs = {
    kind = tool "kind"; kubectl = tool "kubectl"; kubernetes-helm = tool "helm";
    jq = tool "jq"; gnutar = tool "tar"; coreutils = tool "coreutils";
    writeShellApplication = args: builtins.toJSON args;
  };
in import NIX_DIR/apps.nix {
  inherit pkgs;
  images = "IMAGES";
  imageTags = TAGS;
  chart = "CHART";
}
"""


def nix(*args, expr):
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    result = subprocess.run([NIX, *args], input=expr, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def apps(images, chart, tags):
    nix_tags = "{ " + " ".join(f"{k} = {json.dumps(v)};" for k, v in tags.items()) + " }"
    expr = FAKE.replace("NIX_DIR", str(NIX_DIR)).replace('"IMAGES"', json.dumps(str(images)))
    expr = expr.replace('"CHART"', json.dumps(str(chart))).replace("TAGS", nix_tags)
    return json.loads(nix("--eval", "--strict", "--json", "-", expr=expr))


def wrapper(app):
    program = app["program"]
    name = program.rsplit("/bin/", 1)[1]
    args = json.loads(program.removesuffix(f"/bin/{name}"))
    assert args["name"] == name
    return args


def test_parses():
    nix("--parse", str(NIX_DIR / "apps.nix"), expr="")


def test_apps_and_their_runtime_inputs(sandbox):
    result = apps(sandbox.images, "/chart", {"backend": "b0", "frontend": "f0", "postgres": "p'0"})
    assert set(result) == {"deploy-kind", "kind-down"}
    for app in result.values():
        assert app["type"] == "app" and app["meta"]["description"]
        inputs = wrapper(app)["runtimeInputs"]
        assert {"/fake/kind", "/fake/kubectl", "/fake/helm", "/fake/jq", "/fake/tar"} <= set(inputs)
    text = wrapper(result["deploy-kind"])["text"]
    assert not text.startswith("#!")
    assert f"export TODO_IMAGES_DIR='{sandbox.images}'\n" in text
    assert "export TODO_CHART_DIR='/chart'\n" in text
    assert "export TODO_POSTGRES_TAG='p'\\''0'\n" in text
    assert "export TODO_BACKEND_TAG='b0'\n" in text


def test_wrapped_script_uses_the_flake_paths_and_tags(sandbox, tmp_path):
    from conftest import CHART

    sandbox.set_images("b0")
    tags = {"backend": "b0", "frontend": "b0", "postgres": "b0"}
    text = wrapper(apps(sandbox.images, CHART, tags)["deploy-kind"])["text"]
    # What writeShellApplication writes around `text` (trivial-builders/default.nix).
    script = tmp_path / "deploy-kind"
    script.write_text("#!/usr/bin/env bash\nset -o errexit\nset -o nounset\nset -o pipefail\n" + text)
    shellcheck = shutil.which("shellcheck") or str(NIX_DIR.parent / ".venv/bin/shellcheck")
    if os.path.exists(shellcheck):
        check = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    env = sandbox.env()
    for key in ("TODO_IMAGES_DIR", "TODO_CHART_DIR", "TODO_BACKEND_TAG", "TODO_FRONTEND_TAG", "TODO_POSTGRES_TAG"):
        env.pop(key)
    result = subprocess.run([sandbox.bash, str(script), "--dry-run"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"--values {CHART}/values-kind.yaml" in result.stdout
    assert "--set backend.image.tag=b0" in result.stdout
