"""The task list's plans on a user with 10,000 tasks: each list row's captured statements, prepared as the
service prepares them (parameters, NULLs included, stay parameters) and run with `EXPLAIN (ANALYZE, BUFFERS)`
under the generic plan that the service's connections cache."""

from __future__ import annotations

from .database import Database

# As many tasks as the plans' user owns: enough that a plan which sorts them all shows.
PLAN_TASKS = 10_000


def _literal(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def explain(db: Database, captured: list[tuple[str, dict[int, str | None]]], captured_user: str,
            user_id: str) -> list[str]:
    """The plan of every captured statement, run for `user_id` instead of the user it was captured for."""
    found = []
    for sql, parameters in captured:
        values = {n: user_id if value == captured_user else value for n, value in parameters.items()}
        arguments = ", ".join(_literal(values[n]) for n in sorted(values))
        found.append(db.sql(f"set plan_cache_mode = force_generic_plan; prepare listed as {sql}; "
                            "explain (analyze, buffers, costs off, timing off, summary on) "
                            f"execute listed{f'({arguments})' if arguments else ''}"))
    return found
