"""nix/deploy-kind.sh on a first run and on ordinary re-runs, against the STUB tools of stubs/ (they model kind,
kubectl, Helm, docker and podman in a fake world; no real container engine, cluster or Helm is involved, but
the chart is rendered by Helm's own engine)."""

import base64
import re
import socket

import pytest

from helpers import helm_calls, helm_upgrade, helm_values, set_values, steps, values_files

TAG = "1a2b3c"


@pytest.mark.parametrize("helm_version", ["3.19.5", "4.2.3", "4.2.4"])
def test_first_run_creates_the_cluster_loads_the_images_and_installs(sandbox, helm_version):
    sandbox.write_state({"versions": {"helm": helm_version}})
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
    chart = sandbox.env()["TODO_CHART_DIR"]
    assert upgrade[:4] == ["upgrade", "--install", "todo", chart]
    assert ["--kube-context", "kind-todo-chatbot"] == upgrade[4:6]
    assert values_files(upgrade) == [f"{chart}/values-kind.yaml", "-"]
    assert "--wait" in upgrade and upgrade[upgrade.index("--timeout") + 1] == "10m"
    assert "--hide-notes" in upgrade
    assert "existingSecret=todo-chatbot-app" in set_values(upgrade)
    assert any(line.startswith("kubectl --context kind-todo-chatbot --namespace todo rollout status") for line in lines)
    # No --logs: Helm before 4.2.4 cannot fetch the log of the two-container test pod (test_stubs.py).
    assert "helm test todo --kube-context kind-todo-chatbot --namespace todo --timeout 5m" in lines
    assert steps(result.stdout) == [f"{n}/7" for n in range(1, 8)]
    assert "http://localhost:8080/" in result.stdout
    assert "Sign up" in result.stdout and "nix run .#kind-down" in result.stdout
    # The release's objects are the chart's, rendered by Helm's engine with these values.
    objects = sandbox.cluster()["objects"]
    assert "StatefulSet/todo/todo-todo-chatbot-postgresql" in objects
    assert objects["Service/todo/todo-todo-chatbot-frontend"]["spec"]["ports"][0]["nodePort"] == 30080


def test_the_chart_judges_the_values_before_the_cluster_is_touched(sandbox):
    assert sandbox.deploy().returncode == 0
    [template] = helm_calls(sandbox, "template")
    upgrade = helm_upgrade(sandbox)
    lines = sandbox.lines()
    assert lines.index(" ".join(["helm", *template["argv"]])) < lines.index("kind get clusters")
    assert "--skip-tests" in template["argv"]
    # Same values as the upgrade, except the Secret checksum that step 4 computes.
    assert values_files(template["argv"]) == values_files(upgrade["argv"])
    assert set_values(template["argv"]) == set_values(upgrade["argv"])


def test_second_run_keeps_the_cluster_and_the_auth_secret(sandbox):
    assert sandbox.deploy().returncode == 0
    first_secret = sandbox.secret()
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert not [line for line in sandbox.lines("kind") if line.startswith("kind create")]
    assert "kind cluster todo-chatbot exists: kept" in result.stdout
    assert "docker port todo-chatbot-control-plane 30080/tcp" in sandbox.lines()
    assert "AUTH_SECRET: kept" in result.stdout
    assert sandbox.secret() == first_secret
    # Without --skip-build the images are loaded again: a fixed tag may hold new content.
    assert len([line for line in sandbox.lines("kind") if "load image-archive" in line]) == 3
    # The release exists now, so its PostgreSQL StatefulSet was checked by a server-side dry run first.
    dry_runs = [c for c in sandbox.calls("kubectl") if "--dry-run=server" in c["argv"]]
    assert len(dry_runs) == 1 and "kind: StatefulSet" in dry_runs[0]["stdin"]


def test_missing_kube_context_of_an_existing_cluster_is_exported_again(sandbox):
    assert sandbox.deploy().returncode == 0
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"].update(context=False))
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    assert "kind export kubeconfig --name todo-chatbot" in sandbox.lines()
    sandbox.deploy()
    assert "kind export kubeconfig --name todo-chatbot" not in sandbox.lines()


def test_images_are_loaded_with_exactly_the_tags_helm_receives(sandbox):
    assert sandbox.deploy().returncode == 0
    [node] = sandbox.cluster()["nodes"].values()
    values = set_values(helm_upgrade(sandbox)["argv"])
    given = sorted(
        f"docker.io/library/{values[i].split('=')[1]}:{values[i + 1].split('=')[1]}" for i in range(0, 6, 2)
    )
    assert sorted(node["images"]) == given == sorted(f"docker.io/library/todo-{c}:{TAG}" for c in ("backend", "frontend", "postgres"))
    assert values[:6] == [
        "backend.image.repository=todo-backend", f"backend.image.tag={TAG}",
        "frontend.image.repository=todo-frontend", f"frontend.image.tag={TAG}",
        "postgresql.image.repository=todo-postgres", f"postgresql.image.tag={TAG}",
    ]
    deployment = sandbox.cluster()["objects"]["Deployment/todo/todo-todo-chatbot-backend"]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"todo-backend:{TAG}"


def test_new_tags_roll_the_deployments(sandbox):
    assert sandbox.deploy().returncode == 0
    sandbox.set_images("4d5e6f")
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    values = set_values(helm_upgrade(sandbox)["argv"])
    assert "backend.image.tag=4d5e6f" in values and "frontend.image.tag=4d5e6f" in values
    [node] = sandbox.cluster()["nodes"].values()
    assert "docker.io/library/todo-backend:4d5e6f" in node["images"]


