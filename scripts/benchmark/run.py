"""One benchmark run: build, start, seed, capture the ceilings, then measure every row, its runs interleaved
(each build, then the ceiling, run after run), so a change in the machine's load hits every side alike."""

from __future__ import annotations

import base64
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import capture
from .database import Database, User, add_tasks
from .load import Load, WrkRequest, pgbench, wrk
from .rows import FRESH, LOGIN_USERS, Request, Row
from .services import Build, Service, start_pair
from .system import load_average

CEILING = "ceiling"
# Tasks seeded before each delete measurement: more than the fastest side can delete per second.
FRESH_PER_SECOND = 40_000


@dataclass(frozen=True)
class Settings:
    runs: int
    seconds: int
    connections: int
    warmup_seconds: int


@dataclass
class Measurement:
    row: str
    side: str
    run: int
    load: Load
    # CPU seconds per 1,000 requests: our processes (backend and frontend) and the whole PostgreSQL server.
    service_cpu: float | None
    database_cpu: float
    peak_kib: dict[str, int] = field(default_factory=dict)
    load_average: str = ""


@dataclass
class Side:
    build: Build
    backend: Service
    frontend: Service
    idle_kib: dict[str, int] = field(default_factory=dict)

    def services(self) -> list[Service]:
        return [self.backend, self.frontend]


def random_secret() -> str:
    return base64.b64encode(os.urandom(48)).decode()


def start_sides(builds: list[Build], db: Database, secret: str, logs: Path,
                backend_env: dict[str, str], keep_logs: bool = False) -> dict[str, Side]:
    sides = {}
    logs.mkdir(parents=True, exist_ok=True)
    for build in builds:
        backend, frontend = start_pair(build, db.url, secret, logs, build.name, backend_env, keep_logs)
        side = Side(build, backend, frontend)
        side.idle_kib = {"backend": backend.rss_kib(), "frontend": frontend.rss_kib()}
        sides[build.name] = side
    return sides


def _headers(request: Request, user: User) -> dict[str, str]:
    headers = dict(request.headers)
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    if request.service == "frontend":
        headers["Cookie"] = f"todo_session={user.token}"
    elif user.token:
        headers["Authorization"] = f"Bearer {user.token}"
    return headers


def _path(request: Request, user: User) -> str:
    return request.path.replace("{user}", user.id)


class Ceilings:
    """The captured pgbench script of every request kind of every row."""

    def __init__(self, db: Database, users: dict[str, User], backend: Service, frontend: Service) -> None:
        self.db, self.users, self.backend, self.frontend = db, users, backend, frontend
        self.scripts: dict[str, list[tuple[capture.Script, int]]] = {}
        self.captured: dict[str, list[list[tuple[str, dict[int, str | None]]]]] = {}

    def capture_row(self, row: Row) -> None:
        scripts, statements = [], []
        for index, request in enumerate(row.requests):
            user = self.users[request.user]
            ids = [user.first_task, user.first_task]
            if request.ids == FRESH:
                first, _ = add_tasks(self.db, user.id, 2)
                ids = [first, first + 1]
            base = (self.frontend if request.service == "frontend" else self.backend).base

            def send_once(attempt: int, request: Request = request, user: User = user, ids: list = ids) -> None:
                def fill(text: str) -> str:
                    return text.replace("{id}", str(ids[attempt])).replace("{n}", "0").replace("{k}", "0")
                headers = {name: fill(value) for name, value in _headers(request, user).items()}
                body = fill(request.body) if request.body is not None else None
                capture.send(base + fill(_path(request, user)), request, body, headers)

            captured = capture.capture(self.db.log, send_once)
            statements.append(captured)
            task_id = ids[1] if request.ids else None
            # Nothing else writes while the capture runs, so a table's highest id is the row the request made.
            created = {number: int(self.db.sql(f"select max(id) from {table}").strip())
                       for number, (sql, _) in enumerate(captured) if (table := capture.created_table(sql))}
            scripts.append((capture.script(f"r{index}", captured, request, task_id,
                                           (user.first_task, user.last_task), created), request.weight))
        self.scripts[row.key] = scripts
        self.captured[row.key] = statements


