"""The official MCP Python SDK as an assistant would use it: a URL (the UI's address, through the
frontend) and a personal access token, in both protocol eras — the current revision without a handshake
(`mode="auto"` discovers 2026-07-28) and the `initialize` handshake of 2025-11-25 (`mode="legacy"`)."""

from __future__ import annotations

import json
import os
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from conftest import ROOT, Database, Service, User, start_backend

pytestmark = pytest.mark.anyio

ERAS = [pytest.param("auto", "2026-07-28", id="2026-07-28"), pytest.param("legacy", "2025-11-25", id="initialize")]
DOCS = ROOT / "docs" / "mcp.md"
TOOL_LIST_MARKER = "<!-- tools/list, as checked by backend/tests/mcp-client -->"
MCP_REMOTE = ROOT / "scripts" / "mcp-remote" / "node_modules" / ".bin" / "mcp-remote"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def connect(url: str, token: str, mode: str = "auto") -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            yield client


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[Any, bool]:
    """The tool's answer (JSON when it parses, else the text) and whether it is a tool error."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    try:
        return json.loads(text), bool(result.is_error)
    except ValueError:
        return text, bool(result.is_error)


def errors_in(raised: BaseException) -> list[MCPError]:
    """The MCP errors inside an exception, however deep in exception groups."""
    if isinstance(raised, MCPError):
        return [raised]
    if isinstance(raised, BaseExceptionGroup):
        return [error for inner in raised.exceptions for error in errors_in(inner)]
    return []


def documented_tools() -> list[dict[str, Any]]:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(re.escape(TOOL_LIST_MARKER) + r"\s*```json\n(.*?)\n```", text, re.S)
    assert block, f"{DOCS} has no tool list after {TOOL_LIST_MARKER!r}"
    return json.loads(block.group(1))


def documented_claude_desktop_server() -> dict[str, Any]:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"### Claude Desktop\n.*?```json\n(.*?)\n```", text, re.S)
    assert block, f"{DOCS} shows no Claude Desktop configuration"
    return json.loads(block.group(1))["mcpServers"]["todo"]


def mcp_url(service: Service) -> str:
    return f"{service.url}/mcp"


@pytest.mark.parametrize(("mode", "version"), ERAS)
async def test_a_url_and_a_token_are_enough_to_see_the_documented_tools(
    frontend: Service, user: User, mode: str, version: str
) -> None:
    token = user.create_token("Claude Desktop")["token"]
    async with connect(mcp_url(frontend), token, mode) as client:
        assert client.protocol_version == version
        assert client.server_info is not None and client.server_info.name == "todo-chatbot"
        tools = (await client.list_tools()).tools
    listed = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    assert listed == documented_tools()


@pytest.mark.parametrize(("mode", "version"), ERAS)
async def test_each_tool_does_to_the_database_what_it_says(
    frontend: Service, user: User, database: Database, mode: str, version: str
) -> None:
    token = user.create_token()["token"]
    async with connect(mcp_url(frontend), token, mode) as client:
        added, failed = await call(client, "add_task", {
            "title": "  Buy groceries ", "description": "milk, eggs", "priority": "high",
            "due_at": "2026-12-03T17:00:00+01:00",
        })
        assert not failed, added
        task_id = added["task_id"]
        assert added == {"task_id": task_id, "status": "created", "title": "Buy groceries"}
        row = database.task(task_id)
        assert row is not None
        assert (row["user_id"], row["title"], row["description"], row["priority"], row["completed"]) == (
            user.user_id, "Buy groceries", "milk, eggs", "high", False)
        assert row["due_at"].startswith("2026-12-03T16:00:00"), row["due_at"]

        listed, failed = await call(client, "list_tasks", {"status": "pending"})
        assert not failed and [task["id"] for task in listed] == [task_id]
        assert listed[0]["title"] == "Buy groceries" and listed[0]["priority"] == "high"
        assert (await call(client, "list_tasks", {"q": "eggs"}))[0][0]["id"] == task_id

        new_title = "Buy groceries and bread"
        updated, failed = await call(
            client, "update_task", {"task_id": task_id, "title": new_title, "priority": "low", "due_at": None})
        assert (updated, failed) == ({"task_id": task_id, "status": "updated", "title": new_title}, False)
        row = database.task(task_id)
        assert row is not None and (row["title"], row["priority"], row["due_at"]) == (new_title, "low", None)

        completed, failed = await call(client, "complete_task", {"task_id": task_id})
        assert (completed["status"], failed) == ("completed", False)
        assert database.task(task_id)["completed"] is True  # type: ignore[index]
        assert (await call(client, "list_tasks", {"status": "pending"}))[0] == []
        assert [t["id"] for t in (await call(client, "list_tasks", {"status": "completed"}))[0]] == [task_id]

        deleted, failed = await call(client, "delete_task", {"task_id": task_id})
        assert (deleted, failed) == ({"task_id": task_id, "status": "deleted", "title": new_title}, False)
        assert database.task(task_id) is None

        undone, failed = await call(client, "undo", {})
        assert (undone, failed) == (
            {"status": "undone", "changes": [{"task_id": task_id, "title": new_title, "status": "restored"}]}, False)
        row = database.task(task_id)
        assert row is not None and (row["title"], row["priority"], row["completed"]) == (new_title, "low", True)


@pytest.mark.skipif(not MCP_REMOTE.exists(), reason="mcp-remote is not installed: scripts/test installs it "
                    "(npm ci --prefix scripts/mcp-remote)")
async def test_the_documented_claude_desktop_configuration_connects(
    frontend: Service, user: User, database: Database, tmp_path: Path
) -> None:
    """Claude Desktop starts the configured command and speaks MCP to it over stdio; this test does the
    same with the SDK's stdio client, running the pinned mcp-remote where the configuration says `npx`."""
    server = documented_claude_desktop_server()
    assert server["command"] == "npx" and server["args"][:2] == ["-y", "mcp-remote"], server
    token = user.create_token("Claude Desktop")["token"]
    args = [mcp_url(frontend) if arg == "http://localhost:8080/mcp" else arg for arg in server["args"][2:]]
    env = {name: value.replace("TOKEN", token) for name, value in server["env"].items()}
    bridge = StdioServerParameters(
        command=str(MCP_REMOTE), args=args,
        env={**env, "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    async with Client(bridge, mode="legacy") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        added, failed = await call(client, "add_task", {"title": "Asked for in Claude"})
    assert names == [tool["name"] for tool in documented_tools()]
    assert not failed, added
    assert [task["title"] for task in database.tasks(user.user_id)] == ["Asked for in Claude"]


async def test_a_stream_of_calls_in_one_session(frontend: Service, user: User, database: Database) -> None:
    token = user.create_token()["token"]
    async with connect(mcp_url(frontend), token) as client:
        for n in range(10):
            answer, failed = await call(client, "add_task", {"title": f"Errand {n}"})
            assert not failed, answer

        async def add(n: int) -> None:
            answer, failed = await call(client, "add_task", {"title": f"Parallel errand {n}"})
            assert not failed, answer

        async with anyio.create_task_group() as group:
            for n in range(10):
                group.start_soon(add, n)
        listed, failed = await call(client, "list_tasks", {})
    assert not failed
    titles = sorted(task["title"] for task in listed)
    assert titles == sorted([f"Errand {n}" for n in range(10)] + [f"Parallel errand {n}" for n in range(10)])
    assert sorted(task["title"] for task in database.tasks(user.user_id)) == titles


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_bad_or_expired_token_is_refused(
    frontend: Service, user: User, database: Database, mode: str
) -> None:
    expired = user.create_token("expired", expires_in_days=1)
    database.query(
        "update access_tokens set created_at = now() - interval '2 days', expires_at = now() - interval '1 minute' "
        f"where id = {int(expired['id'])} returning json_build_object('id', id)"
    )
    for token in ["todo_pat_" + "A" * 43, "not-a-token", expired["token"]]:
        with pytest.raises(BaseException) as raised:
            async with connect(mcp_url(frontend), token, mode):
                pass
        messages = [error.error.message for error in errors_in(raised.value)]
        assert messages == ["authentication required: send a valid bearer token"], raised.value
    answer = httpx2.post(mcp_url(frontend), json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert (answer.status_code, answer.headers.get("www-authenticate")) == (401, "Bearer")
    assert database.tasks(user.user_id) == []


async def test_a_revoked_token_is_refused_on_its_next_call(frontend: Service, user: User) -> None:
    token = user.create_token()
    async with connect(mcp_url(frontend), token["token"]) as client:
        assert (await call(client, "list_tasks", {})) == ([], False)
        user.revoke(token["id"])
        with pytest.raises(BaseException) as raised:
            await client.call_tool("list_tasks", {})
    messages = [error.error.message for error in errors_in(raised.value)]
    assert messages == ["authentication required: send a valid bearer token"], raised.value


async def test_another_users_task_is_not_found(
    frontend: Service, user: User, other_user: User, database: Database
) -> None:
    async with connect(mcp_url(frontend), user.create_token()["token"]) as alice:
        added, _ = await call(alice, "add_task", {"title": "Alice's secret"})
    task_id = added["task_id"]
    before = database.tasks(user.user_id)
    async with connect(mcp_url(frontend), other_user.create_token()["token"]) as bob:
        for tool, arguments in [
            ("complete_task", {"task_id": task_id}),
            ("delete_task", {"task_id": task_id}),
            ("update_task", {"task_id": task_id, "title": "Bob's now"}),
        ]:
            assert await call(bob, tool, arguments) == (f"task {task_id} not found", True), tool
        assert await call(bob, "list_tasks", {}) == ([], False)
    assert database.tasks(user.user_id) == before


async def test_malformed_arguments_are_tool_errors_with_the_chat_messages(
    frontend: Service, user: User, database: Database
) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("add_task", {}, "invalid arguments: title is required"),
        ("add_task", {"title": 5}, "invalid arguments: invalid type: integer `5`, expected a string"),
        ("add_task", {"title": "Milk", "colour": "red"}, "invalid arguments: unknown field `colour`"),
        ("add_task", {"title": "x" * 201}, "invalid arguments: title "),
        ("add_task", {"title": "Milk", "due_at": "tomorrow"}, "invalid arguments: due_at "),
        ("add_task", {"title": "Milk", "priority": "urgent"}, "invalid arguments: priority "),
        ("list_tasks", {"status": "done"}, "invalid arguments: unknown variant `done`"),
        ("complete_task", {}, "invalid arguments: task_id is required"),
        ("complete_task", {"task_id": "soon"}, "invalid arguments: task_id must be an integer"),
        ("update_task", {"task_id": 1}, "nothing to change: pass title, description, priority, due_at or completed"),
    ]
    async with connect(mcp_url(frontend), user.create_token()["token"]) as client:
        for tool, arguments, message in cases:
            answer, failed = await call(client, tool, arguments)
            assert failed and isinstance(answer, str) and answer.startswith(message), (tool, arguments, answer)
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("drop_tables", {})
        assert unknown.value.error.code == -32602
    assert database.tasks(user.user_id) == []


async def test_any_replica_answers_any_request(
    backend: Service, database: Database, auth_secret: str, user: User
) -> None:
    """Two backends on one database, as on Kubernetes without sticky sessions: the handshake on one,
    the calls on the other, with no session id to carry."""
    token = user.create_token()["token"]
    second = start_backend(database, auth_secret)
    try:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2025-11-25"}

        def post(service: Service, message: dict[str, Any]) -> httpx2.Response:
            return httpx2.post(mcp_url(service), json={"jsonrpc": "2.0", "id": 1, **message}, headers=headers)

        hello = post(backend, {"method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "replicas", "version": "1"}}})
        assert hello.status_code == 200 and "mcp-session-id" not in hello.headers
        added = post(second, {"method": "tools/call",
                              "params": {"name": "add_task", "arguments": {"title": "Seen by both"}}})
        assert added.json()["result"]["isError"] is False, added.text
        listed = post(backend, {"method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}})
        assert [task["title"] for task in json.loads(listed.json()["result"]["content"][0]["text"])] == ["Seen by both"]
    finally:
        second.stop()


async def test_tool_calls_are_counted_and_logged_without_their_arguments(backend: Service, user: User) -> None:
    secret_title = "Surprise party for Sam"
    token = user.create_token()
    async with connect(mcp_url(backend), token["token"]) as client:
        assert (await call(client, "add_task", {"title": secret_title}))[1] is False
    metrics = httpx2.get(f"{backend.url}/metrics").text
    assert re.search(r'^mcp_tool_calls_total\{tool="add_task",outcome="ok"\} [1-9]', metrics, re.M), metrics
    assert 'mcp_tool_call_duration_seconds_count{tool="add_task"}' in metrics
    lines = [json.loads(line) for line in backend.log().splitlines() if line.startswith("{")]
    finished = [line for line in lines if line.get("message") == "MCP tool call finished"
                and line["span"].get("user_id") == user.user_id]
    assert finished, "one log line per call"
    assert finished[-1]["span"]["tool"] == "add_task" and finished[-1]["outcome"] == "ok"
    assert finished[-1]["span"]["access_token_id"] == token["id"]
    assert "duration_ms" in finished[-1]
    assert secret_title not in backend.log(), "arguments never reach the log"
