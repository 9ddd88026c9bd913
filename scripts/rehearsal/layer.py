"""A single image layer assembled in memory and a docker-archive around it (the `docker save` format that
`kind load image-archive` and `podman load` read), deterministic like dockerTools: every mtime at 1970,
owners numeric, entries sorted, uncompressed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

# dockerTools' default `created`.
EPOCH = "1970-01-01T00:00:01Z"
MTIME = 1


@dataclass
class Entry:
    kind: bytes  # tarfile.DIRTYPE, REGTYPE or SYMTYPE
    mode: int
    uid: int = 0
    gid: int = 0
    data: bytes | Path | None = None  # file content, or the host file holding it
    target: str = ""  # symlink target


class LayerError(Exception):
    """Two parts of an image want the same path as different things."""


class Layer:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    @staticmethod
    def _key(path: str | PurePosixPath) -> str:
        key = os.path.normpath("/" + str(path)).lstrip("/")
        if not key or key.startswith(".."):
            raise LayerError(f"bad path in image: {path}")
        return key

    def _parents(self, key: str) -> None:
        parent = PurePosixPath(key).parent
        if str(parent) != ".":
            self.dir(parent)

    def dir(self, path: str | PurePosixPath, mode: int = 0o755, owner: tuple[int, int] = (0, 0)) -> None:
        key = self._key(path)
        existing = self.entries.get(key)
        if existing is not None and existing.kind != tarfile.DIRTYPE:
            raise LayerError(f"/{key} is already a {'symlink' if existing.target else 'file'} in the image")
        self._parents(key)
        if existing is None or (mode, owner) != (0o755, (0, 0)):
            self.entries[key] = Entry(tarfile.DIRTYPE, mode, *owner)

    def file(self, path: str | PurePosixPath, data: bytes | Path, mode: int = 0o644) -> None:
        key = self._key(path)
        self._parents(key)
        if key in self.entries and self.entries[key].kind == tarfile.DIRTYPE:
            raise LayerError(f"/{key} is already a directory in the image")
        self.entries[key] = Entry(tarfile.REGTYPE, mode, data=data)

    def symlink(self, path: str | PurePosixPath, target: str) -> None:
        key = self._key(path)
        existing = self.entries.get(key)
        if existing is not None and (existing.kind != tarfile.SYMTYPE or existing.target != target):
            raise LayerError(f"/{key} cannot be a symlink to {target}: it is already in the image")
        self._parents(key)
        self.entries[key] = Entry(tarfile.SYMTYPE, 0o777, target=target)

    def host_path(self, path: str | Path) -> None:
        """Copies a host file into the same place, recreating every symlink on the way (merged /usr, the
        library version links), so the image resolves the path exactly as the host does."""
        parts = PurePosixPath(os.path.normpath(path)).parts
        current = Path("/")
        for index, part in enumerate(parts[1:], start=1):
            current = current / part
            if current.is_symlink():
                target = os.readlink(current)
                self.symlink(current, target)
                resolved = os.path.normpath(os.path.join(current.parent, target))
                return self.host_path(os.path.join(resolved, *parts[index + 1:]))
        if current.is_dir():
            self.dir(current, current.stat().st_mode & 0o7777)
        else:
            self.file(current, current, current.stat().st_mode & 0o7777)

    def tar(self) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for key in sorted(self.entries):
                entry = self.entries[key]
                info = tarfile.TarInfo(key)
                info.type, info.mode, info.uid, info.gid, info.mtime = (
                    entry.kind, entry.mode, entry.uid, entry.gid, MTIME)
                if entry.kind == tarfile.SYMTYPE:
                    info.linkname = entry.target
                    tar.addfile(info)
                elif entry.kind == tarfile.REGTYPE:
                    data = entry.data.read_bytes() if isinstance(entry.data, Path) else entry.data
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                else:
                    tar.addfile(info)
        return out.getvalue()


def docker_archive(path: Path, repository: str, layer: bytes, config: dict[str, Any],
                   architecture: str) -> str:
    """Writes a one-layer docker-archive; returns its tag, a hash of the image config (which holds the
    layer's digest), so the same contents always get the same tag and any change a new one."""
    layer_digest = hashlib.sha256(layer).hexdigest()
    image_config = {
        "architecture": architecture,
        "os": "linux",
        "created": EPOCH,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created": EPOCH, "created_by": "scripts/rehearse"}],
    }
    config_bytes = json.dumps(image_config, sort_keys=True, separators=(",", ":")).encode()
    config_digest = hashlib.sha256(config_bytes).hexdigest()
    tag = config_digest[:32]
    manifest = [{"Config": f"{config_digest}.json", "RepoTags": [f"{repository}:{tag}"],
                 "Layers": [f"{layer_digest}/layer.tar"]}]
    members = {
        f"{layer_digest}/layer.tar": layer,
        f"{config_digest}.json": config_bytes,
        "manifest.json": json.dumps(manifest).encode(),
        "repositories": json.dumps({repository: {tag: layer_digest}}).encode(),
    }
    with tarfile.open(path, mode="w", format=tarfile.GNU_FORMAT) as tar:
        directory = tarfile.TarInfo(layer_digest)
        directory.type, directory.mode, directory.mtime = tarfile.DIRTYPE, 0o755, MTIME
        tar.addfile(directory)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    return tag
