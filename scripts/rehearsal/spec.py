"""What the flake says the images and binaries are: nix/images.json (also read by nix/images.nix), the
workspace's version and repository (Cargo.toml), and the static build's target and flags (nix/lib.nix and
nix/packages.nix, read as text because they cannot be evaluated without nixpkgs)."""

from __future__ import annotations

import json
import platform
import re
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
    target: str
    rustflags: str
    # Extra cargo arguments per package, `${name}` already replaced.
    cargo_args: tuple[str, ...]

    def args_for(self, package: str) -> list[str]:
        return [arg.replace("${name}", package) for arg in self.cargo_args]


def static_build(repo: Path = REPO) -> StaticBuild:
    """The musl target of this machine's system and the flags nix/packages.nix builds the images' binaries with."""
    system = {"x86_64": "x86_64-linux", "aarch64": "aarch64-linux"}.get(platform.machine())
    if system is None:
        raise SpecError(f"no image build for machine {platform.machine()}")
    lib = (repo / "nix" / "lib.nix").read_text()
    target = re.search(rf'\b{re.escape(system)}\s*=\s*"([^"]+)"', lib)
    packages = (repo / "nix" / "packages.nix").read_text()
    rustflags = re.search(r'CARGO_BUILD_RUSTFLAGS\s*=\s*"([^"]*)"', packages)
    extra = re.search(r'cargoExtraArgs\s*=\s*"([^"]*)"', packages)
    missing = [what for what, found in (("the musl target of " + system + " in nix/lib.nix", target),
                                        ("CARGO_BUILD_RUSTFLAGS in nix/packages.nix", rustflags),
                                        ("cargoExtraArgs in nix/packages.nix", extra)) if not found]
    if missing:
        raise SpecError("cannot read " + ", ".join(missing) + "; update scripts/rehearsal/spec.py to match")
    return StaticBuild(target.group(1), rustflags.group(1), tuple(extra.group(1).split()))
