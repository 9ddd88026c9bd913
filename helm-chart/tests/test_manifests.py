"""Properties every user value set must have: lint-clean, valid for Kubernetes 1.30, hardened, highly available."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import CASES, FULLNAME, Rendered, containers, env_value, lint_problems, schema_problems

RECOMMENDED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
)
# Labels that change with an upgrade; a selector carrying one breaks (Deployment selectors are immutable).
VOLATILE_LABELS = ("app.kubernetes.io/version", "helm.sh/chart")


@pytest.mark.parametrize("name", sorted(CASES))
def test_lint_reports_no_warning_or_error(name: str) -> None:
    assert lint_problems(CASES[name]) == []


def test_every_manifest_is_valid_for_kubernetes_1_30(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    assert schema_problems(rendered.manifests) == []


def test_resource_names_are_dns_labels(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for m in rendered.manifests:
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", m["metadata"]["name"]), m["metadata"]["name"]


def test_deployments_run_at_least_two_pods(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in rendered.of_kind("HorizontalPodAutoscaler")}
    deployments = rendered.of_kind("Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {f"{FULLNAME}-backend", f"{FULLNAME}-frontend"}
    for d in deployments:
        name = d["metadata"]["name"]
        if name in hpas:
            assert "replicas" not in d["spec"], f"{name}: replicas must be left to the HPA"
            assert hpas[name]["spec"]["minReplicas"] >= 2
        else:
            assert d["spec"]["replicas"] >= 2, name


def test_every_container_has_requests_and_limits(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for where, spec in rendered.pod_specs():
        for c in containers(spec):
            for kind in ("requests", "limits"):
                assert set(c["resources"][kind]) >= {"cpu", "memory"}, f"{where}/{c['name']} {kind}"


def test_every_container_is_locked_down(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for where, spec in rendered.pod_specs():
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for c in containers(spec):
            sc = c["securityContext"]
            label = f"{where}/{c['name']}"
            assert sc["runAsNonRoot"] is True, label
            assert isinstance(sc["runAsUser"], int) and sc["runAsUser"] > 0, label
            assert sc["readOnlyRootFilesystem"] is True, label
            assert sc["allowPrivilegeEscalation"] is False, label
            assert sc["capabilities"]["drop"] == ["ALL"], label
            assert "add" not in sc["capabilities"], label
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, label


def test_images_have_explicit_tags_and_are_never_pulled_by_default(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for where, spec in rendered.pod_specs():
        for c in containers(spec):
            repository, _, tag = c["image"].rpartition(":")
            assert repository and tag and tag != "latest", f"{where}: {c['image']}"
            assert c["imagePullPolicy"] == "IfNotPresent", where


def test_http_services_have_startup_readiness_and_liveness_probes(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    # The frontend stays ready while its process serves, so it can show its "unavailable" page when the
    # backend or the database is down; the backend is ready only while the database answers.
    readiness = {"backend": "/readyz", "frontend": "/healthz"}
    for d in rendered.of_kind("Deployment"):
        (c,) = d["spec"]["template"]["spec"]["containers"]
        assert [p["name"] for p in c["ports"]] == ["http"]
        assert c["readinessProbe"]["httpGet"] == {"path": readiness[c["name"]], "port": "http"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["startupProbe"]["httpGet"]["port"] == "http"
        budget = c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"]
        assert budget >= 60, "migrations at start need time before liveness kicks in"


def test_database_has_probes(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for sts in rendered.of_kind("StatefulSet"):
        (c,) = sts["spec"]["template"]["spec"]["containers"]
        assert c["readinessProbe"]["exec"]["command"][0] == "pg_isready"
        assert c["startupProbe"]["exec"]["command"][0] == "pg_isready"
        assert c["livenessProbe"]["tcpSocket"]["port"] == "postgresql"


def test_shutdown_fits_in_the_grace_period(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for d in rendered.of_kind("Deployment"):
        spec = d["spec"]["template"]["spec"]
        (c,) = spec["containers"]
        env = rendered.get("ConfigMap", c["envFrom"][0]["configMapRef"]["name"])["data"]
        drain = int(env["SHUTDOWN_GRACE_SECS"])
        pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pre_stop >= 1
        assert spec["terminationGracePeriodSeconds"] > pre_stop + drain >= 10, d["metadata"]["name"]
    for sts in rendered.of_kind("StatefulSet"):
        assert sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 10


def test_pods_spread_over_nodes(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for d in rendered.of_kind("Deployment"):
        spec = d["spec"]["template"]["spec"]
        by_host = [t for t in spec["topologySpreadConstraints"] if t["topologyKey"] == "kubernetes.io/hostname"]
        assert by_host and by_host[0]["whenUnsatisfiable"] == "ScheduleAnyway"
        assert by_host[0]["labelSelector"]["matchLabels"].items() <= d["spec"]["selector"]["matchLabels"].items()


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and selector.items() <= labels.items()


def test_every_workload_is_selected_by_a_service_on_a_named_port(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for w in rendered.workloads():
        pod_labels = w["spec"]["template"]["metadata"]["labels"]
        port_names = {p["name"] for c in w["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        services = [s for s in rendered.of_kind("Service") if _selects(s["spec"]["selector"], pod_labels)]
        assert len(services) == 1, w["metadata"]["name"]
        assert {p["targetPort"] for p in services[0]["spec"]["ports"]} <= port_names
        assert w["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for sts in rendered.of_kind("StatefulSet"):
        assert rendered.get("Service", sts["spec"]["serviceName"])["spec"]["clusterIP"] == "None"


def test_frontend_reaches_backend_by_its_service_name(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    backend = rendered.get("Service", f"{FULLNAME}-backend")
    assert backend["spec"]["type"] == "ClusterIP"
    url = rendered.config("frontend")["BACKEND_URL"]
    assert url == f"http://{FULLNAME}-backend:{backend['spec']['ports'][0]['port']}"


def test_objects_carry_the_recommended_labels(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for m in rendered.manifests:
        labels = m["metadata"]["labels"]
        missing = [k for k in RECOMMENDED_LABELS if not labels.get(k)]
        assert not missing, f"{m['kind']}/{m['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/part-of"] == "todo-chatbot"
    for w in rendered.workloads():
        pod_labels = w["spec"]["template"]["metadata"]["labels"]
        assert all(pod_labels.get(k) for k in RECOMMENDED_LABELS), w["metadata"]["name"]


def _selectors(m: dict[str, Any]) -> list[dict[str, str]]:
    spec = m.get("spec", {})
    found = []
    if m["kind"] == "Service":
        found.append(spec.get("selector", {}))
    if "selector" in spec and "matchLabels" in spec["selector"]:
        found.append(spec["selector"]["matchLabels"])
    if m["kind"] == "NetworkPolicy":
        found.append(spec["podSelector"]["matchLabels"])
        for rule in spec.get("ingress", []):
            found += [peer["podSelector"]["matchLabels"] for peer in rule.get("from", []) if "podSelector" in peer]
    template = spec.get("template", {}).get("spec", {})
    found += [t["labelSelector"]["matchLabels"] for t in template.get("topologySpreadConstraints", [])]
    found += [c["metadata"]["labels"] for c in spec.get("volumeClaimTemplates", [])]
    return found


def test_selectors_never_carry_version_labels(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for m in rendered.manifests:
        for selector in _selectors(m):
            assert not set(selector) & set(VOLATILE_LABELS), f"{m['kind']}/{m['metadata']['name']}: {selector}"
            assert selector.get("app.kubernetes.io/component"), f"{m['kind']}/{m['metadata']['name']}"


def test_no_secret_value_outside_secrets(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    secrets = [v for s in rendered.of_kind("Secret") for v in rendered.secret_data(s["metadata"]["name"]).values()]
    for m in rendered.manifests:
        if m["kind"] == "Secret":
            continue
        text = repr(m)
        for value in secrets:
            assert value not in text, f"a Secret value leaks into {m['kind']}/{m['metadata']['name']}"
    for cm in rendered.of_kind("ConfigMap"):
        assert not {"AUTH_SECRET", "CSRF_SECRET", "DATABASE_URL", "LLM_API_KEY", "POSTGRES_PASSWORD"} & set(cm["data"])
    for where, spec in rendered.pod_specs():
        for c in containers(spec):
            for name in ("AUTH_SECRET", "CSRF_SECRET", "DATABASE_URL", "LLM_API_KEY", "POSTGRES_PASSWORD"):
                env = env_value(c, name)
                assert env is None or "secretKeyRef" in env.get("valueFrom", {}), f"{where}: {name}"


def test_backend_reads_its_secrets_from_secrets(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    (c,) = rendered.get("Deployment", f"{FULLNAME}-backend")["spec"]["template"]["spec"]["containers"]
    for name in ("DATABASE_URL", "AUTH_SECRET"):
        assert env_value(c, name)["valueFrom"]["secretKeyRef"]["name"], name


def test_config_changes_roll_pods(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for d in rendered.of_kind("Deployment"):
        annotations = d["spec"]["template"]["metadata"]["annotations"]
        assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/config"])
        assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/secret"])
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert annotations["prometheus.io/port"] == str(d["spec"]["template"]["spec"]["containers"][0]
                                                        ["ports"][0]["containerPort"])


def test_disruption_budgets_keep_one_pod_of_each_service(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    pdbs = rendered.of_kind("PodDisruptionBudget")
    assert len(pdbs) == 2
    for d in rendered.of_kind("Deployment"):
        matching = [p for p in pdbs if _selects(p["spec"]["selector"]["matchLabels"],
                                                d["spec"]["template"]["metadata"]["labels"])]
        assert len(matching) == 1 and matching[0]["spec"]["minAvailable"] == 1, d["metadata"]["name"]


def test_service_account_token_is_never_mounted(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    for sa in rendered.of_kind("ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False
    names = {spec["serviceAccountName"] for _, spec in rendered.pod_specs()}
    assert len(names) == 1
    if rendered.of_kind("ServiceAccount"):
        assert names == {rendered.of_kind("ServiceAccount")[0]["metadata"]["name"]}