def _fresh_block(db: Database, users: dict[str, User], row: Row, seconds: int) -> int | None:
    if not any(request.ids == FRESH for request in row.requests):
        return None
    user = users[next(request.user for request in row.requests if request.ids == FRESH)]
    first, _ = add_tasks(db, user.id, FRESH_PER_SECOND * seconds)
    return first


def measure_service(side: Side, row: Row, users: dict[str, User], db: Database, settings: Settings,
                    seconds: int, run: int) -> Measurement:
    fresh = _fresh_block(db, users, row, seconds)
    kinds = []
    for request in row.requests:
        user = users[request.user]
        first, last = (fresh, fresh) if request.ids == FRESH else (user.first_task, user.last_task)
        kinds.append(WrkRequest(request.method, _path(request, user), request.body, _headers(request, user),
                                request.ids, first or 0, last or 0, request.weight))
    services = {request.service for request in row.requests}
    base = side.frontend.base if services == {"frontend"} else side.backend.base
    for service in side.services():
        service.reset_peak()
    cpu_before = sum(service.cpu() for service in side.services())
    db_before = db.cpu_seconds()
    load = wrk(base, kinds, row.connections or settings.connections, seconds, LOGIN_USERS)
    service_cpu = sum(service.cpu() for service in side.services()) - cpu_before
    db_cpu = db.cpu_seconds() - db_before
    per_thousand = 1000 / load.requests if load.requests else 0.0
    return Measurement(row.key, side.build.name, run, load, service_cpu * per_thousand, db_cpu * per_thousand,
                       {"backend": side.backend.peak_kib(), "frontend": side.frontend.peak_kib()},
                       load_average())


def measure_ceiling(ceilings: Ceilings, row: Row, users: dict[str, User], db: Database, settings: Settings,
                    seconds: int, run: int) -> Measurement:
    fresh = _fresh_block(db, users, row, seconds)
    clients = row.connections or settings.connections
    defines = {"clients": str(clients)}
    if fresh is not None:
        defines.update({f"r{index}first": str(fresh) for index, request in enumerate(row.requests)
                        if request.ids == FRESH})
    db_before = db.cpu_seconds()
    load = pgbench(db.url, ceilings.scripts[row.key], defines, clients, seconds)
    db_cpu = db.cpu_seconds() - db_before
    per_thousand = 1000 / load.requests if load.requests else 0.0
    return Measurement(row.key, CEILING, run, load, None, db_cpu * per_thousand, {}, load_average())


def measure_row(row: Row, sides: dict[str, Side], ceilings: Ceilings, users: dict[str, User], db: Database,
                settings: Settings) -> list[Measurement]:
    db.tidy()
    order = [name for name in sides if row.allocator or not name.endswith("system-malloc")] + [CEILING]
    found = []
    for run in range(settings.runs):
        for name in order:
            def measure(seconds: int, name: str = name) -> Measurement:
                if name == CEILING:
                    return measure_ceiling(ceilings, row, users, db, settings, seconds, run)
                return measure_service(sides[name], row, users, db, settings, seconds, run)
            if run == 0 and settings.warmup_seconds:
                measure(settings.warmup_seconds)
            found.append(measured := measure(settings.seconds))
            load = measured.load
            print(f"    {row.key:16} {name:20} run {run + 1}: {load.rate:9.0f}/s  p50 {load.p50:6.2f} ms  "
                  f"p99 {load.p99:7.2f} ms  p99.9 {load.p999:7.2f} ms  errors {load.errors}", flush=True)
    return found


def as_json(measurements: list[Measurement]) -> list[dict]:
    return [{**asdict(m), "load": {**asdict(m.load), "rate": m.load.rate}} for m in measurements]
