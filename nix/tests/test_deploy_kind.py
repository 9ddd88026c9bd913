"""nix/deploy-kind.sh against STUB kind/kubectl/helm/docker/podman (stub_tools.py): these stubs record their
argv and stdin and fake a tiny cluster; no real container engine, cluster or Helm is involved."""

import base64
import re
import socket

import pytest

TAG = "1a2b3c"


def helm_upgrade(sandbox):
    [call] = [c for c in sandbox.calls("helm") if c["argv"][0] == "upgrade"]
    return call


def set_values(argv):
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]


def test_first_run_creates_the_cluster_loads_the_images_and_installs(sandbox):
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    lines = sandbox.lines()
    assert "kind get clusters" in lines
    assert "kind create cluster --name todo-chatbot --config - --wait 120s" in lines
    [create] = [c for c in sandbox.calls("kind") if c["argv"][:2] == ["create", "cluster"]]
    assert "containerPort: 30080" in create["stdin"]
    assert "hostPort: 8080" in create["stdin"]
    assert 'listenAddress: "127.0.0.1"' in create["stdin"]
    for component in ("backend", "frontend", "postgres"):
        archive = sandbox.images / f"todo-{component}.tar"
        assert f"kind load image-archive {archive} --name todo-chatbot" in lines
    upgrade = helm_upgrade(sandbox)["argv"]
    assert upgrade[:4] == ["upgrade", "--install", "todo", str(sandbox.env()["TODO_CHART_DIR"])]
    assert ["--kube-context", "kind-todo-chatbot"] == upgrade[4:6]
    assert ["--values", f"{sandbox.env()['TODO_CHART_DIR']}/values-kind.yaml"] == upgrade[9:11]
    assert "--wait" in upgrade and upgrade[upgrade.index("--timeout") + 1] == "10m"
    assert "existingSecret=todo-chatbot-app" in set_values(upgrade)
    assert any(line.startswith("kubectl --context kind-todo-chatbot --namespace todo rollout status") for line in lines)
    assert "helm test todo --kube-context kind-todo-chatbot --namespace todo --timeout 5m --logs" in lines
    # Steps in the announced order, each on one line.
    steps = re.findall(r"^==> \[(\d)/7\] ", result.stdout, re.M)
    assert steps == [str(n) for n in range(1, 8)]
    assert "http://localhost:8080/" in result.stdout
    assert "Sign up" in result.stdout and "nix run .#kind-down" in result.stdout


def test_second_run_keeps_the_cluster_and_the_auth_secret(sandbox):
    assert sandbox.deploy().returncode == 0
    first_secret = sandbox.secret()
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert not [line for line in sandbox.lines("kind") if line.startswith("kind create")]
    assert "cluster todo-chatbot exists" in result.stdout
    assert "docker port todo-chatbot-control-plane 30080/tcp" in sandbox.lines()
    assert "AUTH_SECRET: kept" in result.stdout
    assert sandbox.secret() == first_secret
    # Without --skip-build the images are loaded again: a fixed tag may hold new content.
    assert len([line for line in sandbox.lines("kind") if "load image-archive" in line]) == 3


def test_missing_kube_context_of_an_existing_cluster_is_exported_again(sandbox):
    assert sandbox.deploy().returncode == 0
    state = sandbox.read_state()
    state["clusters"]["todo-chatbot"]["context"] = False
    sandbox.write_state(state)
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert "kind export kubeconfig --name todo-chatbot" in sandbox.lines()
    sandbox.deploy()
    assert "kind export kubeconfig --name todo-chatbot" not in sandbox.lines()


def test_images_are_loaded_with_exactly_the_tags_helm_receives(sandbox):
    assert sandbox.deploy().returncode == 0
    loaded = sorted(sandbox.read_state()["clusters"]["todo-chatbot"]["images"])
    values = set_values(helm_upgrade(sandbox)["argv"])
    given = sorted(
        f"docker.io/library/{values[i].split('=')[1]}:{values[i + 1].split('=')[1]}"
        for i in range(0, 6, 2)
    )
    assert loaded == given == sorted(f"docker.io/library/todo-{c}:{TAG}" for c in ("backend", "frontend", "postgres"))
    assert values[:6] == [
        "backend.image.repository=todo-backend", f"backend.image.tag={TAG}",
        "frontend.image.repository=todo-frontend", f"frontend.image.tag={TAG}",
        "postgresql.image.repository=todo-postgres", f"postgresql.image.tag={TAG}",
    ]


