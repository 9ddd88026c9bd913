"""The podman CLI with a containers.conf of the rehearsal's own (never the host's).

Debian's podman 4.3 runs rootful here with runc and the cgroupfs manager (crun refuses this VM's hybrid
cgroups), netavark + aardvark-dns for network aliases, and logs to files (no journald). Container ulimits
must not exceed the host's hard limits, or runc refuses to start the container.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

# Every object a run creates carries these labels, so cleanup finds them even after a crash.
RUN_LABEL = "io.todo-chatbot.rehearsal"
OWNER_LABEL = "io.todo-chatbot.rehearsal.pid"
# containerd's default open-file limit for containers; lowered to the host's hard limit when that is lower.
KUBERNETES_NOFILE = 1048576


class PodmanError(Exception):
    """A podman command failed; the message holds its stderr."""


def _limit(hard: int, ceiling: int) -> int:
    return ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)


def containers_conf() -> str:
    """Open files and processes as high as this host lets a container have them: the hard limits, and
    for processes also pid_max (conmon runs with at most that many; measured here: pid_max 32768)."""
    nofile = _limit(resource.getrlimit(resource.RLIMIT_NOFILE)[1], KUBERNETES_NOFILE)
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    nproc = _limit(resource.getrlimit(resource.RLIMIT_NPROC)[1], pid_max)
    return f"""# Written by scripts/rehearse for its own podman calls (CONTAINERS_CONF); the host's file is not used.
[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
"""


class Podman:
    def __init__(self, workdir: Path):
        self.binary = shutil.which("podman")
        if self.binary is None:
            raise PodmanError("podman is not installed (scripts/rehearse installs it with apt-get)")
        self.conf = workdir / "containers.conf"
        self.conf.write_text(containers_conf())
        self.env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise PodmanError(f"podman {' '.join(args[:2])} did not finish within {timeout:.0f} s") from err
        if check and proc.returncode != 0:
            raise PodmanError(f"podman {' '.join(args[:2])} failed (exit {proc.returncode}): "
                              f"{proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def out(self, *args: str, timeout: float | None = 120) -> str:
        return self.run(*args, timeout=timeout).stdout.strip()

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        found = json.loads(self.out(kind, "inspect", name))
        # `podman pod inspect` (4.3) prints one object, the other kinds a list of one.
        return found[0] if isinstance(found, list) else found

    def info(self) -> dict[str, Any]:
        return json.loads(self.out("info", "--format", "json"))

    def logs(self, container: str) -> str:
        proc = self.run("logs", container, check=False)
        return proc.stdout + proc.stderr
