"""Checks on what podman loaded and on what the containers logged."""

from __future__ import annotations

import json
import re
from typing import Any

from .images import BuiltImage

# Config fields of images.json compared with what podman reports after `podman load`.
IMAGE_FIELDS = ("Entrypoint", "Cmd", "User", "Env", "ExposedPorts", "Labels", "StopSignal", "WorkingDir")
NUMERIC_USER = re.compile(r"^[0-9]+:[0-9]+$")


def image_problems(image: BuiltImage, loaded: dict[str, Any]) -> list[str]:
    """Differences between the loaded image's config and the description, and broken image rules."""
    problems = []
    config = loaded.get("Config") or {}
    wanted = image.spec.config
    for key in IMAGE_FIELDS:
        have, want = config.get(key) or None, wanted.get(key) or None
        if have != want:
            problems.append(f"{image.name}: {key} is {have!r}, images.json says {want!r}")
    user = config.get("User") or ""
    if not NUMERIC_USER.match(user):
        # kubelet: "image has non-numeric user … cannot verify user is non-root" wherever a pod omits runAsUser.
        problems.append(f"{image.name}: User {user!r} is not a numeric uid:gid")
    elif user.split(":")[0] == "0":
        problems.append(f"{image.name}: User {user!r} is root")
    return problems


def chart_user_problems(images: dict[str, BuiltImage], pod_specs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Every container runs as its image's user: files the image gives that user (PostgreSQL's directories)
    stay writable, and the pod's fsGroup matches."""
    by_reference = {image.reference: image for image in images.values()}
    problems = []
    for where, spec in pod_specs:
        pod_security = spec.get("securityContext", {})
        for container in spec.get("initContainers", []) + spec["containers"]:
            image = by_reference.get(container["image"])
            if image is None:
                problems.append(f"{where}/{container['name']}: image {container['image']} is not one the "
                                f"rehearsal built ({', '.join(sorted(by_reference))})")
                continue
            security = {**pod_security, **container.get("securityContext", {})}
            runs_as = f"{security.get('runAsUser')}:{security.get('runAsGroup')}"
            if runs_as != image.spec.config["User"]:
                problems.append(f"{where}/{container['name']}: runs as {runs_as}, its image's user is "
                                f"{image.spec.config['User']}")
    return problems


def log_problems(name: str, text: str, json_lines: bool, secrets: dict[str, str]) -> list[str]:
    """A log that is not one JSON object a line (where the chart sets LOG_FORMAT=json), or that holds a
    secret value (never printed: only which one)."""
    problems = []
    if json_lines:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                ok = isinstance(json.loads(line), dict)
            except ValueError:
                ok = False
            if not ok:
                shown = line
                for value in secrets.values():
                    shown = shown.replace(value, "<secret>")
                problems.append(f"{name}: line {number} is not a JSON object: {shown[:160]}")
                break
    for label, value in secrets.items():
        if value and value in text:
            problems.append(f"{name}: the log holds the value of {label}")
    return problems