def test_new_tags_roll_the_deployments(sandbox):
    assert sandbox.deploy().returncode == 0
    sandbox.set_images("4d5e6f")
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    values = set_values(helm_upgrade(sandbox)["argv"])
    assert "backend.image.tag=4d5e6f" in values and "frontend.image.tag=4d5e6f" in values
    images = sandbox.read_state()["clusters"]["todo-chatbot"]["images"]
    assert "docker.io/library/todo-backend:4d5e6f" in images


def test_skip_build_loads_only_images_the_cluster_lacks(sandbox):
    assert sandbox.deploy().returncode == 0
    result = sandbox.deploy("--skip-build")
    assert result.returncode == 0, result.stderr
    assert not [line for line in sandbox.lines("kind") if "load image-archive" in line]
    assert result.stdout.count("already on every node (--skip-build)") == 3
    sandbox.set_images(TAG, backend={"repotag": "todo-backend:77aa"})
    result = sandbox.deploy("--skip-build", TODO_BACKEND_TAG="77aa")
    assert result.returncode == 0, result.stderr
    loads = [line for line in sandbox.lines("kind") if "load image-archive" in line]
    assert loads == [f"kind load image-archive {sandbox.images}/todo-backend.tar --name todo-chatbot"]


def test_missing_docker_and_podman_is_exit_3_with_a_clear_message(sandbox):
    sandbox.remove_stub("docker")
    sandbox.remove_stub("podman")
    result = sandbox.deploy()
    assert result.returncode == 3
    assert "neither docker nor podman is installed" in result.stderr
    assert "Install Docker" in result.stderr
    assert sandbox.calls() == []


def test_unreachable_docker_is_exit_3(sandbox):
    sandbox.write_state({"engine_down": True})
    result = sandbox.deploy()
    assert result.returncode == 3
    assert "docker is installed but not reachable" in result.stderr
    assert "Cannot connect to the Docker daemon" in result.stderr
    assert not sandbox.calls("kind")


def test_podman_is_used_when_docker_is_absent(sandbox):
    sandbox.remove_stub("docker")
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert "podman info --format {{.Host.Arch}}" in sandbox.lines()
    assert {c["provider"] for c in sandbox.calls("kind")} == {"podman"}


def test_port_in_use_is_exit_5_and_creates_nothing(sandbox):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = sandbox.deploy("--port", str(port))
    assert result.returncode == 5
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port N" in result.stderr
    assert not [line for line in sandbox.lines("kind") if line.startswith("kind create")]


