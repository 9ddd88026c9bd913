"""nix/deploy-kind.sh when something is wrong: each failure stops early with its exit code and a message that
says what to do. STUB tools (stubs/): they answer as the cited versions of the real tools do."""

import socket

import pytest

from helpers import helm_calls

TAG = "1a2b3c"


def kind_created(sandbox):
    return [line for line in sandbox.lines("kind") if line.startswith("kind create")]


def test_missing_docker_and_podman_is_exit_3_with_a_clear_message(sandbox):
    sandbox.remove_stub("docker")
    sandbox.remove_stub("podman")
    result = sandbox.deploy()
    assert result.returncode == 3
    assert "neither docker nor podman is installed" in result.stderr
    assert "Install Docker" in result.stderr
    assert sandbox.calls() == []


@pytest.mark.parametrize("docker_version", ["27.5.1", "28.0.4", "28.1.1", "29.1.3"])
def test_docker_daemon_down_is_exit_3_on_every_docker_cli(sandbox, docker_version):
    """Before 28.1 `docker info --format` exits 0 with the daemon down (empty stdout, error on stderr): the
    error text must not be taken for an architecture (exit 4)."""
    sandbox.write_state({"versions": {"docker": docker_version}, "engine": {"down": True}})
    result = sandbox.deploy()
    assert result.returncode == 3, result.stderr
    assert "docker is installed but not reachable" in result.stderr
    assert "Cannot connect to the Docker daemon" in result.stderr
    assert "Start Docker" in result.stderr
    assert "architecture" not in result.stderr and "exec format error" not in result.stderr
    assert not sandbox.calls("kind")


def test_podman_is_used_when_docker_is_absent(sandbox):
    sandbox.remove_stub("docker")
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert "podman info --format {{.Host.Arch}}" in sandbox.lines()
    assert {c["provider"] for c in sandbox.calls("kind")} == {"podman"}


def test_stopped_podman_machine_is_exit_3(sandbox):
    sandbox.remove_stub("docker")
    sandbox.write_state({"engine": {"down": True}})
    result = sandbox.deploy()
    assert result.returncode == 3
    assert "podman is installed but not reachable (Error: unable to connect to Podman socket" in result.stderr
    assert "podman machine start" in result.stderr


def test_port_in_use_is_exit_5_and_creates_nothing(sandbox):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = sandbox.deploy("--port", str(port))
    assert result.returncode == 5
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port N" in result.stderr
    assert not kind_created(sandbox)


def test_architecture_mismatch_is_exit_4(sandbox):
    sandbox.set_images(TAG, arch="arm64")
    result = sandbox.deploy()
    assert result.returncode == 4
    assert "the images are arm64 but docker (and so every kind node) runs amd64" in result.stderr
    assert "exec format error" in result.stderr
    assert not sandbox.calls("kind")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"gzip": True}, "is gzip-compressed"),
        ({"repotag": "todo-backend:latest"}, "tagged ':latest'"),
        ({"repotag": None}, "has no RepoTags"),
        ({"repotag": "todo-backend:other"}, "but this build's tag is '1a2b3c'"),
    ],
)
def test_unusable_archives_are_exit_6(sandbox, override, message):
    sandbox.set_images(TAG, backend=override)
    result = sandbox.deploy()
    assert result.returncode == 6
    assert message in result.stderr
    assert {c["tool"] for c in sandbox.calls()} <= {"docker"}  # at most `docker -v`, nothing deployed


@pytest.mark.parametrize(
    "args",
    [["--port", "http"], ["--port", "70000"], ["--port", "08080"], ["--port", "0"], ["--cluster", "Bad_Name"],
     ["--values", "/nonexistent.yaml"], ["--bogus"], ["--timeout", "soon"], ["--cluster"]],
)
def test_usage_errors_are_exit_2(sandbox, args):
    result = sandbox.deploy(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("deploy-kind: error:")
    assert sandbox.calls() == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LLM_PROVIDER": "anthropic"}, "LLM_PROVIDER='anthropic' (from the environment): use rules or openai"),
        ({"LLM_BASE_URL": "api.openai.com/v1"}, "LLM_BASE_URL='api.openai.com/v1' (from the environment): use an http:// or https:// URL"),
        ({"LLM_BASE_URL": "https:// spaced.example/v1"}, "use an http:// or https:// URL"),
    ],
)
def test_unusable_llm_settings_are_usage_errors_before_anything_runs(sandbox, env, message):
    result = sandbox.deploy(**env)
    assert result.returncode == 2
    assert message in result.stderr
    assert sandbox.calls() == []


