"""The settings of issue 15 as the chart renders them: trusted proxies (and the deprecated
trustForwardedFor), the frontend's CSRF key, throttles, quotas, HTTP server limits, and the NodePort's traffic policy."""

from __future__ import annotations

import pytest

from conftest import CASES, FULLNAME, RenderError, env_value, render


def frontend_container(rendered) -> dict:
    return rendered.get("Deployment", f"{FULLNAME}-frontend")["spec"]["template"]["spec"]["containers"][0]


def test_trusted_proxies_default_to_the_pod_networks_for_the_backend_and_none_for_the_frontend() -> None:
    rendered = render()
    assert rendered.config("backend")["TRUSTED_PROXIES"] == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    assert rendered.config("frontend")["TRUSTED_PROXIES"] == ""
    assert "TRUST_FORWARDED_FOR" not in rendered.config("backend")
    ingress = render(overrides={"frontend": {"trustedProxies": ["10.42.0.0/16", "192.0.2.10"]}})
    assert ingress.config("frontend")["TRUSTED_PROXIES"] == "10.42.0.0/16,192.0.2.10"


@pytest.mark.parametrize(("old", "expected"), [
    (False, ""),
    (True, "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"),
    (None, "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"),
])
def test_the_deprecated_trust_forwarded_for_keeps_its_meaning(old: bool | None, expected: str) -> None:
    rendered = render(overrides={"backend": {"trustForwardedFor": old}})
    assert rendered.config("backend")["TRUSTED_PROXIES"] == expected


def test_proxy_lists_hold_addresses_only() -> None:
    with pytest.raises(RenderError):
        render(overrides={"frontend": {"trustedProxies": ["ingress-nginx.svc"]}})


def test_the_csrf_key_is_a_secret_of_the_chart_generated_or_given() -> None:
    for name, files in CASES.items():
        rendered = render(files)
        ref = env_value(frontend_container(rendered), "CSRF_SECRET")["valueFrom"]["secretKeyRef"]
        assert ref == {"name": FULLNAME, "key": "CSRF_SECRET"}, name
        assert len(rendered.secret_data(FULLNAME)["CSRF_SECRET"]) == 64, name
    given = render(overrides={"csrfSecret": "c" * 40})
    assert given.secret_data(FULLNAME)["CSRF_SECRET"] == "c" * 40
    with pytest.raises(RenderError):
        render(overrides={"csrfSecret": "too short"})


def test_throttles_limits_and_timeouts_reach_both_services() -> None:
    rendered = render()
    backend, frontend = rendered.config("backend"), rendered.config("frontend")
    for config in (backend, frontend):
        assert (config["HTTP_HEADER_READ_TIMEOUT_SECS"], config["HTTP_IDLE_TIMEOUT_SECS"],
                config["HTTP_MAX_CONNECTIONS"]) == ("10", "75", "1024")
    assert (backend["SIGNUP_BURST"], backend["SIGNUP_INTERVAL_SECS"]) == ("10", "60")
    assert frontend["CHAT_FIRST_BYTE_TIMEOUT_SECS"] == "15"
    tuned = render(overrides={
        "backend": {"signup": {"burst": 3, "intervalSeconds": 600}, "http": {"maxConnections": 200}},
        "frontend": {"http": {"idleTimeoutSeconds": 120}, "chatFirstByteTimeoutSeconds": 30},
    })
    backend, frontend = tuned.config("backend"), tuned.config("frontend")
    assert (backend["SIGNUP_BURST"], backend["SIGNUP_INTERVAL_SECS"], backend["HTTP_MAX_CONNECTIONS"]) == ("3", "600", "200")
    assert (frontend["HTTP_IDLE_TIMEOUT_SECS"], frontend["CHAT_FIRST_BYTE_TIMEOUT_SECS"]) == ("120", "30")


def test_kind_keeps_the_browsers_address_on_its_node_port() -> None:
    service = render(CASES["kind"]).get("Service", f"{FULLNAME}-frontend")["spec"]
    assert (service["type"], service["externalTrafficPolicy"]) == ("NodePort", "Local")
    assert "externalTrafficPolicy" not in render().get("Service", f"{FULLNAME}-frontend")["spec"]
    with pytest.raises(RenderError, match="externalTrafficPolicy Local needs"):
        render(overrides={"frontend": {"service": {"externalTrafficPolicy": "Local"}}})


def test_quotas_reach_the_backend() -> None:
    backend = render().config("backend")
    assert (backend["QUOTA_ACTIONS_PER_TURN"], backend["QUOTA_TASKS_PER_USER"],
            backend["QUOTA_CHAT_TURNS_PER_MINUTE"]) == ("50", "10000", "20")
    tuned = render(overrides={"backend": {"quotas": {"tasksPerUser": 0, "chatTurnsPerMinute": 5}}}).config("backend")
    assert (tuned["QUOTA_TASKS_PER_USER"], tuned["QUOTA_CHAT_TURNS_PER_MINUTE"]) == ("0", "5")
    with pytest.raises(RenderError):
        render(overrides={"backend": {"quotas": {"actionsPerTurn": 0}}})
