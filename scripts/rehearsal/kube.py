"""Kubernetes semantics the kubelet applies to a pod spec before the runtime sees it, as pure functions:
environment resolution (envFrom, secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef, $(VAR)),
quantities, the effective security context and the runAsNonRoot check.

Every field a pod or container may carry is either handled here or in cluster.py, listed as meaningless on
one host (scheduling), or refused: a rendered field the rehearsal does not model stops it, so the chart can
never say something the rehearsal silently skips.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

POD_FIELDS_HANDLED = {"containers", "initContainers", "volumes", "securityContext", "restartPolicy",
                      "terminationGracePeriodSeconds", "enableServiceLinks", "automountServiceAccountToken",
                      "serviceAccountName", "hostname"}
# Placement across nodes and API access: nothing to do on one host with no API server.
POD_FIELDS_SCHEDULING = {"topologySpreadConstraints", "nodeSelector", "tolerations", "affinity",
                         "priorityClassName", "schedulerName"}
CONTAINER_FIELDS_HANDLED = {"name", "image", "imagePullPolicy", "command", "args", "env", "envFrom", "ports",
                            "startupProbe", "readinessProbe", "livenessProbe", "lifecycle", "resources",
                            "securityContext", "volumeMounts", "workingDir", "terminationMessagePolicy",
                            "terminationMessagePath"}
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
SUFFIX = {None: 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3, "M": 10**6,
          "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
          "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


class NotModelled(Exception):
    """The manifests ask for something the rehearsal cannot do as Kubernetes would."""


class ConfigError(Exception):
    """What the kubelet reports as CreateContainerConfigError (a missing Secret key, say)."""


def quantity(text: str | int | float) -> Decimal:
    match = QUANTITY.match(str(text))
    if match is None:
        raise NotModelled(f"cannot read the quantity {text!r}")
    return Decimal(match.group(1)) * Decimal(SUFFIX[match.group(2)])


def check_fields(what: str, obj: dict[str, Any], handled: set[str], ignored: set[str] = frozenset()) -> None:
    unknown = sorted(set(obj) - handled - ignored)
    if unknown:
        raise NotModelled(f"{what} sets {', '.join(unknown)}, which the rehearsal does not model")


@dataclass
class PodIdentity:
    """What the downward API can tell a container about its pod."""
    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    service_account: str
    pod_ip: str
    host_ip: str
    node_name: str


@dataclass
class Sources:
    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    # Values that came from Secrets, so the logs can be searched for them.
    secret_values: set[str] = field(default_factory=set)


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names are replaced, $$ is a literal $, the rest stays as is."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and (end := text.find(")", i + 2)) != -1:
            name = text[i + 2:end]
            out.append(env[name] if name in env else text[i:end + 1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _key_ref(kind: str, ref: dict[str, Any], store: dict[str, dict[str, str]]) -> str | None:
    """A key of a Secret or ConfigMap; the kubelet's wording when it is missing and not optional."""
    source = store.get(ref["name"])
    if source is not None and ref["key"] in source:
        return source[ref["key"]]
    if ref.get("optional"):
        return None
    if source is None:
        raise ConfigError(f'{kind.lower()} "{ref["name"]}" not found')
    raise ConfigError(f"couldn't find key {ref['key']} in {kind} {ref['name']}")


def _field_ref(path: str, pod: PodIdentity) -> str:
    simple = {"metadata.name": pod.name, "metadata.namespace": pod.namespace, "metadata.uid": pod.uid,
              "spec.nodeName": pod.node_name, "spec.serviceAccountName": pod.service_account,
              "status.podIP": pod.pod_ip, "status.podIPs": pod.pod_ip, "status.hostIP": pod.host_ip,
              "status.hostIPs": pod.host_ip}
    if path in simple:
        return simple[path]
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return (pod.labels if match.group(1) == "labels" else pod.annotations).get(match.group(2), "")
    raise NotModelled(f"fieldRef {path}")


def _resource_field_ref(ref: dict[str, Any], containers: dict[str, dict[str, Any]], own: str,
                        node: dict[str, Decimal]) -> str:
    container = containers[ref.get("containerName") or own]
    kind, _, resource = ref["resource"].partition(".")
    resources = container.get("resources", {})
    value = resources.get(kind, {}).get(resource)
    if value is None and kind == "requests":
        value = resources.get("limits", {}).get(resource)
    amount = quantity(value) if value is not None else node.get(resource, Decimal(0))
    divisor = quantity(ref.get("divisor", "1"))
    return str(math.ceil(amount / divisor))


