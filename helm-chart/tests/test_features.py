"""Behaviour of single features and value sets: secrets, databases, kind, autoscaling, policies, helm test."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import (CASES, CHART_DIR, FULLNAME, USE_BINARIES, Rendered, admits, env_value, render,
                      schema_problems)


def backend_container(rendered: Rendered) -> dict:
    return rendered.get("Deployment", f"{FULLNAME}-backend")["spec"]["template"]["spec"]["containers"][0]


def pod_annotations(rendered: Rendered, component: str) -> dict[str, str]:
    return rendered.get("Deployment", f"{FULLNAME}-{component}")["spec"]["template"]["metadata"]["annotations"]


def scalars(tree: object) -> set[str]:
    if isinstance(tree, dict):
        return set().union(*(scalars(v) for v in tree.values())) if tree else set()
    if isinstance(tree, list):
        return set().union(*(scalars(v) for v in tree)) if tree else set()
    return {str(tree)}


# --- secrets -------------------------------------------------------------------------------------------------

def test_values_yaml_holds_no_secret_value() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert values["authSecret"] == ""
    assert values["llm"]["apiKey"] == ""
    assert values["externalDatabase"]["url"] == ""


def test_auth_secret_is_generated_when_none_is_given(defaults: Rendered) -> None:
    secret = defaults.secret_data()
    auth = secret["AUTH_SECRET"]
    assert re.fullmatch(r"[A-Za-z0-9]{48,}", auth)
    every_literal = scalars(yaml.safe_load((CHART_DIR / "values.yaml").read_text()))
    for path in CASES.values():
        every_literal |= scalars([yaml.safe_load(p.read_text()) for p in path])
    assert auth not in every_literal
    assert env_value(backend_container(defaults), "AUTH_SECRET")["valueFrom"]["secretKeyRef"] == {
        "name": FULLNAME, "key": "AUTH_SECRET"}


def test_generated_secret_is_kept_across_upgrades_by_lookup() -> None:
    secret = (CHART_DIR / "templates" / "secret.yaml").read_text()
    assert re.search(r'lookup "v1" "Secret" \.Release\.Namespace', secret)
    assert "randAlphaNum" in secret
    assert 'get $previous "AUTH_SECRET"' in secret and 'get $previous "POSTGRES_PASSWORD"' in secret


def test_given_auth_secret_is_used() -> None:
    given = "x" * 40
    assert render(overrides={"authSecret": given}).secret_data()["AUTH_SECRET"] == given


def test_in_cluster_database_url_is_built_inside_the_secret(defaults: Rendered) -> None:
    secret = defaults.secret_data()
    password = secret["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)
    assert secret["DATABASE_URL"] == f"postgres://todo:{password}@{FULLNAME}-postgresql:5432/todo"
    sts = defaults.get("StatefulSet", f"{FULLNAME}-postgresql")
    (pg,) = sts["spec"]["template"]["spec"]["containers"]
    assert env_value(pg, "POSTGRES_PASSWORD")["valueFrom"]["secretKeyRef"] == {
        "name": FULLNAME, "key": "POSTGRES_PASSWORD"}
    assert env_value(pg, "PGDATA")["value"].startswith(pg["volumeMounts"][0]["mountPath"] + "/")
    assert defaults.get("Secret", FULLNAME)["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_llm_api_key_goes_to_the_secret() -> None:
    rendered = render(overrides={"llm": {"provider": "openai", "apiKey": "sk-test-0123456789"}})
    assert rendered.secret_data()["LLM_API_KEY"] == "sk-test-0123456789"
    assert env_value(backend_container(rendered), "LLM_API_KEY")["valueFrom"]["secretKeyRef"]["name"] == FULLNAME
    assert env_value(backend_container(render()), "LLM_API_KEY") is None


def test_llm_tuning_reaches_the_backend() -> None:
    defaults = render().get("ConfigMap", f"{FULLNAME}-backend")["data"]
    assert (defaults["LLM_TIMEOUT_SECS"], defaults["LLM_MAX_STEPS"], defaults["LLM_STREAM"]) == ("60", "8", "true")
    tuned = render(overrides={"llm": {"timeoutSeconds": 120, "maxSteps": 4, "stream": False}})
    data = tuned.get("ConfigMap", f"{FULLNAME}-backend")["data"]
    assert (data["LLM_TIMEOUT_SECS"], data["LLM_MAX_STEPS"], data["LLM_STREAM"]) == ("120", "4", "false")


# --- databases -----------------------------------------------------------------------------------------------

def test_external_database_from_an_existing_secret() -> None:
    rendered = render(CASES["external-db"])
    assert not rendered.of_kind("StatefulSet")
    # Everything the user provides lives in their Secrets; the chart keeps only the key it makes itself.
    [own] = rendered.of_kind("Secret")
    assert set(own["data"]) == {"CSRF_SECRET"}
    c = backend_container(rendered)
    assert env_value(c, "DATABASE_URL")["valueFrom"]["secretKeyRef"] == {
        "name": "todo-chatbot-db", "key": "DATABASE_URL"}
    assert env_value(c, "AUTH_SECRET")["valueFrom"]["secretKeyRef"] == {
        "name": "todo-chatbot-app", "key": "AUTH_SECRET"}
    assert env_value(c, "LLM_API_KEY")["valueFrom"]["secretKeyRef"] == {
        "name": "todo-chatbot-app", "key": "LLM_API_KEY", "optional": True}
    assert rendered.config("backend")["LLM_PROVIDER"] == "openai"


def test_external_database_from_a_url() -> None:
    url = "postgres://neon:pw-0123456789@ep-x.eu-central-1.aws.neon.tech/todo?sslmode=require"
    rendered = render(overrides={"postgresql": {"enabled": False},
                                 "externalDatabase": {"enabled": True, "url": url}})
    assert rendered.secret_data()["DATABASE_URL"] == url
    assert "POSTGRES_PASSWORD" not in rendered.secret_data()
    assert "keep" not in json.dumps(rendered.get("Secret", FULLNAME)["metadata"])
    if rendered.notes is not None:
        assert "existingSecret" in rendered.notes


# --- kind ----------------------------------------------------------------------------------------------------

def test_kind_exposes_the_frontend_on_node_port_30080() -> None:
    rendered = render(CASES["kind"])
    svc = rendered.get("Service", f"{FULLNAME}-frontend")
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"][0]["nodePort"] == 30080
    assert rendered.config("frontend")["COOKIE_SECURE"] == "false"
    (claim,) = rendered.get("StatefulSet", f"{FULLNAME}-postgresql")["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert "storageClassName" not in claim["spec"], "kind's default class must be used"
    if rendered.notes is not None:
        # The host port is deploy-kind's --port, which the chart cannot know: no fixed URL is promised.
        assert "localhost:8080" not in rendered.notes
        assert "printed" in rendered.notes and "docker port <cluster>-control-plane <node port>/tcp" in rendered.notes


def test_default_notes_explain_how_to_open_the_ui(defaults: Rendered) -> None:
    if defaults.notes is None:
        pytest.skip("helm template prints no NOTES")
    assert f"port-forward service/{FULLNAME}-frontend 8080:3000" in defaults.notes


# --- optional objects ----------------------------------------------------------------------------------------

def test_optional_objects_are_off_by_default(defaults: Rendered) -> None:
    kinds = {m["kind"] for m in defaults.manifests}
    assert not kinds & {"HorizontalPodAutoscaler", "Ingress", "ServiceAccount"}
    assert {"PodDisruptionBudget", "StatefulSet", "Secret", "NetworkPolicy"} <= kinds


def test_network_policies_are_on_by_default_and_can_be_turned_off(defaults: Rendered) -> None:
    assert sorted(p["metadata"]["name"] for p in defaults.of_kind("NetworkPolicy")) == [
        f"{FULLNAME}-{c}" for c in ("backend", "frontend", "postgresql")]
    assert not render(overrides={"networkPolicy": {"enabled": False}}).of_kind("NetworkPolicy")


def test_autoscaling_replaces_replicas_with_an_hpa() -> None:
    rendered = render(CASES["autoscaling"])
    for component, low, high in (("backend", 2, 8), ("frontend", 3, 5)):
        name = f"{FULLNAME}-{component}"
        assert "replicas" not in rendered.get("Deployment", name)["spec"]
        hpa = rendered.get("HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)


def _peers(policy: dict) -> list[tuple[list[dict], list[dict]]]:
    return [(rule.get("from", []), rule["ports"]) for rule in policy["spec"]["ingress"]]


BASE_SELECTOR = {"app.kubernetes.io/name": "todo-chatbot", "app.kubernetes.io/instance": "todo"}
SAME_RELEASE = {c: {"podSelector": {"matchLabels": {**BASE_SELECTOR, "app.kubernetes.io/component": c}}}
                for c in ("backend", "frontend", "test")}
PROMETHEUS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


def test_network_policies_isolate_the_tiers(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    pods = SAME_RELEASE
    for policy in rendered.of_kind("NetworkPolicy"):
        assert policy["spec"]["policyTypes"] == ["Ingress"]

    backend = rendered.get("NetworkPolicy", f"{FULLNAME}-backend")
    assert backend["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "backend"
    assert _peers(backend) == [([pods["frontend"], pods["test"]], [{"port": 8000, "protocol": "TCP"}])]

    frontend = rendered.get("NetworkPolicy", f"{FULLNAME}-frontend")
    assert _peers(frontend) == [([], [{"port": 3000, "protocol": "TCP"}])]

    database = rendered.find("NetworkPolicy", f"{FULLNAME}-postgresql")
    if rendered.of_kind("StatefulSet"):
        assert database["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "postgresql"
        assert _peers(database) == [([pods["backend"]], [{"port": 5432, "protocol": "TCP"}])]
    else:
        assert database is None


def test_kind_policies_admit_the_app_and_the_helm_test_pod() -> None:
    """kindnet (kind >= 0.24) enforces NetworkPolicy: every connection the release makes must be admitted."""
    rendered = render(CASES["kind"])
    policies = {c: rendered.get("NetworkPolicy", f"{FULLNAME}-{c}") for c in ("backend", "frontend", "postgresql")}
    labels = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d["spec"]["template"]["metadata"]["labels"]
              for d in rendered.workloads()}
    test_pods = rendered.of_kind("Pod")
    (labels["test"],) = {json.dumps(p["metadata"]["labels"], sort_keys=True) for p in test_pods}
    labels["test"] = json.loads(labels["test"])
    ports = {"backend": 8000, "frontend": 3000, "postgresql": 5432}
    allowed = {("frontend", "backend"), ("backend", "postgresql"), ("test", "backend"), ("test", "frontend"),
               ("backend", "frontend"), ("postgresql", "frontend"), ("frontend", "frontend")}
    for source, pod_labels in labels.items():
        for target, policy in policies.items():
            assert admits(policy, pod_labels, ports[target]) == ((source, target) in allowed), (source, target)
    # The helm test pods call exactly the Services of the admitted targets, on their container ports.
    for pod in test_pods:
        (c,) = pod["spec"]["containers"]
        svc = rendered.get("Service", f"{FULLNAME}-{c['name']}")
        assert svc["spec"]["ports"][0]["targetPort"] == "http"
        assert admits(policies[c["name"]], labels["test"], ports[c["name"]])


def test_extra_ingress_peers_are_appended_and_valid() -> None:
    backup = {"podSelector": {"matchLabels": {"app": "pg-backup"}},
              "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["db"]}]}}
    office = {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}
    rendered = render(overrides={"networkPolicy": {"backendExtraIngressFrom": [PROMETHEUS, office],
                                                   "postgresqlExtraIngressFrom": [backup]}})
    backend = rendered.get("NetworkPolicy", f"{FULLNAME}-backend")
    assert _peers(backend) == [([SAME_RELEASE["frontend"], SAME_RELEASE["test"], PROMETHEUS, office],
                                [{"port": 8000, "protocol": "TCP"}])]
    database = rendered.get("NetworkPolicy", f"{FULLNAME}-postgresql")
    assert _peers(database) == [([SAME_RELEASE["backend"], backup], [{"port": 5432, "protocol": "TCP"}])]
    frontend = rendered.get("NetworkPolicy", f"{FULLNAME}-frontend")
    assert _peers(frontend) == [([], [{"port": 3000, "protocol": "TCP"}])]
    assert schema_problems(rendered.of_kind("NetworkPolicy")) == []
    if rendered.notes is not None:
        assert "backendExtraIngressFrom" not in rendered.notes


def test_notes_say_how_to_admit_prometheus(defaults: Rendered) -> None:
    if defaults.notes is None:
        pytest.skip("helm template prints no NOTES")
    assert "networkPolicy.backendExtraIngressFrom" in defaults.notes
    off = render(overrides={"networkPolicy": {"enabled": False}})
    assert "backendExtraIngressFrom" not in off.notes


def test_ingress_routes_to_the_frontend_and_tls_makes_cookies_secure() -> None:
    rendered = render(CASES["external-db"])
    ingress = rendered.get("Ingress", FULLNAME)
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "todo.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": f"{FULLNAME}-frontend",
                                                              "port": {"name": "http"}}
    assert ingress["spec"]["tls"] == [{"secretName": "todo-example-com-tls", "hosts": ["todo.example.com"]}]
    assert rendered.config("frontend")["COOKIE_SECURE"] == "true"
    plain = render(CASES["autoscaling"])
    assert "tls" not in plain.get("Ingress", FULLNAME)["spec"]
    assert plain.config("frontend")["COOKIE_SECURE"] == "false"


def test_service_account_is_created_without_a_token() -> None:
    rendered = render(CASES["autoscaling"])
    sa = rendered.get("ServiceAccount", FULLNAME)
    assert sa["automountServiceAccountToken"] is False
    for _, spec in rendered.pod_specs():
        assert spec["serviceAccountName"] == FULLNAME


# --- helm test -----------------------------------------------------------------------------------------------

def test_helm_test_pods_health_check_both_services(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    backend_image = backend_container(rendered)["image"]
    urls = []
    for pod in rendered.of_kind("Pod"):
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        assert pod["spec"]["restartPolicy"] == "Never"
        # One container each: Helm before 4.2.4 cannot fetch `helm test --logs` of a pod with several.
        (c,) = pod["spec"]["containers"]
        assert pod["metadata"]["name"] == f"{FULLNAME}-test-{c['name']}"
        assert c["image"] == backend_image
        assert c["command"][:2] == ["todo-backend", "healthcheck"]
        urls.append(c["command"][2])
    expected = []
    for component in ("backend", "frontend"):
        svc = rendered.get("Service", f"{FULLNAME}-{component}")
        expected.append(f"http://{svc['metadata']['name']}:{svc['spec']['ports'][0]['port']}/readyz")
    assert urls == expected


# --- checksums -----------------------------------------------------------------------------------------------

def test_checksums_follow_config_and_secret_inputs(defaults: Rendered) -> None:
    again = render()
    assert again.secret_data()["AUTH_SECRET"] != defaults.secret_data()["AUTH_SECRET"], \
        "lookup is empty offline, so each render generates afresh"
    for component in ("backend", "frontend"):
        assert pod_annotations(again, component) == pod_annotations(defaults, component), \
            "generated values must not move the checksums"

    debug = render(overrides={"log": {"level": "debug"}})
    for component in ("backend", "frontend"):
        before, after = pod_annotations(defaults, component), pod_annotations(debug, component)
        assert after["checksum/config"] != before["checksum/config"], component
        assert after["checksum/secret"] == before["checksum/secret"], component

    keyed = render(overrides={"llm": {"apiKey": "sk-other-key"}})
    assert pod_annotations(keyed, "backend")["checksum/secret"] != \
        pod_annotations(defaults, "backend")["checksum/secret"]
    assert pod_annotations(keyed, "backend")["checksum/config"] == \
        pod_annotations(defaults, "backend")["checksum/config"]


def test_image_tags_can_be_pinned_per_image() -> None:
    rendered = render(CASES["kind"], {"backend": {"image": {"tag": "b1"}}, "frontend": {"image": {"tag": "f2"}},
                                      "postgresql": {"image": {"tag": "p3"}}})
    images = {c["name"]: c["image"] for w in rendered.workloads() for c in w["spec"]["template"]["spec"]["containers"]}
    assert images == {"backend": "todo-backend:b1", "frontend": "todo-frontend:f2",
                      "postgresql": "todo-postgres:p3"}


@pytest.mark.skipif(USE_BINARIES, reason="inspects the loaded chart through the SDK")
def test_package_leaves_out_the_test_suite_but_keeps_the_test_hook() -> None:
    import helm_python as helm

    with helm.Chart.load(CHART_DIR) as chart:
        assert chart.metadata["appVersion"] == "0.1.0"
        assert chart.metadata["name"] == "todo-chatbot"
        assert "templates/tests/test-healthcheck.yaml" in {t["name"] for t in chart.templates}
        assert not [f["name"] for f in chart.files if f["name"].startswith("tests/")]


# --- k3s (the VM test in nix/k3s layers values-k3s.yaml over values-kind.yaml) ------------------------------

def test_k3s_overlay_keeps_the_kind_node_port_and_claims_local_path_storage() -> None:
    rendered = render(CASES["k3s"])
    svc = rendered.get("Service", f"{FULLNAME}-frontend")
    assert (svc["spec"]["type"], svc["spec"]["ports"][0]["nodePort"]) == ("NodePort", 30080)
    (claim,) = rendered.get("StatefulSet", f"{FULLNAME}-postgresql")["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