def test_free_custom_port_is_mapped_and_printed(sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = sandbox.deploy("--port", str(port), "--cluster", "demo")
    assert result.returncode == 0, result.stderr
    [create] = [c for c in sandbox.calls("kind") if c["argv"][:2] == ["create", "cluster"]]
    assert f"hostPort: {port}" in create["stdin"] and "--name" in create["argv"] and "demo" in create["argv"]
    assert f"http://localhost:{port}/" in result.stdout
    assert "nix run .#kind-down -- --cluster demo" in result.stdout


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


def test_secrets_never_reach_argv_or_output(sandbox):
    api_key = "sk-test-" + "9f8e7d6c5b4a" * 4
    result = sandbox.deploy(LLM_API_KEY=api_key, LLM_PROVIDER="openai", LLM_MODEL="gpt-test")
    assert result.returncode == 0, result.stderr
    secret = sandbox.secret()
    assert secret["LLM_API_KEY"] == api_key
    auth = secret["AUTH_SECRET"]
    assert len(auth) >= 32
    forbidden = [api_key, auth, base64.b64encode(api_key.encode()).decode(), base64.b64encode(auth.encode()).decode()]
    argv_text = "\n".join(sandbox.lines())
    helm_stdin = helm_upgrade(sandbox)["stdin"]
    for value in forbidden:
        assert value not in argv_text
        assert value not in result.stdout and value not in result.stderr
        assert value not in helm_stdin
    # They travel on stdin, to kubectl apply only.
    [apply] = [c for c in sandbox.calls("kubectl") if "apply" in c["argv"]]
    assert base64.b64encode(api_key.encode()).decode() in apply["stdin"]
    assert "--server-side" in apply["argv"]
    # The plain LLM settings go to Helm as values.
    assert '"provider": "openai"' in helm_stdin and '"model": "gpt-test"' in helm_stdin
    # A second run without LLM_API_KEY keeps both secrets; changing the key changes the pod checksum.
    checksum = re.search(r'"todo-chatbot/app-secret-checksum": "(\w+)"', helm_stdin).group(1)
    assert sandbox.deploy().returncode == 0
    assert sandbox.secret() == secret
    assert checksum in helm_upgrade(sandbox)["stdin"]
    assert sandbox.deploy(LLM_API_KEY=api_key + "x").returncode == 0
    assert checksum not in helm_upgrade(sandbox)["stdin"]


def test_dry_run_prints_every_command_in_order_and_changes_nothing(sandbox):
    before = sandbox.state.read_text()
    result = sandbox.deploy("--dry-run", LLM_API_KEY="sk-test-dry")
    assert result.returncode == 0, result.stderr
    assert sandbox.calls() == []
    assert sandbox.state.read_text() == before
    assert "sk-test-dry" not in result.stdout
    expected = [
        "$ docker info --format",
        "$ kind get clusters",
        "$ kind create cluster --name todo-chatbot --config - --wait 120s",
        "$ kind load image-archive " + str(sandbox.images / "todo-backend.tar"),
        "$ kind load image-archive " + str(sandbox.images / "todo-frontend.tar"),
        "$ kind load image-archive " + str(sandbox.images / "todo-postgres.tar"),
        "$ kubectl --context kind-todo-chatbot get namespace todo",
        "$ kubectl --context kind-todo-chatbot --namespace todo get secret todo-chatbot-app -o json --ignore-not-found",
        "$ kubectl --context kind-todo-chatbot --namespace todo apply --server-side",
        "$ helm upgrade --install todo",
        "$ kubectl --context kind-todo-chatbot --namespace todo rollout status",
        "$ helm test todo",
    ]
    positions = [result.stdout.find(text) for text in expected]
    assert -1 not in positions, [t for t, p in zip(expected, positions) if p == -1]
    assert positions == sorted(positions)
    assert "Dry run done: nothing was changed." in result.stdout


def test_dry_run_without_a_container_engine_still_prints_the_plan(sandbox):
    sandbox.remove_stub("docker")
    sandbox.remove_stub("podman")
    result = sandbox.deploy("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "a real run stops here (exit 3)" in result.stdout
    assert "$ helm upgrade --install todo" in result.stdout


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
    assert not sandbox.calls("helm")[1:]  # no helm test after a failed upgrade


@pytest.mark.parametrize(
    "args",
    [["--port", "http"], ["--port", "70000"], ["--cluster", "Bad_Name"], ["--values", "/nonexistent.yaml"],
     ["--bogus"], ["--timeout", "soon"], ["--cluster"]],
)
def test_usage_errors_are_exit_2(sandbox, args):
    result = sandbox.deploy(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("deploy-kind: error:")
    assert sandbox.calls() == []


def test_unknown_llm_provider_is_a_usage_error(sandbox):
    result = sandbox.deploy(LLM_PROVIDER="anthropic")
    assert result.returncode == 2
    assert "LLM_PROVIDER='anthropic': use rules or openai" in result.stderr
    assert sandbox.calls() == []


def test_extra_values_files_come_after_values_kind_and_before_the_tags(sandbox, tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("backend:\n  replicaCount: 1\n")
    assert sandbox.deploy("--values", str(extra)).returncode == 0
    argv = helm_upgrade(sandbox)["argv"]
    files = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--values"]
    assert files == [f"{sandbox.env()['TODO_CHART_DIR']}/values-kind.yaml", "-", str(extra)]
    assert argv.index(str(extra)) < argv.index("--set")


def test_help_documents_flags_and_exit_codes(sandbox):
    result = sandbox.deploy("--help")
    assert result.returncode == 0
    for text in ("--dry-run", "--cluster NAME", "--port N", "--values FILE", "--skip-build", "Exit codes"):
        assert text in result.stdout
