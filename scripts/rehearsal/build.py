"""The images' binaries, built like nix/packages.nix builds them: release profile, static musl target,
the same RUSTFLAGS and cargo arguments, one cargo invocation per package (so features unify per package,
as in a separate crane build), `SQLX_OFFLINE=true`. Cargo's own cache makes a second run cheap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .spec import REPO, StaticBuild


class BuildError(Exception):
    """cargo failed; its output is already on stderr."""


def build_binaries(build: StaticBuild, packages: list[str], repo: Path = REPO) -> dict[str, Path]:
    # RUSTFLAGS from the caller's shell would win over CARGO_BUILD_RUSTFLAGS; the Nix build has none.
    inherited = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")}
    env = {**inherited, "CARGO_BUILD_TARGET": build.target, "CARGO_BUILD_RUSTFLAGS": build.rustflags,
           "SQLX_OFFLINE": "true"}
    target_dir = Path(env.get("CARGO_TARGET_DIR", repo / "target"))
    for package in packages:
        command = ["cargo", "build", "--release", *build.args_for(package)]
        print(f"    $ CARGO_BUILD_TARGET={build.target} CARGO_BUILD_RUSTFLAGS='{build.rustflags}' "
              + " ".join(command), flush=True)
        if subprocess.run(command, cwd=repo, env=env, stdout=sys.stderr).returncode != 0:
            raise BuildError(f"cargo build of {package} for {build.target} failed")
    return {package: target_dir / build.target / "release" / package for package in packages}
