"""The three images of nix/images.json, assembled from this machine's parts and saved as docker-archives.

Each name in an image's `contents` stands for a Nix package in nix/images.nix; here it becomes:
  package         the static musl binary of the workspace package of the same name, at /bin/<name>
  caCertificates  the host's CA bundle at the three paths of dockerTools.caCertificates
  fakeNss         /etc/passwd, /etc/group, /etc/nsswitch.conf and /var/empty as nixpkgs' fakeNss writes them,
                  with the image's extraPasswdLines/extraGroupLines
  postgresql      Debian's PostgreSQL server (binaries, modules, share files, time zones) and its libraries,
                  every binary also on /bin like in a Nix profile
  entrypoint      the entrypoint script wrapped as writeShellApplication wraps it (strict bash, runtimeInputs
                  on PATH)
  bash, coreutils Debian's bash (also /bin/sh) and coreutils, on /bin
Differences that remain: files are copies where Nix has symlinks into /nix/store, and the PostgreSQL is
Debian's, not nixpkgs' (also a different major version).
"""

from __future__ import annotations

import glob
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .layer import Layer, docker_archive
from .spec import ImageSpec

CA_SOURCE = Path("/etc/ssl/certs/ca-certificates.crt")
ARCHITECTURE = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
# JIT code generation (LLVM, ~100 MB of libraries) is optional and off without these files.
POSTGRES_JIT = ("llvmjit.so", "llvmjit_types.bc", "bitcode")


class ImageBuildError(Exception):
    """A part of an image is missing on this machine."""


@dataclass(frozen=True)
class BuiltImage:
    name: str
    archive: Path
    repository: str
    tag: str
    spec: ImageSpec

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def size(self) -> int:
        return self.archive.stat().st_size


@dataclass(frozen=True)
class Postgresql:
    bindir: Path
    version: str

    @property
    def root(self) -> Path:  # /usr/lib/postgresql/<major>
        return self.bindir.parent

    @property
    def sharedir(self) -> Path:
        return Path("/usr/share/postgresql") / self.root.name


