"""Percentiles as wrk reports them (nearest rank), wrk's Lua made from request kinds, and pgbench's per-statement report."""

from benchmark.load import LUA, WrkRequest, _lua, percentile, statement_latencies


def test_nearest_rank_percentiles():
    ordered = list(range(1, 1001))
    assert [percentile(ordered, p) for p in (50, 90, 99, 99.9)] == [500, 900, 990, 999]
    assert percentile([7], 99.9) == 7
    assert percentile([], 50) == 0


def test_lua_literals_escape_what_json_escapes():
    kind = WrkRequest("POST", "/api/u/tasks", '{"title":"a \\"b\\""}', {"X-Forwarded-For": "2001:db8::{n}"},
                      None, 0, 0, 1)
    text = "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in vars(kind).items()) + "}"
    assert 'body = "{\\"title\\":\\"a \\\\\\"b\\\\\\"\\"}"' in text
    assert 'headers = {["X-Forwarded-For"] = "2001:db8::{n}"}' in text
    assert "ids = nil" in text
    assert "{REQUESTS}" in LUA and "{THREADS}" in LUA


def test_statement_latencies_read_pgbench_r_report():
    # The tail of `pgbench -r` of PostgreSQL 15.18, two statements, the second spanning two lines.
    report = """tps = 6360.498485 (without initial connection time)
statement latencies in milliseconds and failures:
         0.078           0  select 1;
         0.081           0  select
"""
    assert statement_latencies(report) == ((0.078, "select 1;"), (0.081, "select"))
    assert statement_latencies("tps = 1.0\n") == ()
