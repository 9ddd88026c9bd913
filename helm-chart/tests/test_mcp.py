"""/mcp at the UI's address (docs/mcp.md): whatever reaches the frontend on `/mcp` (the kind NodePort, an Ingress)
is forwarded by the frontend to the backend Service, so every hop of that path must exist and be admitted."""

from __future__ import annotations

import pytest

from conftest import CASES, FULLNAME, RenderError, Rendered, admits, render, schema_problems

MCP_PATH = "/mcp"


def service_for(ingress: dict, path: str) -> str | None:
    """The Service an Ingress sends `path` to, by the longest matching rule path (Prefix matches whole segments)."""
    best: tuple[int, str] | None = None
    for rule in ingress["spec"]["rules"]:
        for route in rule["http"]["paths"]:
            prefix = route["path"]
            if route["pathType"] == "Exact":
                matches = path == prefix
            else:
                trimmed = prefix.rstrip("/")
                matches = path == trimmed or path.startswith(trimmed + "/")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), route["backend"]["service"]["name"])
    return best[1] if best else None


def pod_labels(rendered: Rendered, component: str) -> dict[str, str]:
    return rendered.get("Deployment", f"{FULLNAME}-{component}")["spec"]["template"]["metadata"]["labels"]


def selects(service: dict, labels: dict[str, str]) -> bool:
    return service["spec"]["selector"].items() <= labels.items()


def container_port(rendered: Rendered, component: str, name: str) -> int:
    (container,) = rendered.get("Deployment", f"{FULLNAME}-{component}")["spec"]["template"]["spec"]["containers"]
    return next(p["containerPort"] for p in container["ports"] if p["name"] == name)


def assert_frontend_forwards_mcp_to_the_backend(rendered: Rendered) -> None:
    """The frontend's BACKEND_URL names the backend Service, which selects the backend pods on their HTTP port,
    and the backend's NetworkPolicy (when rendered) admits the frontend pods there."""
    frontend, backend = pod_labels(rendered, "frontend"), pod_labels(rendered, "backend")
    service = rendered.get("Service", f"{FULLNAME}-backend")
    (port,) = service["spec"]["ports"]
    assert rendered.config("frontend")["BACKEND_URL"] == f"http://{service['metadata']['name']}:{port['port']}"
    assert selects(service, backend) and not selects(service, frontend)
    backend_port = container_port(rendered, "backend", port["targetPort"])
    policy = rendered.find("NetworkPolicy", f"{FULLNAME}-backend")
    if policy is not None:
        assert admits(policy, frontend, backend_port)


@pytest.mark.parametrize("name", ["kind", "k3s"])
def test_kind_serves_mcp_at_the_ui_address_through_the_frontend(name: str) -> None:
    """On kind (and the k3s VM test) the node port that kind maps to the host port reaches the frontend pods,
    which anyone may reach, and the frontend reaches the backend: http://localhost:8080/mcp works."""
    rendered = render(CASES[name])
    service = rendered.get("Service", f"{FULLNAME}-frontend")
    assert (service["spec"]["type"], service["spec"]["ports"][0]["nodePort"]) == ("NodePort", 30080)
    assert selects(service, pod_labels(rendered, "frontend"))
    frontend_port = container_port(rendered, "frontend", service["spec"]["ports"][0]["targetPort"])
    policy = rendered.get("NetworkPolicy", f"{FULLNAME}-frontend")
    assert admits(policy, {}, frontend_port), "the UI's port (and /mcp on it) is open to clients outside the release"
    assert_frontend_forwards_mcp_to_the_backend(rendered)
    # Nothing else is exposed: the backend stays inside the cluster.
    assert rendered.get("Service", f"{FULLNAME}-backend")["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert not rendered.of_kind("Ingress")


@pytest.mark.parametrize("name", ["external-db", "autoscaling"])
def test_an_ingress_sends_mcp_where_it_sends_the_ui(name: str) -> None:
    rendered = render(CASES[name])
    ingress = rendered.get("Ingress", FULLNAME)
    assert service_for(ingress, MCP_PATH) == service_for(ingress, "/") == f"{FULLNAME}-frontend"
    assert_frontend_forwards_mcp_to_the_backend(rendered)


def test_the_ingress_route_matcher_follows_prefix_semantics() -> None:
    ingress = {"spec": {"rules": [{"http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "ui"}}},
        {"path": "/mcp", "pathType": "Prefix", "backend": {"service": {"name": "api"}}},
        {"path": "/exact", "pathType": "Exact", "backend": {"service": {"name": "exact"}}},
    ]}}]}}
    assert service_for(ingress, "/mcp") == service_for(ingress, "/mcp/x") == "api"
    assert service_for(ingress, "/mcpx") == service_for(ingress, "/exact/x") == "ui"
    assert service_for(ingress, "/exact") == "exact"


def test_every_value_set_keeps_the_frontend_to_backend_hop(case: tuple[str, Rendered]) -> None:
    _, rendered = case
    assert_frontend_forwards_mcp_to_the_backend(rendered)


def test_allowed_browser_origins_reach_the_backend(defaults: Rendered) -> None:
    assert "MCP_ALLOWED_ORIGINS" not in defaults.config("backend"), "by default every browser origin is refused"
    origins = ["http://localhost:6274", "https://assistant.example.com"]
    rendered = render(overrides={"backend": {"mcpAllowedOrigins": origins}})
    assert rendered.config("backend")["MCP_ALLOWED_ORIGINS"] == ",".join(origins)
    assert "MCP_ALLOWED_ORIGINS" not in rendered.config("frontend")
    assert schema_problems(rendered.of_kind("ConfigMap")) == []


@pytest.mark.parametrize("origin", ["*", "localhost:6274", "https://a.example.com/path", "http://a.com,http://b.com",
                                    "ftp://a.example.com"])
def test_an_origin_that_is_not_scheme_host_port_is_refused(origin: str) -> None:
    with pytest.raises(RenderError) as refused:
        render(overrides={"backend": {"mcpAllowedOrigins": [origin]}})
    assert "mcpAllowedOrigins" in str(refused.value)
