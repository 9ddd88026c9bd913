"""The images' binaries, built as nix/packages.nix has crane build them: the same cargo environment (target,
RUSTFLAGS, SQLX_OFFLINE), profile and arguments, one cargo invocation per package (so features unify per
package, as in a separate crane build). Cargo's own cache makes a second run cheap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .spec import REPO, StaticBuild


class BuildError(Exception):
    """cargo failed; its output is already on stderr."""


def build_binaries(builds: dict[str, StaticBuild], repo: Path = REPO) -> dict[str, Path]:
    # RUSTFLAGS from the caller's shell would win over CARGO_BUILD_RUSTFLAGS; the Nix build has none.
    inherited = {k: v for k, v in os.environ.items() if k not in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS")}
    target_dir = Path(inherited.get("CARGO_TARGET_DIR", repo / "target"))
    binaries = {}
    for package, build in builds.items():
        command = ["cargo", "build", "--profile", build.profile, *build.cargo_args]
        shown = " ".join(f"{k}='{v}'" for k, v in sorted(build.env.items()))
        print(f"    $ {shown} {' '.join(command)}", flush=True)
        if subprocess.run(command, cwd=repo, env={**inherited, **build.env}, stdout=sys.stderr).returncode != 0:
            raise BuildError(f"cargo build of {package} for {build.target} failed")
        binaries[package] = target_dir / build.target / build.profile / package
    return binaries