def resolve_env(container: dict[str, Any], pod: PodIdentity, sources: Sources,
                all_containers: dict[str, dict[str, Any]], node: dict[str, Decimal]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        for kind, store in (("configMapRef", sources.config_maps), ("secretRef", sources.secrets)):
            if kind not in source:
                continue
            ref = source[kind]
            data = store.get(ref["name"])
            if data is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f"{kind} {ref['name']} not found")
            for key, value in data.items():
                if ENV_NAME.match(prefix + key):
                    env[prefix + key] = value
                    if kind == "secretRef":
                        sources.secret_values.add(value)
    for var in container.get("env", []):
        name = var["name"]
        if "valueFrom" not in var:
            env[name] = expand(var.get("value", ""), env)
            continue
        ref = var["valueFrom"]
        if "secretKeyRef" in ref:
            value = _key_ref("Secret", ref["secretKeyRef"], sources.secrets)
            if value is not None:
                sources.secret_values.add(value)
        elif "configMapKeyRef" in ref:
            value = _key_ref("ConfigMap", ref["configMapKeyRef"], sources.config_maps)
        elif "fieldRef" in ref:
            value = _field_ref(ref["fieldRef"]["fieldPath"], pod)
        elif "resourceFieldRef" in ref:
            value = _resource_field_ref(ref["resourceFieldRef"], all_containers, container["name"], node)
        else:
            raise NotModelled(f"env {name}: valueFrom {sorted(ref)}")
        if value is not None:
            env[name] = value
    return env


@dataclass(frozen=True)
class Security:
    user: int | None
    group: int | None
    run_as_non_root: bool
    read_only_root: bool
    allow_privilege_escalation: bool
    privileged: bool
    drop: tuple[str, ...]
    add: tuple[str, ...]
    seccomp: str
    supplemental_groups: tuple[int, ...]


def effective_security(pod_spec: dict[str, Any], container: dict[str, Any]) -> Security:
    pod = pod_spec.get("securityContext", {})
    own = container.get("securityContext", {})
    check_fields("pod securityContext", pod, {"runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup",
                                               "fsGroupChangePolicy", "seccompProfile", "supplementalGroups"})
    check_fields(f"container {container['name']} securityContext", own, {
        "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
        "privileged", "capabilities", "seccompProfile"})
    seccomp = (own.get("seccompProfile") or pod.get("seccompProfile") or {"type": "RuntimeDefault"})["type"]
    if seccomp not in ("RuntimeDefault", "Unconfined"):
        raise NotModelled(f"seccompProfile {seccomp}")
    groups = list(pod.get("supplementalGroups", []))
    if "fsGroup" in pod:
        groups.append(pod["fsGroup"])
    privileged = bool(own.get("privileged", False))
    return Security(
        user=own.get("runAsUser", pod.get("runAsUser")),
        group=own.get("runAsGroup", pod.get("runAsGroup")),
        run_as_non_root=bool(own.get("runAsNonRoot", pod.get("runAsNonRoot", False))),
        read_only_root=bool(own.get("readOnlyRootFilesystem", False)),
        # Kubernetes' default is true (and always true when privileged).
        allow_privilege_escalation=privileged or bool(own.get("allowPrivilegeEscalation", True)),
        privileged=privileged,
        drop=tuple(own.get("capabilities", {}).get("drop", [])),
        add=tuple(own.get("capabilities", {}).get("add", [])),
        seccomp=seccomp,
        supplemental_groups=tuple(groups),
    )


def verify_run_as_non_root(security: Security, image_user: str) -> None:
    """The kubelet's check (kuberuntime verifyRunAsNonRoot): with runAsNonRoot, the uid the container will
    run as must be known to be non-zero, from runAsUser or else from a numeric image user."""
    if not security.run_as_non_root:
        return
    if security.user is not None:
        if security.user == 0:
            raise ConfigError("container's runAsUser breaks non-root policy")
        return
    uid = image_user.split(":")[0] or "0"
    if not uid.isdigit():
        raise ConfigError(f"container has runAsNonRoot and image has non-numeric user ({uid}), "
                          "cannot verify user is non-root")
    if int(uid) == 0:
        raise ConfigError("container has runAsNonRoot and image will run as root")
