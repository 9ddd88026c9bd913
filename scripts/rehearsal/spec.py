"""What the flake says the images and binaries are: nix/images.json (also read by nix/images.nix), the
workspace's version and repository (Cargo.toml), and the environment and arguments crane builds each binary
with (the flake evaluated with nix/tests' stand-in inputs)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DESCRIPTION = REPO / "nix" / "images.json"


class SpecError(Exception):
    """The flake's files no longer say what the rehearsal reads from them."""


@dataclass(frozen=True)
class ImageSpec:
    name: str
    entry: dict[str, Any]
    labels: dict[str, str]
    # Where relative file names of the description (the entrypoint script) are found.
    base_dir: Path

    @property
    def config(self) -> dict[str, Any]:
        return {**self.entry["config"], "Labels": self.labels}

    @property
    def contents(self) -> list[str]:
        return self.entry["contents"]

    @property
    def size_budget(self) -> int | None:
        return self.entry.get("sizeBudgetBytes")


def workspace_package(repo: Path = REPO) -> dict[str, Any]:
    return tomllib.loads((repo / "Cargo.toml").read_text())["workspace"]["package"]


def load_images(postgresql_version: str, description: Path = DESCRIPTION,
                repo: Path = REPO) -> dict[str, ImageSpec]:
    """Every image of the description, its templates filled exactly as nix/images.nix fills them."""
    spec = json.loads(description.read_text())
    package = workspace_package(repo)
    images = {}
    for name, entry in spec["images"].items():
        common = {"@version@": package["version"], "@source@": package["repository"],
                  "@postgresql@": postgresql_version}
        described = _fill(entry["description"], common)
        values = {"@name@": name, "@description@": described, **common}
        labels = {key: _fill(template, values) for key, template in spec["labels"].items()}
        images[name] = ImageSpec(name, {**entry, "description": described}, labels, description.parent)
    return images


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(key, value)
    return template


@dataclass(frozen=True)
class StaticBuild:
    """How the flake builds one package's binary: the cargo environment and arguments crane gets."""
    env: dict[str, str]
    profile: str
    cargo_args: tuple[str, ...]

    @property
    def target(self) -> str:
        return self.env["CARGO_BUILD_TARGET"]


# The flake's outputs, evaluated by the real Nix evaluator with the stand-in inputs of nix/tests (fake crane
# builders that record their arguments), down to the arguments each package is built with.
EVALUATE = """
let
  inherit (import REPO/nix/tests/flake-call.nix) outputs;
  packages = outputs.packages.SYSTEM;
  cargoEnv = attrs: builtins.listToAttrs (map (name: { inherit name; value = toString attrs.${name}; }) (
    builtins.filter (name: builtins.match "(CARGO_|RUST|SQLX_).*" name != null) (builtins.attrNames attrs)));
in
builtins.mapAttrs (_: drv: {
  env = cargoEnv drv.drvAttrs;
  cargoExtraArgs = drv.drvAttrs.cargoExtraArgs or "";
  profile = drv.drvAttrs.CARGO_PROFILE or "release";
}) { inherit (packages) PACKAGES; }
"""


def static_builds(packages: list[str], scratch: Path, repo: Path = REPO) -> dict[str, StaticBuild]:
    """What nix/packages.nix gives crane for each package on this machine's Linux system."""
    system = {"x86_64": "x86_64-linux", "aarch64": "aarch64-linux"}.get(platform.machine())
    if system is None:
        raise SpecError(f"no image build for machine {platform.machine()}")
    expr = (EVALUATE.replace("REPO", str(repo)).replace("SYSTEM", system)
            .replace("PACKAGES", " ".join(packages)))
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    proc = subprocess.run(["nix-instantiate", "--store", str(scratch / "nix-store"), "--eval", "--strict", "--json",
                           "-"], input=expr, capture_output=True, text=True, env=env, timeout=120)
    if proc.returncode != 0:
        raise SpecError(f"evaluating the flake's packages failed: {proc.stderr.strip()[-2000:]}")
    found = json.loads(proc.stdout)
    return {name: StaticBuild(args["env"], args["profile"], tuple(args["cargoExtraArgs"].split()))
            for name, args in found.items()}
