"""The two load generators: wrk against our service (a generated Lua script picks each request, fills in its
ids and reports percentiles and errors as JSON), and pgbench against the database with the captured SQL."""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .capture import Script

WRK_THREADS = 2
PGBENCH_THREADS = 2


@dataclass
class Load:
    """What one measurement saw. Latencies in milliseconds."""
    requests: int
    seconds: float
    errors: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    # pgbench only: each statement's mean latency in ms, in script order (`pgbench -r`), first line of its text.
    statements: tuple[tuple[float, str], ...] = ()

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class WrkRequest:
    """A request kind with everything but the per-request placeholders filled in."""
    method: str
    path: str
    body: str | None
    headers: dict[str, str]
    ids: str | None
    first: int
    last: int
    weight: int


def _lua(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a valid Lua string literal for this text
    if value is None:
        return "nil"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    return str(value)


LUA = r"""
local requests = {REQUESTS}
local threads, login_users = {THREADS}, {LOGIN_USERS}
local total = 0
for _, r in ipairs(requests) do total = total + r.weight end
local started = 0
function setup(thread)
  thread:set("tid", started)
  started = started + 1
end
function init(args)
  counter = 0
  math.randomseed(os.time() + 7919 * tid)
end
local function fill(text, id, n)
  if text == nil then return nil end
  text = text:gsub("{id}", function() return id end)
  text = text:gsub("{n}", function() return tostring(n) end)
  return (text:gsub("{k}", function() return tostring(n % login_users) end))
end
function request()
  counter = counter + 1
  local pick, r = math.random(total), requests[1]
  for _, candidate in ipairs(requests) do
    pick = pick - candidate.weight
    if pick <= 0 then r = candidate; break end
  end
  local n = tid + threads * counter
  local id = ""
  if r.ids == "random" then id = tostring(math.random(r.first, r.last))
  elseif r.ids == "fresh" then id = tostring(r.first + n) end
  local headers = {}
  for name, value in pairs(r.headers) do headers[name] = fill(value, id, n) end
  return wrk.format(r.method, fill(r.path, id, n), headers, fill(r.body, id, n))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, '
    .. '"p50": %.0f, "p90": %.0f, "p99": %.0f, "p999": %.0f, "max": %.0f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


def wrk(base: str, kinds: list[WrkRequest], connections: int, seconds: int, login_users: int) -> Load:
    requests = "{" + ", ".join(
        "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in vars(kind).items()) + "}" for kind in kinds) + "}"
    threads = min(WRK_THREADS, connections)
    lua = (LUA.replace("{REQUESTS}", requests).replace("{THREADS}", str(threads))
           .replace("{LOGIN_USERS}", str(login_users)))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(lua)
        script.flush()
        done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                               "-s", script.name, base], capture_output=True, text=True, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}\n{done.stdout}")
    found = json.loads(line.removeprefix("BENCH "))
    return Load(found["requests"], found["duration_us"] / 1e6, found["errors"] + found["status_errors"],
                *(found[key] / 1000 for key in ("p50", "p90", "p99", "p999", "max")))


def pgbench(url: str, scripts: list[tuple[Script, int]], defines: dict[str, str], clients: int,
            seconds: int) -> Load:
    """pgbench, prepared statements, `clients` connections; percentiles from its per-transaction log."""
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as scratch:
        command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(PGBENCH_THREADS, clients)),
                   "-T", str(seconds), "-r", "-l", f"--log-prefix={scratch}/tx"]
        for index, (script, weight) in enumerate(scripts):
            path = Path(scratch) / f"script{index}.sql"
            path.write_text(script.text)
            command += ["-f", f"{path}@{weight}"]
            defines = {**defines, **script.defines}
        for name, value in defines.items():
            command += ["-D", f"{name}={value}"]
        done = subprocess.run([*command, url], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        latencies = sorted(int(line.split()[2]) for log in Path(scratch).glob("tx.*")
                           for line in log.read_text().splitlines())
    summary = dict(line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    processed = next(line for line in done.stdout.splitlines() if line.startswith("number of transactions actually"))
    failed = next((line for line in done.stdout.splitlines() if line.startswith("number of failed")), "0")
    count = int(processed.split(":")[1].split("/")[0])
    tps = float(summary["tps"].split()[0])
    return Load(count, count / tps if tps else 0.0, int(failed.split(":")[1].split()[0]) if ":" in failed else 0,
                *(percentile(latencies, p) / 1000 for p in (50, 90, 99, 99.9)), latencies[-1] / 1000,
                statement_latencies(done.stdout))


def statement_latencies(report: str) -> tuple[tuple[float, str], ...]:
    """The `-r` section of pgbench's report: after "statement latencies in milliseconds…", one line per
    statement, "  latency  failures  first line of the statement" (PostgreSQL 15)."""
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("statement latencies")), len(lines))
    found = []
    for line in lines[start + 1:]:
        fields = line.split(None, 2)
        if len(fields) < 3 or not fields[1].isdigit():
            break
        found.append((float(fields[0]), fields[2]))
    return tuple(found)


def percentile(ordered: list[int], p: float) -> float:
    """Nearest rank, as wrk reports it."""
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered) - 1e-9) - 1))
    return float(ordered[rank])