def find_postgresql() -> Postgresql:
    """Debian's newest installed PostgreSQL server (Debian 12: 15)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if not found:
        raise ImageBuildError("no PostgreSQL server under /usr/lib/postgresql (Debian: apt-get install postgresql)")
    postgres = Path(found[-1])
    version = re.search(r"\(PostgreSQL\) (\S+)", subprocess.run(
        [str(postgres), "--version"], capture_output=True, text=True, check=True).stdout)
    if version is None:
        raise ImageBuildError(f"{postgres} --version printed no version")
    return Postgresql(postgres.parent, version.group(1))


def build_image(spec: ImageSpec, out_dir: Path, binaries: dict[str, Path],
                postgresql: Postgresql) -> BuiltImage:
    layer = Layer()
    for part in spec.contents:
        add = PARTS.get(part)
        if add is None:
            raise ImageBuildError(f"{spec.name}: images.json names a part '{part}' the rehearsal does not know")
        add(layer, spec, binaries, postgresql)
    for directory in spec.entry.get("directories", []):
        uid, gid = (int(n) for n in directory["owner"].split(":"))
        layer.dir(directory["path"], int(directory["mode"], 8), (uid, gid))
    archive = out_dir / f"{spec.name}.tar"
    tag = docker_archive(archive, spec.name, layer.tar(), spec.config, ARCHITECTURE)
    return BuiltImage(spec.name, archive, spec.name, tag, spec)


def _package(layer: Layer, spec: ImageSpec, binaries: dict[str, Path], _pg: Postgresql) -> None:
    binary = binaries.get(spec.name)
    if binary is None or not binary.is_file():
        raise ImageBuildError(f"{spec.name}: no built binary ({binary})")
    layer.file(f"bin/{spec.name}", binary, 0o555)


def _ca_certificates(layer: Layer, _spec: ImageSpec, _b: dict[str, Path], _pg: Postgresql) -> None:
    if not CA_SOURCE.is_file():
        raise ImageBuildError(f"{CA_SOURCE} missing (Debian: apt-get install ca-certificates)")
    layer.file("etc/ssl/certs/ca-bundle.crt", CA_SOURCE, 0o444)
    layer.symlink("etc/ssl/certs/ca-certificates.crt", "ca-bundle.crt")
    layer.symlink("etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-bundle.crt")


def _fake_nss(layer: Layer, spec: ImageSpec, _b: dict[str, Path], _pg: Postgresql) -> None:
    passwd = "".join(line + "\n" for line in spec.entry.get("extraPasswdLines", []))
    group = "".join(line + "\n" for line in spec.entry.get("extraGroupLines", []))
    layer.file("etc/passwd", (
        "root:x:0:0:root user:/var/empty:/bin/sh\n" + passwd + "nobody:x:65534:65534:nobody:/var/empty:/bin/sh\n"
    ).encode(), 0o444)
    layer.file("etc/group", ("root:x:0:\n" + group + "nobody:x:65534:\n").encode(), 0o444)
    layer.file("etc/nsswitch.conf", b"hosts: files dns\n", 0o444)
    layer.dir("var/empty", 0o555)


def _postgresql(layer: Layer, _spec: ImageSpec, _b: dict[str, Path], pg: Postgresql) -> None:
    files = [p for p in pg.root.rglob("*") if not any(part in POSTGRES_JIT for part in p.parts)]
    files += list(pg.sharedir.rglob("*")) + list(Path("/usr/share/zoneinfo").rglob("*"))
    for path in files:
        if path.is_file() or path.is_symlink():
            layer.host_path(path)
    _libraries(layer, [p for p in files if _is_elf(p)])
    for binary in sorted(pg.bindir.iterdir()):
        layer.symlink(f"bin/{binary.name}", str(binary))
    # Debian's build puts the socket in /var/run/postgresql; the chart mounts its volume on /run/postgresql.
    layer.symlink("var/run", "../run")


def _entrypoint(layer: Layer, spec: ImageSpec, _b: dict[str, Path], pg: Postgresql) -> None:
    entrypoint = spec.entry["entrypoint"]
    inputs = {"postgresql": str(pg.bindir), "coreutils": "/bin"}
    path = ":".join(inputs[name] for name in entrypoint["runtimeInputs"])
    text = (spec.base_dir / entrypoint["script"]).read_text()
    # What nixpkgs' writeShellApplication writes around `text` (trivial-builders).
    wrapped = ("#!/bin/bash\nset -o errexit\nset -o nounset\nset -o pipefail\n\n"
               f'export PATH="{path}:$PATH"\n\n{text}')
    layer.file(f"bin/{entrypoint['name']}", wrapped.encode(), 0o555)


def _bash(layer: Layer, _spec: ImageSpec, _b: dict[str, Path], _pg: Postgresql) -> None:
    bash = Path("/bin/bash").resolve()
    layer.file("bin/bash", bash, 0o555)
    layer.symlink("bin/sh", "bash")
    _libraries(layer, [bash])


def _coreutils(layer: Layer, _spec: ImageSpec, _b: dict[str, Path], _pg: Postgresql) -> None:
    listed = subprocess.run(["dpkg", "-L", "coreutils"], capture_output=True, text=True, check=True).stdout
    programs = [Path(p) for p in listed.split() if re.match(r"^/(usr/)?bin/[^/]+$", p)]
    for program in programs:
        layer.file(f"bin/{program.name}", program.resolve(), 0o555)
    _libraries(layer, [p.resolve() for p in programs])


def _is_elf(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def _libraries(layer: Layer, binaries: list[Path]) -> None:
    """Every shared library the binaries load, as the host's dynamic linker resolves them (one ldd call)."""
    if not binaries:
        return
    out = subprocess.run(["ldd", *map(str, binaries)], capture_output=True, text=True).stdout
    needed: set[str] = set()
    for line in out.splitlines():
        if "not found" in line:
            raise ImageBuildError(f"a library the image needs is missing on this machine: {line.strip()}")
        match = re.search(r"(/\S+) \(0x", line)
        if match:
            needed.add(match.group(1))
    for library in sorted(needed):
        layer.host_path(library)


PARTS = {
    "package": _package,
    "caCertificates": _ca_certificates,
    "fakeNss": _fake_nss,
    "postgresql": _postgresql,
    "entrypoint": _entrypoint,
    "bash": _bash,
    "coreutils": _coreutils,
}
