"""The MCP endpoint under a real client: the official MCP Python SDK (`mcp` on PyPI) against the real
`todo-backend` and `todo-frontend` binaries, on a database of their own on the `DATABASE_URL` server.

The binaries come from `target/debug` (scripts/test builds them; `TODO_BACKEND_BIN` and `TODO_FRONTEND_BIN`
point elsewhere). Each service binds port 0 and says where it listens in its JSON log, so no port is guessed.
The database is read with `psql` to check what the tools did.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[3]
BACKEND_BIN = os.environ.get("TODO_BACKEND_BIN", str(ROOT / "target/debug/todo-backend"))
FRONTEND_BIN = os.environ.get("TODO_FRONTEND_BIN", str(ROOT / "target/debug/todo-frontend"))
PASSWORD = "correct horse battery"
START_TIMEOUT = 30.0


def psql_binary() -> str:
    candidates = [shutil.which("psql")]
    if os.environ.get("PG_BINDIR"):
        candidates.insert(0, str(Path(os.environ["PG_BINDIR"]) / "psql"))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("psql not found: install the PostgreSQL client (scripts/test does)")


@dataclass
class Database:
    url: str
    psql: str

    def query(self, sql: str) -> Any:
        """The value of a query that returns one JSON value (wrap rows in json_agg)."""
        out = subprocess.run(
            [self.psql, self.url, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        return json.loads(out) if out else None

    def tasks(self, user_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "select coalesce(json_agg(t order by t.id), '[]') from tasks t "
            f"where user_id = '{uuid.UUID(user_id)}'"
        )
        return list(rows)

    def task(self, task_id: int) -> dict[str, Any] | None:
        return self.query(f"select row_to_json(t) from tasks t where id = {int(task_id)}")


@dataclass
class Service:
    """A service binary as a child process, its output kept for inspection."""

    name: str
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, name: str, binary: str, env: dict[str, str]) -> "Service":
        if not Path(binary).exists():
            raise RuntimeError(f"{binary} is missing: cargo build --bin {name}")
        process = subprocess.Popen(
            [binary],
            env={"PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": "0", "LOG_FORMAT": "json",
                 "RUST_LOG": "info", **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        service = cls(name, process)
        listening = threading.Event()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                service.lines.append(line)
                if not service.url:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if entry.get("message") == "listening":
                        service.url = f"http://{entry['address']}"
                        listening.set()

        threading.Thread(target=read, daemon=True).start()
        if not listening.wait(START_TIMEOUT):
            process.kill()
            raise RuntimeError(f"{name} never started listening:\n{''.join(service.lines)}")
        return service

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class User:
    """A signed-up user: the session token manages access tokens over REST."""

    base_url: str
    user_id: str
    session: str

    def _tokens_url(self) -> str:
        return f"{self.base_url}/api/{self.user_id}/access-tokens"

    def create_token(self, name: str = "test client", expires_in_days: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if expires_in_days is not None:
            body["expires_in_days"] = expires_in_days
        answer = httpx2.post(self._tokens_url(), json=body, headers=self.auth())
        assert answer.status_code == 201, answer.text
        return answer.json()

    def revoke(self, token_id: int) -> None:
        answer = httpx2.delete(f"{self._tokens_url()}/{token_id}", headers=self.auth())
        assert answer.status_code == 204, answer.text

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session}"}


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        pytest.fail("DATABASE_URL must point at a PostgreSQL server whose role may create databases")
    psql = psql_binary()
    name = f"todo_mcp_client_{uuid.uuid4().hex}"
    subprocess.run([psql, admin, "-X", "-q", "-c", f"create database {name}"], check=True)
    parts = urlsplit(admin)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    try:
        yield Database(url, psql)
    finally:
        subprocess.run([psql, admin, "-X", "-q", "-c", f"drop database if exists {name} with (force)"], check=True)


def start_backend(database: Database, auth_secret: str) -> Service:
    # Every test signs its users up from this one address: the per-client signup throttle
    # (docs/security.md) would refuse the eleventh, so it is raised here.
    return Service.start("todo-backend", BACKEND_BIN, {
        "DATABASE_URL": database.url, "AUTH_SECRET": auth_secret, "TRUSTED_PROXIES": "127.0.0.1",
        "SIGNUP_BURST": "1000",
    })


@pytest.fixture(scope="session")
def auth_secret() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def backend(database: Database, auth_secret: str) -> Iterator[Service]:
    service = start_backend(database, auth_secret)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def frontend(backend: Service) -> Iterator[Service]:
    service = Service.start("todo-frontend", FRONTEND_BIN, {"BACKEND_URL": backend.url})
    yield service
    service.stop()


def sign_up(base_url: str) -> User:
    answer = httpx2.post(
        f"{base_url}/api/auth/signup",
        json={"email": f"mcp-{uuid.uuid4().hex}@example.com", "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return User(base_url, body["user_id"], body["token"])


@pytest.fixture
def user(backend: Service) -> User:
    return sign_up(backend.url)


@pytest.fixture
def other_user(backend: Service) -> User:
    return sign_up(backend.url)
