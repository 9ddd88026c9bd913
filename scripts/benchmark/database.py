"""The benchmark's PostgreSQL (a throwaway cluster scripts/bench started): SQL through psql, the CPU time of
the whole server from /proc, and the seeded users and tasks."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .rows import LOGIN_USERS
from .system import cpu_seconds, process_tree

PASSWORD = "benchmark password"
# Task ids start high, so an id never equals a limit, an offset or another small number among the
# parameters a statement is captured with (capture.py replaces the id's value with a pgbench variable).
FIRST_TASK_ID = 10_000_000
# What the users own: "large" is the list and get user, "writer" the update and toggle user, "creator" takes
# the created tasks, "deleter" gets a fresh block before each delete measurement, "chat" talks to the agent.
TASKS = {"small": 50, "large": 1000, "writer": 1000, "creator": 0, "deleter": 0, "chat": 200}


@dataclass
class Database:
    url: str
    log: Path
    postmaster: int

    @classmethod
    def from_environment(cls) -> Database:
        data = Path(os.environ["PG_DIR"]) / "data"
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        return cls(os.environ["DATABASE_URL"], Path(os.environ["PG_DIR"]) / "server.log", postmaster)

    def sql(self, statement: str) -> str:
        done = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", statement],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}\n{statement}")
        return done.stdout.strip()

    def cpu_seconds(self) -> float:
        """User and system CPU of the server: every live process plus the postmaster's reaped children."""
        return cpu_seconds(self.postmaster, children=True) + sum(
            cpu_seconds(pid) for pid in process_tree(self.postmaster) if pid != self.postmaster)

    def tidy(self) -> None:
        """Between rows: dead rows vacuumed and statistics fresh, so one row's writes don't tax the next."""
        self.sql("vacuum (analyze) tasks, conversations, messages, users")


@dataclass
class User:
    name: str
    id: str
    token: str
    first_task: int = 0
    last_task: int = 0


def post_json(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def signup(backend: str, name: str) -> User:
    session = post_json(f"{backend}/api/auth/signup", {"email": f"{name}@bench.example", "password": PASSWORD},
                        headers={"X-Forwarded-For": "2001:db8::1"})
    return User(name, session["user_id"], session["token"])


def seed(db: Database, backend: str) -> dict[str, User]:
    """Signs the users up through the API (real password hashes, real tokens) and gives them their tasks."""
    db.sql(f"select setval(pg_get_serial_sequence('tasks', 'id'), {FIRST_TASK_ID})")
    users = {}
    for name, count in TASKS.items():
        user = signup(backend, name)
        if count:
            user.first_task, user.last_task = add_tasks(db, user.id, count)
        users[name] = user
    # The login row signs in as many users, each a few times at most, so no account hits its login throttle.
    db.sql(f"""insert into users (email, password_hash)
               select 'login-' || n || '@bench.example', password_hash
               from users, generate_series(0, {LOGIN_USERS - 1}) n where email = 'small@bench.example'""")
    users["login"] = User("login", "", "")
    return users


def add_tasks(db: Database, user_id: str, count: int) -> tuple[int, int]:
    """`count` tasks with consecutive ids: a third completed, most with a due date, every fifth about a report,
    priorities and creation times spread, so each filter and sort has real work to do."""
    found = db.sql(f"""
        with added as (
          insert into tasks (user_id, title, description, completed, priority, due_at, created_at)
          select '{user_id}',
                 case when n % 5 = 0 then 'Write report ' || n else 'Task ' || n || ' ' || md5(n::text) end,
                 case when n % 3 = 0 then 'Notes for task ' || n end,
                 n % 3 = 1,
                 (array['low', 'medium', 'high'])[1 + n % 3]::task_priority,
                 case when n % 4 <> 0 then now() + make_interval(hours => n * 7 % 1000) end,
                 now() - make_interval(mins => n)
          from generate_series(1, {count}) n
          order by n
          returning id)
        select min(id), max(id), count(*) from added""")
    first, last, added = (int(value) for value in found.split("|"))
    if last - first + 1 != added:
        raise RuntimeError(f"seeded task ids are not consecutive: {first}..{last} for {added} tasks")
    return first, last
