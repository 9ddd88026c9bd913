"""The real todo-backend and todo-frontend binaries on loopback, for running nix/k3s/journey.py here exactly
as the k3s VM test runs it against the cluster (there through the frontend's NodePort and a port-forward to the
backend Service; here straight to the two processes).

Needs DATABASE_URL (a role that may create databases), sqlx-cli, and target/debug/todo-backend and
target/debug/todo-frontend (scripts/test builds them before this step).
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

K3S_DIR = Path(__file__).resolve().parents[1]
REPO = K3S_DIR.parents[1]
JOURNEY = K3S_DIR / "journey.py"
BINARIES = REPO / "target" / "debug"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never became ready:\n{log.read_text()}")


def scratch_database_url(name):
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.fail("DATABASE_URL must point at a PostgreSQL server whose role may create databases")
    head, _, query = base.partition("?")
    url = head.rsplit("/", 1)[0] + "/" + name
    return url + ("?" + query if query else "")


def sqlx(*args):
    subprocess.run(["cargo", "sqlx", "database", *args], check=True, capture_output=True, text=True, timeout=120)


@dataclass
class Journey:
    state: Path

    def run(self, command, *args):
        return subprocess.run([sys.executable, str(JOURNEY), "--state", str(self.state), command, *args],
                              capture_output=True, text=True, timeout=120)

    def start(self, command, *args):
        return subprocess.Popen([sys.executable, str(JOURNEY), "--state", str(self.state), command, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ok(self, command, *args):
        result = self.run(command, *args)
        assert result.returncode == 0, f"journey {command} failed:\n{result.stderr}"
        return json.loads(result.stdout)


class App:
    """One backend and one frontend on free ports, with a database of their own."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.db_url = scratch_database_url(f"todo_k3s_journey_{secrets.token_hex(4)}")
        self.processes = {}
        self.logs = {}
        self.backend = f"http://127.0.0.1:{free_port()}"
        self.frontend = f"http://127.0.0.1:{free_port()}"

    def start(self):
        for binary in ("todo-backend", "todo-frontend"):
            if not (BINARIES / binary).exists():
                pytest.fail(f"{BINARIES / binary} is missing: cargo build --bin todo-backend --bin todo-frontend")
        sqlx("create", "--database-url", self.db_url)
        self.spawn("backend", self.backend, DATABASE_URL=self.db_url, AUTH_SECRET=secrets.token_urlsafe(48))
        self.spawn("frontend", self.frontend, BACKEND_URL=self.backend, COOKIE_SECURE="false")
        return self

    def spawn(self, component, url, **env):
        log = self.workdir / f"{component}.log"
        port = url.rsplit(":", 1)[1]
        full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": port, "RUST_LOG": "info", **env}
        process = subprocess.Popen([str(BINARIES / f"todo-{component}")], env=full_env,
                                   stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.processes[component] = process
        self.logs[component] = log
        wait_ready(f"{url}/readyz", process, log)

    def stop(self, component):
        process = self.processes.pop(component)
        process.terminate()
        process.wait(timeout=30)

    def close(self):
        for component in list(self.processes):
            self.stop(component)
        sqlx("drop", "-y", "--database-url", self.db_url)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = App(tmp_path_factory.mktemp("app")).start()
    yield running
    running.close()


@pytest.fixture
def fresh_app(tmp_path):
    running = App(tmp_path).start()
    yield running
    running.close()


@pytest.fixture
def journey(tmp_path):
    return Journey(tmp_path / "journey.json")
