"""The database ceiling of a request: exactly the SQL statements our service runs for it, with the same
parameters, captured from PostgreSQL's own log and written as a pgbench script.

A capture service (the glibc build, one pooled connection, `log_statement=all` on that connection only) serves
each kind of request twice: the first warms the connection (statement preparation, type look-ups), the log
lines the second one adds are its statements. pgbench runs them prepared, one round trip each, in order."""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .rows import FRESH, RANDOM, Request

# stderr log lines: '%m [%p] ' (the default prefix), then the level; continuation lines start with a tab.
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] (?P<level>[A-Z]+):  (?P<text>.*)$")
_EXECUTE = re.compile(r"^execute [^:]+: (?P<sql>.*)$", re.S)
_SIMPLE = re.compile(r"^statement: (?P<sql>.*)$", re.S)
_PARAMETER = re.compile(r"\$(?P<n>\d+) = (?:NULL|'(?P<value>(?:[^']|'')*)')", re.S)
_PLACEHOLDER = re.compile(r"\$(\d+)\b")
# A statement that creates a row and returns its id: `insert into TABLE … returning id …`.
_CREATES = re.compile(r"^insert\s+into\s+(?P<table>\w+)\b.*\breturning\s+id\b", re.S | re.I)


def created_table(sql: str) -> str | None:
    """The table whose new row's id the statement returns, if it is such an insert."""
    match = _CREATES.match(sql.strip())
    return match["table"] if match else None


def _compared_with_an_id(sql: str, number: int) -> bool:
    """Whether `$number` is compared with an id column (`id = $n`, `conversation_id = $n`…)."""
    return re.search(rf"\b\w*id\s*=\s*\${number}\b", sql) is not None


@dataclass
class Script:
    """One request kind as pgbench replays it: the script text and the `-D name=value` it needs."""
    text: str
    defines: dict[str, str] = field(default_factory=dict)
    statements: int = 0


def log_entries(text: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith("\t") and entries:
            level, body = entries[-1]
            entries[-1] = (level, body + "\n" + line[1:])
        elif match := _ENTRY.match(line):
            entries.append((match["level"], match["text"]))
    return entries


def statements(log_text: str) -> list[tuple[str, dict[int, str | None]]]:
    """(sql, {parameter number: value or None for NULL}) for each statement in the log text, in order."""
    found: list[tuple[str, dict[int, str | None]]] = []
    for level, text in log_entries(log_text):
        if level == "LOG" and (match := _EXECUTE.match(text) or _SIMPLE.match(text)):
            found.append((match["sql"].strip(), {}))
        elif level == "DETAIL" and text.startswith("parameters: ") and found:
            found[-1][1].update({int(m["n"]): None if m["value"] is None else m["value"].replace("''", "'")
                                 for m in _PARAMETER.finditer(text)})
        elif level in ("ERROR", "FATAL"):
            raise RuntimeError(f"the captured request failed in PostgreSQL: {text}")
    return found


def script(prefix: str, captured: list[tuple[str, dict[int, str | None]]], request: Request,
           task_id: int | None, tasks: tuple[int, int] = (0, 0), created: dict[int, int] | None = None) -> Script:
    """The pgbench script of one request kind. Parameters become pgbench variables (sent as parameters of the
    prepared statement); a NULL becomes a literal NULL, since pgbench can only send text, and the captured task
    id becomes `:task_id`, chosen per transaction as the service's load generator chooses it: uniformly among
    `tasks` (first and last id), or each id once from `{prefix}first` on, which the measurement defines.

    `created` maps a statement (its index) that inserted a row to the id it returned in the capture (a chat
    turn's new conversation): each transaction keeps the id its own insert returns (`\\gset`) and uses it where
    the captured request used that id, as the service does; replaying the captured id instead would make every
    client write the same conversation row and read its ever longer history."""
    lines, defines = [], {}
    if request.ids == RANDOM:
        lines.append(rf"\set task_id random(:{prefix}first, :{prefix}last)")
        defines.update({f"{prefix}first": str(tasks[0]), f"{prefix}last": str(tasks[1])})
    elif request.ids == FRESH:
        lines += [rf"\set {prefix}k :{prefix}k + 1",
                  rf"\set task_id :{prefix}first + :client_id + :{prefix}k * :clients"]
        defines[f"{prefix}k"] = "0"
    created, used, texts = created or {}, set(), []
    for index, (sql, parameters) in enumerate(captured):
        def substitute(match: re.Match[str], index: int = index, sql: str = sql, parameters: dict = parameters) -> str:
            number = int(match[1])
            value = parameters.get(number)
            if value is None:
                return "NULL"
            if task_id is not None and value == str(task_id):
                return ":task_id"
            for source, new_id in created.items():
                if source < index and value == str(new_id) and _compared_with_an_id(sql, number):
                    used.add(source)
                    return f":{prefix}s{source}_id"
            name = f"{prefix}s{index}p{number}"
            defines[name] = value
            return f":{name}"
        texts.append(_PLACEHOLDER.sub(substitute, sql.rstrip().rstrip(";")))
    # `\gset` ends a statement in place of its semicolon and keeps its returned columns as variables; only
    # where a later statement uses the id (a column alias such as "priority: Priority" is no variable name).
    lines += [f"{text}\n\\gset {prefix}s{index}_" if index in used else f"{text};" for index, text in enumerate(texts)]
    return Script("\n".join(lines) + "\n", defines, len(captured))


def send(url: str, request: Request, body: str | None, headers: dict[str, str]) -> None:
    data = body.encode() if body is not None else None
    prepared = urllib.request.Request(url, data=data, method=request.method, headers=headers)
    with urllib.request.urlopen(prepared, timeout=60) as response:
        response.read()


def capture(log: Path, send_once) -> list[tuple[str, dict[int, str | None]]]:
    """Calls `send_once(0)` to warm up, then `send_once(1)`, and returns the statements of the second call."""
    send_once(0)
    start = log.stat().st_size
    send_once(1)
    with log.open("rb") as file:
        file.seek(start)
        text = file.read().decode("utf-8", "replace")
    found = statements(text)
    if not found:
        raise RuntimeError("no SQL statement was logged for the request")
    return found
