"""The binaries under test, built as they ship, and running copies of them.

glibc: `cargo build` for the host, as the test run builds the binaries. musl: exactly what nix/packages.nix gives crane
for the images (the rehearsal evaluates the flake for it and builds the same way, into the same target dir),
and once more on musl's own allocator (`--features service-kit/system-allocator`) for the comparison."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rehearsal.build import build_binaries
from rehearsal.spec import REPO, StaticBuild, static_builds

from .system import cpu_seconds, memory_kib, reset_peak_memory

PACKAGES = ("todo-backend", "todo-frontend")
SYSTEM_ALLOCATOR = ("--features", "service-kit/system-allocator")


@dataclass(frozen=True)
class Build:
    name: str
    description: str
    binaries: dict[str, Path]


def _keep(binaries: dict[str, Path], into: Path) -> dict[str, Path]:
    """Copies the binaries away, so the next build of the same target cannot overwrite them."""
    into.mkdir(parents=True, exist_ok=True)
    kept = {}
    for package, binary in binaries.items():
        kept[package] = into / package
        shutil.copy2(binary, kept[package])
    return kept


def build_all(names: list[str], profile: str, work: Path) -> list[Build]:
    builds = []
    static: dict[str, StaticBuild] = {}
    if any(name.startswith("musl") for name in names):
        static = static_builds(list(PACKAGES), work)
    for name in names:
        print(f"==> building {name}", flush=True)
        if name == "glibc":
            binaries = host_build(profile)
            description = f"glibc (the host target), cargo profile `{profile}`"
        elif name in ("musl", "musl-system-malloc"):
            extra = SYSTEM_ALLOCATOR if name == "musl-system-malloc" else ()
            builds_of = {package: StaticBuild(build.env, build.profile, (*build.cargo_args, *extra))
                         for package, build in static.items()}
            binaries = build_binaries(builds_of)
            target = next(iter(static.values())).target
            description = (f"static musl ({target}, the images' build), "
                           + ("musl's own malloc" if extra else "as shipped"))
        else:
            raise SystemExit(f"unknown build {name}")
        builds.append(Build(name, description, _keep(binaries, work / "bin" / name)))
    return builds


def host_build(profile: str) -> dict[str, Path]:
    """Both binaries for the host, with the command the test run builds them with (so its artifacts serve)."""
    command = ["cargo", "build", "--profile", profile, "--locked", *(f"--bin={package}" for package in PACKAGES)]
    print(f"    $ {' '.join(command)}", flush=True)
    if subprocess.run(command, cwd=REPO, stdout=sys.stderr, check=False).returncode != 0:
        raise RuntimeError("cargo build of the glibc binaries failed")
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return {package: target_dir / ("debug" if profile == "dev" else profile) / package for package in PACKAGES}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """One running binary; its logs go where the chart sends them (JSON on stdout) and are discarded here."""
    name: str
    process: subprocess.Popen
    base: str
    stderr: Path
    cpu_mark: float = field(default=0.0)

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def rss_kib(self) -> int:
        return memory_kib(self.process.pid, "VmRSS")

    def peak_kib(self) -> int:
        return memory_kib(self.process.pid, "VmHWM")

    def reset_peak(self) -> bool:
        return reset_peak_memory(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, binary: Path, env: dict[str, str], logs: Path, keep_logs: bool = False) -> Service:
    port = free_port()
    stderr = logs / f"{name}.stderr"
    stdout = (logs / f"{name}.log").open("w") if keep_logs else subprocess.DEVNULL
    process = subprocess.Popen([str(binary)], env={**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)},
                               stdout=stdout, stderr=stderr.open("w"))
    service = Service(name, process, f"http://127.0.0.1:{port}", stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {stderr.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{service.base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return service
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"{name} never became ready")


def start_pair(build: Build, database_url: str, secret: str, logs: Path, tag: str,
               backend_env: dict[str, str] | None = None, keep_logs: bool = False) -> tuple[Service, Service]:
    """A backend and a frontend in front of it, configured as the chart configures them."""
    backend = start(f"{tag}-backend", build.binaries["todo-backend"], {
        "DATABASE_URL": database_url, "AUTH_SECRET": secret, "TRUSTED_PROXIES": "127.0.0.1,::1",
        # The rows create thousands of tasks and chat turns as one user; the quotas would cut them short.
        "QUOTA_TASKS_PER_USER": "0", "QUOTA_CHAT_TURNS_PER_MINUTE": "0",
        "LOG_FORMAT": "json", "RUST_LOG": "info", **(backend_env or {})}, logs, keep_logs)
    frontend = start(f"{tag}-frontend", build.binaries["todo-frontend"], {
        "BACKEND_URL": backend.base, "LOG_FORMAT": "json", "RUST_LOG": "info"}, logs, keep_logs)
    return backend, frontend
