"""The log rules: one JSON object a line where the chart asks for JSON, and no secret value in any log."""

from rehearsal.checks import log_problems

SECRETS = {"AUTH_SECRET": "x" * 40}


def test_json_lines_pass() -> None:
    assert log_problems("c", '{"level":"INFO"}\n\n{"level":"WARN"}\n', True, SECRETS) == []


def test_a_plain_line_fails_and_is_shown_without_secrets() -> None:
    problems = log_problems("c", '{"a":1}\nstarting with ' + "x" * 40 + "\n", True, {})
    assert problems == ["c: line 2 is not a JSON object: starting with " + "x" * 40]
    problems = log_problems("c", "oops " + "x" * 40 + "\n", True, SECRETS)
    assert problems[0] == "c: line 1 is not a JSON object: oops <secret>"
    assert problems[1] == "c: the log holds the value of AUTH_SECRET"
    assert all("x" * 40 not in p for p in problems)


def test_json_that_is_not_an_object_fails() -> None:
    assert log_problems("c", "[1]\n", True, {}) == ["c: line 1 is not a JSON object: [1]"]


def test_secrets_are_found_in_plain_logs_too() -> None:
    assert log_problems("pg", "LOG: started\n", False, SECRETS) == []
    assert log_problems("pg", "password " + "x" * 40, False, SECRETS) == ["pg: the log holds the value of AUTH_SECRET"]
