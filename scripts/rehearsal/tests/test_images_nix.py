"""nix/images.nix, evaluated by the real Nix evaluator with a stand-in `pkgs` (no nixpkgs, store or build):
every image it asks dockerTools for carries exactly the config, contents and fake-root commands of
nix/images.json, templates filled as scripts/rehearsal/spec.py fills them for the rehearsal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from rehearsal.spec import DESCRIPTION, REPO, load_images

NIX = shutil.which("nix-instantiate")
pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not installed (Debian: apt-get install nix-bin)")
POSTGRESQL_VERSION = "17.7"

# dockerTools and the packages images.nix uses, each returning what it was called with, and the few
# nixpkgs lib functions it needs, written with builtins.
STAND_INS = """
let
  lib = {
    mapAttrs = builtins.mapAttrs;
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
    concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
    optionalAttrs = cond: attrs: if cond then attrs else { };
  };
  pkgs = {
    inherit lib;
    coreutils = "<coreutils>";
    bashInteractive = "<bashInteractive>";
    postgresql = { version = "VERSION"; outPath = "<postgresql>"; };
    writeShellApplication = args: { writeShellApplication = args; };
    linkFarm = name: entries: { linkFarm = { inherit name entries; }; };
    dockerTools = {
      caCertificates = "<caCertificates>";
      fakeNss = { override = args: { fakeNss = args; }; };
      buildLayeredImage = args: args // { imageTag = "tag-of-${args.name}"; };
    };
  };
in
import REPO/nix/images.nix {
  inherit pkgs;
  helpers = import REPO/nix/lib.nix;
  packages = {
    workspace = (import REPO/nix/lib.nix).workspacePackage REPO/Cargo.toml;
    todo-backend = "<todo-backend>";
    todo-frontend = "<todo-frontend>";
  };
}
"""


@pytest.fixture(scope="module")
def evaluated() -> dict:
    expr = STAND_INS.replace("REPO", str(REPO)).replace("VERSION", POSTGRESQL_VERSION)
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    proc = subprocess.run([NIX, "--eval", "--strict", "--json", "-"], input=expr, capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_image_of_the_description_is_built(evaluated: dict) -> None:
    names = set(json.loads(DESCRIPTION.read_text())["images"])
    assert names == {"todo-backend", "todo-frontend", "todo-postgres"}
    assert {k for k in evaluated if k.startswith("todo-")} == names
    assert evaluated["imageTags"] == {"backend": "tag-of-todo-backend", "frontend": "tag-of-todo-frontend",
                                      "postgres": "tag-of-todo-postgres"}
    farm = evaluated["all"]["linkFarm"]
    assert sorted(e["name"] for e in farm["entries"]) == [f"{n}.tar" for n in sorted(names)]


def test_configs_are_the_description_with_filled_labels(evaluated: dict) -> None:
    for name, spec in load_images(POSTGRESQL_VERSION).items():
        image = evaluated[name]
        assert image["name"] == name
        assert image["compressor"] == "none", "kind loads plain docker-archives only"
        assert image["config"] == spec.config, name
    assert evaluated["todo-postgres"]["config"]["Labels"]["org.opencontainers.image.description"] == \
        f"PostgreSQL {POSTGRESQL_VERSION} for the Todo AI Chatbot"


def test_contents_are_the_named_parts(evaluated: dict) -> None:
    backend = evaluated["todo-backend"]["contents"]
    assert backend == ["<todo-backend>", "<caCertificates>",
                       {"fakeNss": {"extraPasswdLines": [], "extraGroupLines": []}}]
    postgres = evaluated["todo-postgres"]["contents"]
    spec = json.loads(DESCRIPTION.read_text())["images"]["todo-postgres"]
    entrypoint = postgres[1]["writeShellApplication"]
    assert postgres[0] == "<postgresql>" and postgres[2:4] == ["<bashInteractive>", "<coreutils>"]
    assert postgres[4] == {"fakeNss": {"extraPasswdLines": spec["extraPasswdLines"],
                                       "extraGroupLines": spec["extraGroupLines"]}}
    assert entrypoint["name"] == spec["entrypoint"]["name"]
    assert entrypoint["runtimeInputs"] == ["<postgresql>", "<coreutils>"]
    assert entrypoint["text"] == (REPO / "nix" / spec["entrypoint"]["script"]).read_text()
    assert f"/bin/{entrypoint['name']}" == spec["config"]["Entrypoint"][0]


def test_directories_become_fake_root_commands(evaluated: dict) -> None:
    assert "fakeRootCommands" not in evaluated["todo-backend"]
    commands = evaluated["todo-postgres"]["fakeRootCommands"]
    for directory in json.loads(DESCRIPTION.read_text())["images"]["todo-postgres"]["directories"]:
        path = directory["path"]
        assert f"mkdir -p {path}\nchown {directory['owner']} {path}\nchmod {directory['mode']} {path}\n" in commands
