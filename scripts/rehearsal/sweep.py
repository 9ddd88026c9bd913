"""Leftovers of earlier rehearsals that were killed before their cleanup ran (SIGKILL, a lost machine): every
object a run creates carries its run id and owner pid, and its work directory records the images it loaded.
Only runs whose owner process is gone are removed, so two rehearsals can run side by side."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from .podman import OWNER_LABEL, RUN_LABEL, Podman

WORKDIRS = Path("/var/tmp")
RECORD = "owner.json"


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def record(workdir: Path, run_id: str, images: list[str]) -> None:
    (workdir / RECORD).write_text(json.dumps({"run": run_id, "pid": os.getpid(), "images": images}))


def _unmount_below(directory: Path) -> None:
    """The tmpfs volumes a killed run left mounted in its work directory."""
    mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mountpoint in sorted((m for m in mounted if m.startswith(f"{directory}/")), reverse=True):
        subprocess.run(["umount", mountpoint], capture_output=True)


def sweep_stale_runs(podman: Podman) -> None:
    stale_runs = set()
    for kind in ("pod", "container", "network"):
        listing = ["ps", "--all"] if kind == "container" else ["ls"] if kind == "network" else ["ps"]
        command = [*listing, "--filter", f"label={RUN_LABEL}", "--format", "json"]
        objects = json.loads(podman.out(*([kind] if kind != "container" else []), *command) or "[]")
        for obj in objects:
            labels = obj.get("Labels") or obj.get("labels") or {}
            if not _alive(labels.get(OWNER_LABEL, "")):
                stale_runs.add(labels.get(RUN_LABEL))
                name = obj.get("Name") or obj.get("name") or (obj.get("Names") or [""])[0]
                if kind == "pod":
                    podman.run("pod", "rm", "--force", "--time", "0", name, check=False)
                elif kind == "container":
                    podman.run("rm", "--force", "--time", "0", name, check=False)
                else:
                    podman.run("network", "rm", "--force", name, check=False)
    for directory in WORKDIRS.glob("todo-rehearsal-*"):
        try:
            owner = json.loads((directory / RECORD).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(str(owner.get("pid"))):
            for image in owner.get("images", []):
                podman.run("image", "rm", "--force", image, check=False)
            _unmount_below(directory)
            shutil.rmtree(directory, ignore_errors=True)
            stale_runs.add(owner.get("run"))
    if stale_runs:
        print(f"    removed the leftovers of {len(stale_runs)} earlier rehearsal(s) that did not clean up",
              flush=True)
