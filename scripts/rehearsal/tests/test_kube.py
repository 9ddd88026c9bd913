"""The Kubernetes semantics the rehearsal applies before podman sees a container (no podman needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rehearsal import kube

POD = kube.PodIdentity(name="web-0", namespace="todo", uid="u-1", labels={"app": "web"},
                       annotations={"note": "hi"}, service_account="default", pod_ip="10.89.0.7",
                       host_ip="10.89.0.1", node_name="rehearsal")
NODE = {"cpu": Decimal(2), "memory": Decimal(8 * 2**30)}


def sources() -> kube.Sources:
    return kube.Sources(config_maps={"cm": {"HOST": "0.0.0.0", "PORT": "8000", "bad key": "x"}},
                        secrets={"app": {"AUTH_SECRET": "s3cret-value", "DATABASE_URL": "postgres://u:p@db/x"}})


def resolve(container: dict, found: kube.Sources | None = None) -> dict[str, str]:
    container = {"name": "c", **container}
    return kube.resolve_env(container, POD, found or sources(), {"c": container}, NODE)


def test_env_overrides_env_from_and_expands_earlier_names() -> None:
    env = resolve({
        "envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "app"}, "prefix": "APP_"}],
        "env": [{"name": "PORT", "value": "9000"},
                {"name": "URL", "value": "http://$(HOST):$(PORT)/$(MISSING)/$$(HOST)"}],
    })
    assert env["PORT"] == "9000"
    assert env["URL"] == "http://0.0.0.0:9000/$(MISSING)/$(HOST)"
    assert env["APP_AUTH_SECRET"] == "s3cret-value"
    assert "bad key" not in env, "keys that are not valid variable names are skipped, as the kubelet does"


def test_secret_values_are_remembered_for_the_log_check() -> None:
    found = sources()
    resolve({"env": [{"name": "AUTH_SECRET",
                      "valueFrom": {"secretKeyRef": {"name": "app", "key": "AUTH_SECRET"}}}]}, found)
    assert found.secret_values == {"s3cret-value"}


def test_missing_secret_key_is_a_config_error_unless_optional() -> None:
    ref = {"name": "app", "key": "LLM_API_KEY"}
    with pytest.raises(kube.ConfigError, match="couldn't find key LLM_API_KEY in Secret app"):
        resolve({"env": [{"name": "K", "valueFrom": {"secretKeyRef": ref}}]})
    with pytest.raises(kube.ConfigError, match='secret "other" not found'):
        resolve({"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "other", "key": "x"}}}]})
    env = resolve({"env": [{"name": "K", "valueFrom": {"secretKeyRef": {**ref, "optional": True}}}]})
    assert "K" not in env


def test_downward_api() -> None:
    env = resolve({
        "resources": {"limits": {"memory": "256Mi", "cpu": "500m"}},
        "env": [{"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                {"name": "REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory"}}}],
    })
    assert (env["NAME"], env["IP"], env["APP"]) == ("web-0", "10.89.0.7", "web")
    assert env["MEM"] == "256"
    assert env["CPU"] == "1", "CPU is rounded up to whole cores"
    assert env["REQ"] == str(256 * 2**20), "a missing request defaults to the limit"
    with pytest.raises(kube.NotModelled):
        resolve({"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]})


def test_quantities() -> None:
    assert kube.quantity("16Mi") == 16 * 2**20
    assert kube.quantity("500m") == Decimal("0.5")
    assert kube.quantity("1") == 1
    assert kube.quantity("1.5G") == 1_500_000_000
    with pytest.raises(kube.NotModelled):
        kube.quantity("lots")


def security(pod: dict, container: dict) -> kube.Security:
    return kube.effective_security({"securityContext": pod}, {"name": "c", "securityContext": container})


def test_security_context_container_wins_and_fs_group_is_a_supplementary_group() -> None:
    found = security({"runAsUser": 1, "runAsGroup": 2, "fsGroup": 3, "runAsNonRoot": True},
                     {"runAsUser": 65534, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                      "capabilities": {"drop": ["ALL"]}})
    assert (found.user, found.group, found.supplemental_groups) == (65534, 2, (3,))
    assert found.read_only_root and not found.allow_privilege_escalation and found.drop == ("ALL",)
    assert security({}, {}).allow_privilege_escalation, "Kubernetes' default is true"
    with pytest.raises(kube.NotModelled, match="windowsOptions"):
        security({}, {"windowsOptions": {}})


def test_run_as_non_root_as_the_kubelet_checks_it() -> None:
    non_root = security({"runAsNonRoot": True}, {})
    kube.verify_run_as_non_root(non_root, "65534:65534")
    with pytest.raises(kube.ConfigError, match=r"non-numeric user \(nobody\)"):
        kube.verify_run_as_non_root(non_root, "nobody:nogroup")
    with pytest.raises(kube.ConfigError, match="run as root"):
        kube.verify_run_as_non_root(non_root, "")
    kube.verify_run_as_non_root(security({"runAsNonRoot": True, "runAsUser": 999}, {}), "nobody")
    with pytest.raises(kube.ConfigError, match="breaks non-root policy"):
        kube.verify_run_as_non_root(security({"runAsNonRoot": True, "runAsUser": 0}, {}), "65534")


def test_unknown_fields_stop_the_rehearsal() -> None:
    with pytest.raises(kube.NotModelled, match="hostNetwork"):
        kube.check_fields("pod", {"containers": [], "hostNetwork": True}, kube.POD_FIELDS_HANDLED,
                          kube.POD_FIELDS_SCHEDULING)
    kube.check_fields("pod", {"containers": [], "tolerations": []}, kube.POD_FIELDS_HANDLED,
                      kube.POD_FIELDS_SCHEDULING)