def test_skip_build_loads_only_images_the_nodes_lack(sandbox):
    assert sandbox.deploy().returncode == 0
    result = sandbox.deploy("--skip-build")
    assert result.returncode == 0, result.stderr
    assert not [line for line in sandbox.lines("kind") if "load image-archive" in line]
    assert result.stdout.count("already on every node (--skip-build)") == 3
    assert f"docker exec todo-chatbot-control-plane crictl inspecti todo-backend:{TAG}" in sandbox.lines()
    sandbox.set_images(TAG, backend={"repotag": "todo-backend:77aa"})
    result = sandbox.deploy("--skip-build", TODO_BACKEND_TAG="77aa")
    assert result.returncode == 0, result.stderr
    loads = [line for line in sandbox.lines("kind") if "load image-archive" in line]
    assert loads == [f"kind load image-archive {sandbox.images}/todo-backend.tar --name todo-chatbot"]


def test_skip_build_sees_images_beyond_the_kubelets_50_image_cap(sandbox):
    """A node with many larger images (old tags, other projects) reports only the 50 largest in status.images;
    the node's runtime still holds ours, so nothing is reloaded."""
    assert sandbox.deploy().returncode == 0

    def crowd(state):
        node = state["clusters"]["todo-chatbot"]["nodes"]["todo-chatbot-control-plane"]
        for n in range(60):
            ref = f"docker.io/library/other-{n}:v1"
            node["images"].append(ref)
            node.setdefault("image_sizes", {})[ref] = 300_000_000
    sandbox.change_state(crowd)
    result = sandbox.deploy("--skip-build")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("already on every node (--skip-build)") == 3
    assert not [line for line in sandbox.lines("kind") if "load image-archive" in line]


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


def test_a_cluster_without_a_host_port_gets_a_port_forward_to_the_real_service(sandbox, tmp_path):
    sandbox.write_state({"clusters": {}})
    assert sandbox.deploy().returncode == 0
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"].update(port=None))
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text("fullnameOverride: chatbot\n")
    result = sandbox.deploy("--values", str(renamed))
    assert result.returncode == 0, result.stderr
    assert "port-forward service/chatbot-frontend 8080:3000" in result.stdout


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
    helm_stdin = "\n".join(c["stdin"] or "" for c in sandbox.calls("helm"))
    for value in forbidden:
        assert value not in argv_text
        assert value not in result.stdout and value not in result.stderr
        assert value not in helm_stdin
    # They travel on stdin, to kubectl apply only.
    [apply] = [c for c in sandbox.calls("kubectl") if "apply" in c["argv"]]
    assert base64.b64encode(api_key.encode()).decode() in apply["stdin"]
    assert "--server-side" in apply["argv"]
    # A second run without LLM_API_KEY keeps both secrets; changing the key changes the pod checksum.
    checksum = helm_values(helm_upgrade(sandbox))["backend"]["podAnnotations"]["todo-chatbot/app-secret-checksum"]
    assert re.fullmatch(r"[0-9a-f]{64}", checksum)
    assert sandbox.deploy().returncode == 0
    assert sandbox.secret() == secret
    assert checksum in helm_upgrade(sandbox)["stdin"]
    assert sandbox.deploy(LLM_API_KEY=api_key + "x").returncode == 0
    assert checksum not in helm_upgrade(sandbox)["stdin"]


def test_llm_settings_are_kept_across_runs_like_the_key(sandbox):
    first = sandbox.deploy(LLM_PROVIDER="openai", LLM_BASE_URL="http://ollama.local:11434/v1", LLM_MODEL="qwen3")
    assert first.returncode == 0, first.stderr
    llm = {"provider": "openai", "baseUrl": "http://ollama.local:11434/v1", "model": "qwen3"}
    assert helm_values(helm_upgrade(sandbox))["llm"] == llm
    assert sandbox.secret()["LLM_MODEL"] == "qwen3"

    plain = sandbox.deploy()
    assert plain.returncode == 0, plain.stderr
    assert helm_values(helm_upgrade(sandbox))["llm"] == llm
    assert "LLM_BASE_URL: http://ollama.local:11434/v1 (kept)" in plain.stdout
    config = sandbox.cluster()["objects"]["ConfigMap/todo/todo-todo-chatbot-backend"]["data"]
    assert config["LLM_PROVIDER"] == "openai" and config["LLM_MODEL"] == "qwen3"

    changed = sandbox.deploy(LLM_MODEL="llama3.2", LLM_BASE_URL="")
    assert changed.returncode == 0, changed.stderr
    assert helm_values(helm_upgrade(sandbox))["llm"] == {"provider": "openai", "model": "llama3.2"}
    assert "LLM_BASE_URL: dropped (set empty)" in changed.stdout
    assert "LLM_BASE_URL" not in sandbox.secret()
    config = sandbox.cluster()["objects"]["ConfigMap/todo/todo-todo-chatbot-backend"]["data"]
    assert config["LLM_BASE_URL"] == "https://api.openai.com/v1"  # the chart's default again


def test_extra_values_files_come_after_values_kind_and_before_the_tags(sandbox, tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("backend:\n  replicaCount: 3\n")
    assert sandbox.deploy("--values", str(extra)).returncode == 0
    argv = helm_upgrade(sandbox)["argv"]
    assert values_files(argv) == [f"{sandbox.env()['TODO_CHART_DIR']}/values-kind.yaml", "-", str(extra)]
    assert argv.index(str(extra)) < argv.index("--set")
    assert sandbox.cluster()["objects"]["Deployment/todo/todo-todo-chatbot-backend"]["spec"]["replicas"] == 3


def test_help_documents_flags_and_exit_codes(sandbox):
    result = sandbox.deploy("--help")
    assert result.returncode == 0
    for text in ("--dry-run", "--cluster NAME", "--port N", "--values FILE", "--skip-build", "Exit codes", "LLM_MODEL="):
        assert text in result.stdout
