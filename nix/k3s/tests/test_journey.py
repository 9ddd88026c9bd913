"""nix/k3s/journey.py against the real binaries: the steps the k3s VM test takes pass when the app works, and
fail when the user would not see what the VM test asserts."""

import json
import stat
import time

TITLE = "Buy groceries"


def test_a_user_signs_up_chats_and_sees_the_task_in_the_ui_and_the_api(app, journey):
    assert journey.ok("login-page", "--frontend", app.frontend) == {"page": "/login", "status": 200}
    assert journey.ok("signup", "--frontend", app.frontend)["signed_up"] is True
    assert journey.ok("login", "--frontend", app.frontend)["chat_page"] == "/chat"
    conversation = journey.ok("chat", "--frontend", app.frontend, "--message", "Add a task to buy groceries")
    assert conversation["conversation"].startswith("/chat/")
    assert journey.ok("tasks-page", "--frontend", app.frontend, "--title", TITLE)["lists"] == TITLE
    task = journey.ok("api-tasks", "--api", app.backend, "--title", TITLE)
    assert task["title"] == TITLE and task["completed"] is False and isinstance(task["id"], int)
    report = journey.ok("keep-answering", "--frontend", app.frontend, "--title", TITLE, "--seconds", "1")
    assert report["failed"] == 0 and report["answered"] >= 3
    assert journey.ok("assistant", "--frontend", app.frontend, "--title", TITLE) == {"mcp": "/mcp", "lists": TITLE}


def test_a_task_the_user_never_added_is_not_seen(app, journey):
    journey.ok("signup", "--frontend", app.frontend)
    page = journey.run("tasks-page", "--frontend", app.frontend, "--title", TITLE)
    assert page.returncode == 1 and f"does not list '{TITLE}'" in page.stderr
    api = journey.run("api-tasks", "--api", app.backend, "--title", TITLE)
    assert api.returncode == 1 and "expected one task" in api.stderr
    assistant = journey.run("assistant", "--frontend", app.frontend, "--title", TITLE)
    assert assistant.returncode == 1 and f"list_tasks over MCP does not list '{TITLE}': []" in assistant.stderr


def test_keep_answering_counts_the_answers_lost_when_the_backend_goes_away(fresh_app, journey):
    journey.ok("signup", "--frontend", fresh_app.frontend)
    journey.ok("chat", "--frontend", fresh_app.frontend, "--message", "Add a task to buy groceries")
    running = journey.start("keep-answering", "--frontend", fresh_app.frontend, "--title", TITLE, "--seconds", "4")
    time.sleep(1.5)
    fresh_app.stop("backend")
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 1 and "did not keep answering" in stderr
    report = json.loads(stderr.split("did not keep answering: ", 1)[1])
    assert report["answered"] > 0 and report["failed"] > 0
    assert all(problem.startswith("HTTP 503") for problem in report["first_failures"]), report


def test_credentials_stay_in_a_private_state_file_and_out_of_the_output(app, journey):
    outputs = [journey.run("signup", "--frontend", app.frontend)]
    outputs.append(journey.run("login", "--frontend", app.frontend))
    outputs.append(journey.run("chat", "--frontend", app.frontend, "--message", "I need to remember to pay bills"))
    outputs.append(journey.run("api-tasks", "--api", app.backend, "--title", "Pay bills"))
    outputs.append(journey.run("assistant", "--frontend", app.frontend, "--title", "Pay bills"))
    assert all(result.returncode == 0 for result in outputs), [r.stderr for r in outputs]
    assert stat.S_IMODE(journey.state.stat().st_mode) == 0o600
    state = json.loads(journey.state.read_text())
    assert state["access_token"].startswith("todo_pat_")
    for result in outputs:
        for secret in (state["password"], state["token"], state["access_token"]):
            assert secret not in result.stdout and secret not in result.stderr


def test_a_wrong_password_is_reported_not_crashed_on(app, journey):
    journey.ok("signup", "--frontend", app.frontend)
    state = json.loads(journey.state.read_text())
    state["password"] = "not the password"
    journey.state.write_text(json.dumps(state))
    result = journey.run("login", "--frontend", app.frontend)
    assert result.returncode == 1 and "log in through the form: HTTP 422" in result.stderr


def test_a_session_the_app_no_longer_accepts_sends_the_user_to_the_login_page(app, journey):
    journey.ok("signup", "--frontend", app.frontend)
    state = json.loads(journey.state.read_text())
    header, payload, signature = state["token"].split(".")
    state["token"] = ".".join([header, payload, signature[::-1]])
    journey.state.write_text(json.dumps(state))
    result = journey.run("tasks-page", "--frontend", app.frontend, "--title", TITLE)
    assert result.returncode == 1 and "at /login" in result.stderr


def test_the_services_log_json_lines_as_the_vm_test_expects(app, journey):
    journey.ok("login-page", "--frontend", app.frontend)
    for component, log in app.logs.items():
        lines = [line for line in log.read_text().splitlines() if line]
        assert lines, f"{component} logged nothing"
        for line in lines:
            entry = json.loads(line)
            assert {"timestamp", "level"} <= entry.keys(), line
