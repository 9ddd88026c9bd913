"""A bounded fuzz of what reaches the MCP endpoint: generated JSON-RPC bodies (well-formed, odd and
broken), batches, plain JSON, bytes, and the transport's headers, POSTed with a valid token to the real
backend. None may be answered with a 5xx, and the backend must be alive, healthy and free of panics
afterwards. Deterministic (hypothesis derandomised); `MCP_FUZZ_EXAMPLES` sets how many (default 400)."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Service, User

EXAMPLES = int(os.environ.get("MCP_FUZZ_EXAMPLES", "400"))
TOOLS = ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"]
METHODS = [
    "initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/initialized",
    "notifications/cancelled", "resources/list", "prompts/list", "completion/complete", "logging/setLevel",
    "tasks/get", "subscriptions/listen",
]
VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", "2099-01-01", "", "latest"]

# Header values: visible ASCII; HTTP trims surrounding spaces, so clients refuse to send them.
printable = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.strip)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
versions = st.sampled_from(VERSIONS) | printable
meta = st.fixed_dictionaries({}, optional={
    "io.modelcontextprotocol/protocolVersion": versions | json_values,
    "io.modelcontextprotocol/clientCapabilities": st.just({}) | json_values,
    "io.modelcontextprotocol/clientInfo": st.just({"name": "fuzz", "version": "1"}) | json_values,
    "progressToken": json_values,
})
# Arguments of the right types (so calls reach the task service), arguments of any types, anything.
typed_arguments = st.fixed_dictionaries({}, optional={
    "title": st.text(max_size=250),
    "description": st.none() | st.text(max_size=50),
    "priority": st.sampled_from(["low", "medium", "high", "urgent"]),
    "due_at": st.none() | st.sampled_from(["2026-12-03T17:00:00+01:00", "tomorrow", "9999-12-31T23:59:59Z"]),
    "status": st.sampled_from(["all", "pending", "completed", "done"]),
    "q": st.text(max_size=30),
    "task_id": st.integers(min_value=-1, max_value=60) | st.sampled_from(["1", "#2", "abc", "99999999999999999999"]),
    "completed": st.booleans(),
})
loose_arguments = st.dictionaries(
    st.sampled_from(["title", "description", "priority", "due_at", "status", "q", "task_id", "completed"])
    | st.text(max_size=8),
    json_values,
    max_size=5,
)
arguments = st.one_of(typed_arguments, typed_arguments, typed_arguments, loose_arguments, json_values)
titles = st.text(min_size=1, max_size=60).filter(str.strip)
task_ids = st.integers(min_value=1, max_value=60)
# Calls a client would make, which mostly succeed (or find no such task).
sound_call = st.one_of(
    st.fixed_dictionaries({"title": titles}, optional={
        "priority": st.sampled_from(["low", "medium", "high"]), "description": st.text(max_size=50),
        "due_at": st.sampled_from(["2026-12-03T17:00:00+01:00", "2027-01-01T09:00:00Z"]),
    }).map(lambda a: {"name": "add_task", "arguments": a}),
    st.fixed_dictionaries({}, optional={
        "status": st.sampled_from(["all", "pending", "completed"]), "q": st.text(max_size=10),
    }).map(lambda a: {"name": "list_tasks", "arguments": a}),
    st.builds(lambda name, id_: {"name": name, "arguments": {"task_id": id_}},
              st.sampled_from(["complete_task", "delete_task"]), task_ids),
    st.builds(lambda id_, title: {"name": "update_task", "arguments": {"task_id": id_, "title": title}},
              task_ids, titles),
)
tool_call = st.one_of(
    sound_call,
    st.fixed_dictionaries(
        {"name": st.one_of(st.sampled_from(TOOLS), st.sampled_from(TOOLS), st.text(max_size=20))},
        optional={"arguments": arguments, "_meta": meta},
    ),
)
initialize = st.fixed_dictionaries({}, optional={
    "protocolVersion": versions | json_values,
    "capabilities": st.just({}) | json_values,
    "clientInfo": st.just({"name": "fuzz", "version": "1"}) | json_values,
    "_meta": meta,
})
params = (tool_call | initialize | json_values
          | st.fixed_dictionaries({}, optional={"_meta": meta, "cursor": json_values}))
# Well-formed requests to real methods carry most examples, so the fuzz reaches the tools and not only the
# transport's parsing; loose messages, batches, other JSON and bytes cover the rest.
request = st.builds(
    lambda id_, method_and_params: {"jsonrpc": "2.0", "id": id_, **method_and_params},
    st.integers(min_value=0, max_value=2**31) | st.text(max_size=10),
    st.builds(lambda p: {"method": "tools/call", "params": p}, tool_call)
    | st.builds(lambda p: {"method": "initialize", "params": p}, initialize)
    | st.builds(lambda m, p: {"method": m, "params": p}, st.sampled_from(METHODS),
                st.fixed_dictionaries({}, optional={"_meta": meta})),
)
message = st.fixed_dictionaries({}, optional={
    "jsonrpc": st.just("2.0") | json_values,
    "id": st.integers() | st.text(max_size=10) | json_values,
    "method": st.sampled_from(METHODS) | st.text(max_size=20) | json_values,
    "params": params,
    "result": json_values,
    "error": json_values,
})
bodies = st.one_of(
    request.map(json.dumps), request.map(json.dumps), request.map(json.dumps), request.map(json.dumps),
    message.map(json.dumps),
    st.lists(message, max_size=3).map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=200),
)
odd_headers = st.fixed_dictionaries({}, optional={
    "MCP-Protocol-Version": versions,
    "Mcp-Method": st.sampled_from(METHODS) | printable,
    "Mcp-Name": st.sampled_from(TOOLS) | printable,
    "Mcp-Session-Id": printable,
    "Accept": st.sampled_from(
        ["application/json, text/event-stream", "application/json", "text/event-stream", "*/*"]),
    "Content-Type": st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"]),
})
# Mostly what a client sends (nothing extra, or a known revision), sometimes anything.
headers = st.one_of(
    st.just({}), st.just({}),
    st.sampled_from(VERSIONS[:5]).map(lambda version: {"MCP-Protocol-Version": version}),
    odd_headers,
)


def post(backend: Service, token: str, body: str | bytes, extra: dict[str, str]) -> httpx2.Response:
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", **extra}
    return httpx2.post(f"{backend.url}/mcp", content=body, headers=sent, timeout=30)


def test_generated_bodies_never_get_a_server_error(backend: Service, user: User) -> None:
    token = user.create_token("fuzz")["token"]

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=bodies, extra=headers)
    def answered_below_500(body: str | bytes, extra: dict[str, Any]) -> None:
        answer = post(backend, token, body, extra)
        assert answer.status_code < 500, f"{answer.status_code} {answer.text!r} for {body!r} with {extra}"

    answered_below_500()


def test_the_backend_is_alive_healthy_and_never_panicked(backend: Service) -> None:
    assert backend.alive()
    assert httpx2.get(f"{backend.url}/healthz").status_code == 200
    assert httpx2.get(f"{backend.url}/readyz").status_code == 200
    log = backend.log()
    assert "panicked" not in log, log[-4000:]
