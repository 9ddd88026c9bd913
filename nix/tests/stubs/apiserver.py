"""The few Kubernetes API server rules the stubs need, shared by kubectl and helm (both talk to the server)."""

import re

from .world import fail

# Kubernetes pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate (1.30 and later): only these
# spec fields may change on an existing StatefulSet.
STATEFULSET_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                       "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
STATEFULSET_FORBIDDEN = ("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
                         "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
                         "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")

SUFFIXES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}


def quantity(text):
    """apimachinery resource.Quantity, the forms charts use: 5Gi and 5120Mi are the same quantity."""
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text))
    if not match or match.group(2) not in SUFFIXES:
        return str(text)
    return float(match.group(1)) * SUFFIXES[match.group(2)]


def canonical(value):
    """Compares like the API server's semantic equality: quantities by value, the rest as is."""
    if isinstance(value, dict):
        return {k: (quantity(v) if k == "storage" else canonical(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def key_of(manifest, namespace):
    meta = manifest["metadata"]
    return f"{manifest['kind']}/{meta.get('namespace', namespace)}/{meta['name']}"


def update_error(old, new):
    """The Invalid error the API server returns for an update, or None."""
    if new["kind"] != "StatefulSet":
        return None
    strip = lambda spec: canonical({k: v for k, v in spec.items() if k not in STATEFULSET_MUTABLE})  # noqa: E731
    if strip(old["spec"]) != strip(new["spec"]):
        return STATEFULSET_FORBIDDEN
    return None


class Invalid(Exception):
    """The API server's 422 Invalid answer to an update."""

    def __init__(self, manifest, message):
        super().__init__(message)
        self.kind, self.name, self.message = manifest["kind"], manifest["metadata"]["name"], message


def apply(cluster, manifests, namespace, dry_run=False):
    """Creates or updates each object in turn, as a client does; raises Invalid at the first update the
    server refuses (objects before it stay applied, as they would)."""
    for manifest in manifests:
        ns = manifest["metadata"].get("namespace", namespace)
        if manifest["kind"] != "Namespace" and ns not in cluster["namespaces"]:
            fail(f'Error from server (NotFound): namespaces "{ns}" not found')
        key = key_of(manifest, namespace)
        old = cluster["objects"].get(key)
        if old is not None:
            error = update_error(old, manifest)
            if error:
                raise Invalid(manifest, error)
        if not dry_run:
            cluster["objects"][key] = manifest