def test_values_the_chart_schema_refuses_are_exit_2_before_the_cluster_is_touched(sandbox, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend:\n  replicaCount: two\n")
    result = sandbox.deploy("--values", str(bad))
    assert result.returncode == 2
    assert "the chart refuses these values; nothing was changed" in result.stderr
    assert "replicaCount" in result.stderr  # Helm's own schema message, passed through
    assert not sandbox.calls("kind") and not helm_calls(sandbox, "upgrade")


def test_failure_prints_events_and_logs_of_the_failing_pods(sandbox):
    sandbox.write_state({
        "fail": ["helm upgrade"],
        "pods": [
            {"metadata": {"name": "todo-todo-chatbot-backend-7d9f"},
             "status": {"phase": "Running", "containerStatuses": [{"ready": False}]}},
            {"metadata": {"name": "todo-todo-chatbot-frontend-5c4b"},
             "status": {"phase": "Running", "containerStatuses": [{"ready": True}]}},
        ],
    })
    result = sandbox.deploy()
    assert result.returncode == 1
    assert "helm upgrade --install failed" in result.stderr
    assert "events of pod todo-todo-chatbot-backend-7d9f" in result.stderr
    assert "Back-off restarting failed container" in result.stderr
    assert "stub log line of todo-todo-chatbot-backend-7d9f" in result.stderr
    assert "frontend-5c4b" not in result.stderr.split("events of pod", 1)[1]
    assert not helm_calls(sandbox, "test")


def test_failed_helm_test_shows_the_logs_of_the_failed_test_pod(sandbox):
    sandbox.write_state({
        "test_fails": True,
        "pods": [{"metadata": {"name": "todo-todo-chatbot-test-backend"},
                  "status": {"phase": "Failed", "containerStatuses": [{"ready": False}]}}],
    })
    result = sandbox.deploy()
    assert result.returncode == 1
    assert "helm test failed" in result.stderr
    assert "kubectl --context kind-todo-chatbot --namespace todo logs todo-todo-chatbot-test-backend --all-containers --prefix --tail 40" in sandbox.lines()


def test_dry_run_prints_every_command_in_order_and_changes_nothing(sandbox):
    before = sandbox.state.read_text()
    result = sandbox.deploy("--dry-run", LLM_API_KEY="sk-test-dry")
    assert result.returncode == 0, result.stderr
    assert sandbox.calls() == []
    assert sandbox.state.read_text() == before
    assert "sk-test-dry" not in result.stdout
    expected = [
        "$ docker info --format",
        "$ helm template todo",
        "$ kind get clusters",
        "$ kind create cluster --name todo-chatbot --config - --wait 120s",
        "$ docker start todo-chatbot-control-plane",
        "$ kind load image-archive " + str(sandbox.images / "todo-backend.tar"),
        "$ kind load image-archive " + str(sandbox.images / "todo-frontend.tar"),
        "$ kind load image-archive " + str(sandbox.images / "todo-postgres.tar"),
        "$ kubectl --context kind-todo-chatbot get namespace todo",
        "$ kubectl --context kind-todo-chatbot --namespace todo get secret todo-chatbot-app -o json --ignore-not-found",
        "$ kubectl --context kind-todo-chatbot --namespace todo apply --server-side",
        "$ helm list --kube-context kind-todo-chatbot --namespace todo --pending",
        "--dry-run=server",
        "$ helm upgrade --install todo",
        "$ kubectl --context kind-todo-chatbot --namespace todo rollout status",
        "$ helm test todo",
    ]
    positions = [result.stdout.find(text) for text in expected]
    assert -1 not in positions, [t for t, p in zip(expected, positions) if p == -1]
    assert positions == sorted(positions)
    assert "Dry run done: nothing was changed." in result.stdout


def test_dry_run_with_skip_build_shows_the_runtime_query(sandbox):
    result = sandbox.deploy("--dry-run", "--skip-build")
    assert result.returncode == 0, result.stderr
    assert f"$ docker exec todo-chatbot-control-plane crictl inspecti todo-backend:{TAG}" in result.stdout
    assert "(only if a node lacks todo-backend:1a2b3c)" in result.stdout


def test_dry_run_without_a_container_engine_still_prints_the_plan(sandbox):
    sandbox.remove_stub("docker")
    sandbox.remove_stub("podman")
    result = sandbox.deploy("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "a real run stops here (exit 3)" in result.stdout
    assert "$ helm upgrade --install todo" in result.stdout
