"""python -m benchmark (run by scripts/bench, which starts the throwaway PostgreSQL): every row against each
build and against its database ceiling, then docs/benchmarks.md's tables, its JSON and the SVG plot."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from rehearsal.spec import REPO

from . import report
from .database import Database, add_tasks, seed, signup
from .plans import PLAN_TASKS, explain
from .rows import ROWS, SMOKE
from .run import Ceilings, Settings, as_json, measure_row, random_secret, start_sides
from .services import PACKAGES, Build, build_all, start_pair
from .system import busiest_processes, load_average, machine

# The capture backend logs every statement of its one connection, and only of it.
CAPTURE_OPTIONS = "options=-c%20log_statement%3Dall"


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=report.FULL_RUNS,
                        help=f"measurements per row and side (default {report.FULL_RUNS})")
    parser.add_argument("--seconds", type=int, default=report.FULL_SECONDS,
                        help=f"length of one measurement (default {report.FULL_SECONDS})")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--builds", default="glibc,musl,musl-system-malloc",
                        help="comma-separated: glibc, musl, musl-system-malloc (default: all three)")
    parser.add_argument("--binaries", action="append", default=[], metavar="NAME=DIR",
                        help="also measure DIR/todo-backend and DIR/todo-frontend as build NAME (say, an older commit)")
    parser.add_argument("--backend-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment of the measured backends (say, DATABASE_MAX_CONNECTIONS=16)")
    parser.add_argument("--service-logs", type=Path, metavar="DIR",
                        help="keep the measured services' logs (stdout) in DIR instead of discarding them")
    parser.add_argument("--profile", default="release", help="cargo profile of the glibc build (default release)")
    parser.add_argument("--rows", help="comma-separated row keys (default: all)")
    parser.add_argument("--out", type=Path, help="where benchmarks.{md,json,svg} go (default docs/; with --smoke a "
                        "temporary directory)")
    parser.add_argument("--smoke", action="store_true",
                        help="a few rows, one 1-second run each, glibc debug build and musl: checks the mechanics")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.seconds, args.profile = 1, 1, "dev"
        args.rows = args.rows or ",".join(SMOKE)
        args.builds = "glibc,musl"
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="bench-smoke-")) if args.smoke else REPO / "docs"
    rows = [row for row in ROWS if not args.rows or row.key in args.rows.split(",")]
    settings = Settings(args.runs, args.seconds, args.connections, 0 if args.smoke else 1)
    signal.signal(signal.SIGTERM, _interrupt)

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    services = []
    try:
        builds = build_all([name for name in args.builds.split(",") if name], args.profile, work)
        for item in args.binaries:
            name, _, directory = item.partition("=")
            builds.append(Build(name, f"binaries from {directory}",
                                {package: Path(directory).resolve() / package for package in PACKAGES}))
        db = Database.from_environment()
        secret = random_secret()
        capture_url = db.url + ("&" if "?" in db.url else "?") + CAPTURE_OPTIONS
        backend, frontend = start_pair(builds[0], capture_url, secret, work, "capture",
                                       {"DATABASE_MAX_CONNECTIONS": "1"})
        services += [backend, frontend]
        print("==> seeding users and tasks", flush=True)
        users = seed(db, backend.base)
        print("==> capturing the SQL of each request kind (the ceilings' pgbench scripts)", flush=True)
        ceilings = Ceilings(db, users, backend, frontend)
        for row in rows:
            ceilings.capture_row(row)
        (work / "ceilings").mkdir()
        for key, scripts in ceilings.scripts.items():
            for index, (script, _) in enumerate(scripts):
                (work / "ceilings" / f"{key}-{index}.sql").write_text(script.text)
        print(f"==> the list's plans on a user with {PLAN_TASKS:,} tasks", flush=True)
        planner = signup(backend.base, "plans")
        add_tasks(db, planner.id, PLAN_TASKS)
        db.tidy()
        plans = {row.key: explain(db, ceilings.captured[row.key][0], users[row.requests[0].user].id, planner.id)
                 for row in rows if row.key.startswith("list-")}
        backend.stop()
        frontend.stop()
        sides = start_sides(builds, db, secret, args.service_logs or work,
                            dict(item.split("=", 1) for item in args.backend_env), keep_logs=bool(args.service_logs))
        services += [service for side in sides.values() for service in side.services()]

        context = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD")
            # What this script writes itself does not make the measured tree dirty.
            + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no", "--", ".",
                                                  ":!docs/benchmarks.*") else ""),
            "machine": machine(),
            "postgresql": db.sql("show server_version"),
            "load_before": load_average(),
            "busiest_before": busiest_processes(),
            "settings": vars(settings),
            "builds": {build.name: build.description for build in builds},
            "idle_kib": {name: side.idle_kib for name, side in sides.items()},
            "smoke": args.smoke,
            "plans": plans,
            # What each ceiling ran: the pgbench scripts, as captured (their -D values are in the statements' log).
            "ceilings": {key: [script.text for script, _ in scripts] for key, scripts in ceilings.scripts.items()},
        }
        print(f"==> measuring {len(rows)} rows x {args.runs} runs x {args.seconds}s "
              f"(load average {context['load_before']})", flush=True)
        measurements = []
        for row in rows:
            measurements += measure_row(row, sides, ceilings, users, db, settings)
        context["load_after"] = load_average()
        context["after_kib"] = {name: {"backend": side.backend.rss_kib(), "frontend": side.frontend.rss_kib()}
                                for name, side in sides.items()}
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "benchmarks.json").write_text(
            json.dumps({"context": context, "measurements": as_json(measurements)}, indent=1) + "\n")
        report.write(args.out, rows, context, measurements, [b.name for b in builds])
        print(f"==> written to {args.out}/benchmarks.md, benchmarks.json and benchmarks.svg", flush=True)
        failed = sorted({f"{m.row} ({m.side})" for m in measurements if m.load.errors or not m.load.requests})
        if failed:
            print(f"benchmark FAILED: errors or no completed request in {', '.join(failed)}", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        print("benchmark interrupted", file=sys.stderr)
        return 130
    finally:
        for service in services:
            service.stop()
        shutil.rmtree(work, ignore_errors=True)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
