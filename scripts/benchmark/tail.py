"""Where the slow requests spent their time, from a backend's own JSON log (docs/benchmarks.md, "The tail").

    scripts/bench --rows get --service-logs DIR \\
        --backend-env RUST_LOG=info,sqlx::query=debug,sqlx::pool::acquire=debug
    PYTHONPATH=scripts python -m benchmark.tail DIR/glibc-backend.log

Joins each request's `request finished` line (its server-side latency, whole milliseconds) with the
statements it ran (`sqlx::query`, elapsed from sending to the last row) and its waits for a pooled
connection (`sqlx::pool::acquire`, including sqlx's ping when it pings), by request id."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from .load import percentile


def components(lines) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = defaultdict(lambda: {"total": 0.0, "query": 0.0, "acquire": 0.0})
    finished = set()
    for line in lines:
        if '"request_id"' not in line:
            continue
        event = json.loads(line)
        span = event.get("span", {})
        request = span.get("request_id")
        if not request or span.get("route", "").startswith(("/readyz", "/healthz")):
            continue
        if event.get("message") == "request finished":
            found[request]["total"] = float(span["latency_ms"])
            finished.add(request)
        elif event.get("target") == "sqlx::query":
            found[request]["query"] += event["elapsed_secs"] * 1000
        elif event.get("target") == "sqlx::pool::acquire":
            found[request]["acquire"] += event["aquired_after_secs"] * 1000
    return {request: found[request] for request in finished}


def report(requests: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{len(requests)} requests; milliseconds   p50     p90     p99   p99.9     max"]
    for key in ("total", "query", "acquire"):
        ordered = sorted(r[key] for r in requests.values())
        lines.append(f"  {key:28}" + "".join(f"{percentile(ordered, p):8.2f}" for p in (50, 90, 99, 99.9))
                     + f"{ordered[-1] if ordered else 0:8.1f}")
    slowest = sorted(requests.values(), key=lambda r: r["total"], reverse=True)[:max(1, len(requests) // 100)]
    spent = {key: sum(r[key] for r in slowest) for key in ("total", "query", "acquire")}
    if spent["total"]:
        rest = spent["total"] - spent["query"] - spent["acquire"]
        lines.append(f"  the slowest 1% ({len(slowest)}): {spent['query'] / spent['total']:.0%} in statements, "
                     f"{spent['acquire'] / spent['total']:.0%} waiting for a connection, "
                     f"{rest / spent['total']:.0%} elsewhere (scheduling, HTTP, the handler)")
    return lines


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as log:
        print("\n".join(report(components(log))))
