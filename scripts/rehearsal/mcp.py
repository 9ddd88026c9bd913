"""An assistant at the UI's address: `/mcp` on a frontend pod, which the frontend forwards to the backend Service
as the chart configures it (docs/mcp.md). Plain JSON-RPC over HTTP, as curl would send it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

PROTOCOL_VERSION = "2025-11-25"
TIMEOUT_SECONDS = 15


class McpError(Exception):
    """The MCP endpoint did not answer as an MCP client expects; the message says how."""


def call_tool(base_url: str, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    """The tool's result (its text content, parsed as JSON); a tool error or a refusal is an McpError."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": tool, "arguments": arguments}}).encode()
    request = urllib.request.Request(f"{base_url}/mcp", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": PROTOCOL_VERSION})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        raise McpError(f"POST {base_url}/mcp {tool}: HTTP {error.code} {error.read()[:300]!r}") from error
    except (OSError, ValueError) as error:
        raise McpError(f"POST {base_url}/mcp {tool}: {error}") from error
    result = answer.get("result")
    if result is None or result.get("isError") is not False:
        raise McpError(f"POST {base_url}/mcp {tool}: {json.dumps(answer)[:300]}")
    return json.loads(result["content"][0]["text"])
