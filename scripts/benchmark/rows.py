"""The rows of the benchmark table: which requests each row sends, as whom, and in what mix.

A row is measured against our service (each build) and against its database ceiling: the SQL statements the
service ran for one request of each kind, captured from PostgreSQL's log (capture.py) and replayed by pgbench
with the same parameters and the same concurrency. Only the task ids vary, the same way on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field

# Placeholders in paths, bodies and header values: {id} is a task id chosen by the request's `ids` rule, {n} a
# number no other request of the run uses, {k} that number modulo LOGIN_USERS (one of the seeded login users).
RANDOM = "random"  # uniformly random among the user's seeded tasks
FRESH = "fresh"  # each id once, from a block of tasks seeded right before the measurement
LOGIN_USERS = 2000


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    user: str
    body: str | None = None
    service: str = "backend"  # or "frontend": the htmx pages, signed in by the session cookie
    ids: str | None = None
    weight: int = 1
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    requests: tuple[Request, ...]
    # Rows measured once more with the static build on musl's own allocator (the allocator comparison).
    allocator: bool = False
    notes: str = ""
    # Connections of this row's load, instead of the run's (--connections).
    connections: int | None = None
    tags: tuple[str, ...] = field(default=())


def _list(key: str, title: str, query: str = "") -> Row:
    path = "/api/{user}/tasks" + (f"?{query}" if query else "")
    return Row(key, title, (Request("GET", path, user="large"),), tags=("list-1000",))


NEW_TASK = '{"title":"Write the benchmark report","description":"numbers and a plot","priority":"high",' \
           '"due_at":"2026-12-03T17:00:00Z"}'
TASK_PATCH = '{"title":"Write the benchmark report, again","priority":"low"}'
LOGIN = '{"email":"login-{k}@bench.example","password":"benchmark password"}'
CHAT = '{"message":"What\'s pending?"}'

ROWS: tuple[Row, ...] = (
    Row("list-50", "GET /api/{user_id}/tasks (50 of 50)",
        (Request("GET", "/api/{user}/tasks", user="small"),), allocator=True, tags=("list-50",)),
    _list("list-created", "… 100 of 1,000, newest first (default)"),
    _list("list-title", "… 100 of 1,000, sort=title", "sort=title"),
    _list("list-due", "… 100 of 1,000, sort=due_date", "sort=due_date"),
    _list("list-priority", "… 100 of 1,000, sort=priority", "sort=priority"),
    _list("list-pending", "… 100 of 1,000, status=pending", "status=pending"),
    _list("list-completed", "… 100 of 1,000, status=completed", "status=completed"),
    _list("list-search", "… 100 of 1,000, q=report", "q=report"),
    Row("get", "GET /api/{user_id}/tasks/{id}",
        (Request("GET", "/api/{user}/tasks/{id}", user="large", ids=RANDOM),), allocator=True),
    Row("create", "POST /api/{user_id}/tasks",
        (Request("POST", "/api/{user}/tasks", user="creator", body=NEW_TASK),), allocator=True),
    Row("update", "PUT /api/{user_id}/tasks/{id}",
        (Request("PUT", "/api/{user}/tasks/{id}", user="writer", ids=RANDOM, body=TASK_PATCH),)),
    Row("toggle", "PATCH /api/{user_id}/tasks/{id}/complete",
        (Request("PATCH", "/api/{user}/tasks/{id}/complete", user="writer", ids=RANDOM),)),
    Row("delete", "DELETE /api/{user_id}/tasks/{id}",
        (Request("DELETE", "/api/{user}/tasks/{id}", user="deleter", ids=FRESH),)),
    Row("chat", "POST /api/{user_id}/chat, embedded engine (200 tasks)",
        (Request("POST", "/api/{user}/chat", user="chat", body=CHAT),), allocator=True),
    # One connection: no request waits behind another, so its latency is the time the server takes for a turn.
    Row("chat-serial", "… the same, one turn at a time (server-side time)",
        (Request("POST", "/api/{user}/chat", user="chat", body=CHAT),), connections=1),
    Row("page-chat", "frontend GET /chat (page)", (Request("GET", "/chat", user="small", service="frontend"),)),
    Row("page-tasks", "frontend GET /tasks (page, 50 tasks)",
        (Request("GET", "/tasks", user="small", service="frontend"),)),
    Row("mixed", "mixed: 60% list, 20% get, 10% create, 5% update, 5% toggle",
        (Request("GET", "/api/{user}/tasks", user="small", weight=12),
         Request("GET", "/api/{user}/tasks/{id}", user="large", ids=RANDOM, weight=4),
         Request("POST", "/api/{user}/tasks", user="creator", body=NEW_TASK, weight=2),
         Request("PUT", "/api/{user}/tasks/{id}", user="writer", ids=RANDOM, body=TASK_PATCH, weight=1),
         Request("PATCH", "/api/{user}/tasks/{id}/complete", user="writer", ids=RANDOM, weight=1)),
        allocator=True),
    # Last: argon2id's memory stays resident after the burst (the allocators keep it for the next hashes), so
    # any row after this one would report the login's peak as its own.
    # Each seeded login user arrives from a /64 of its own (the throttles key IPv6 clients by /64), so no
    # client or account reaches its login throttle.
    Row("login", "POST /api/auth/login (argon2id)",
        (Request("POST", "/api/auth/login", user="login", body=LOGIN,
                 headers=(("X-Forwarded-For", "2001:db8:{k}::1"),)),),
        notes="bound by argon2id by design: 7 MiB and five passes (about 13 ms of CPU) per hash"),
)

# A subset for `--smoke` (scripts/test): one row of each mechanism, so the script cannot rot.
SMOKE = ("list-50", "list-search", "get", "create", "delete", "login", "chat-serial", "page-tasks", "mixed")
