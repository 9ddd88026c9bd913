"""nix/deploy-kind.sh against a cluster and release left in a state a plain re-run must handle: a stopped kind
node (after a reboot), a release left pending by an interrupted Helm, and values that change what Kubernetes
cannot change. STUB tools (stubs/)."""

import subprocess

import pytest

from helpers import helm_calls, helm_upgrade

NODE = "todo-chatbot-control-plane"


def deployed(sandbox, *args):
    result = sandbox.deploy(*args)
    assert result.returncode == 0, result.stderr
    return sandbox


def stop_node(state):
    state["clusters"]["todo-chatbot"]["nodes"][NODE]["running"] = False


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_a_stopped_node_is_started_and_the_deploy_goes_on(sandbox, engine):
    if engine == "podman":
        sandbox.remove_stub("docker")
    deployed(sandbox)

    def reboot(state):
        stop_node(state)
        state["clusters"]["todo-chatbot"]["api_warmup_after_start"] = 1
    sandbox.change_state(reboot)
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    lines = sandbox.lines()
    assert f"{engine} container inspect --format {{{{.State.Running}}}} {NODE}" in lines
    assert lines.index(f"{engine} start {NODE}") < lines.index(f"{engine} port {NODE} 30080/tcp")
    # The API server answers only after a while; the script waits for it.
    assert lines.count("kubectl --context kind-todo-chatbot get --raw /readyz") == 2
    assert "node(s) stopped (e.g. after a reboot)" in result.stdout
    assert "UI on host port 8080" in result.stdout and "http://localhost:8080/" in result.stdout
    assert sandbox.cluster()["nodes"][NODE]["running"]


def test_a_node_that_will_not_start_stops_the_deploy_with_what_to_do(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: (stop_node(s), s.update(start_fails=True)))
    result = sandbox.deploy()
    assert result.returncode == 1
    assert f"could not start node {NODE} of kind cluster todo-chatbot" in result.stderr
    assert f"docker start {NODE}" in result.stderr
    assert "nix run .#kind-down && nix run .#deploy-kind" in result.stderr
    assert not [line for line in sandbox.lines("kind") if "load" in line]


def test_a_release_left_pending_is_refused_with_the_command_that_resolves_it(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["releases"]["todo/todo"].update(status="pending-upgrade"))
    result = sandbox.deploy()
    assert result.returncode == 1
    assert "release todo is pending-upgrade" in result.stderr
    assert "helm rollback todo --kube-context kind-todo-chatbot --namespace todo" in result.stderr
    assert not helm_calls(sandbox, "upgrade")

    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["releases"]["todo/todo"].update(status="pending-install"))
    result = sandbox.deploy()
    assert result.returncode == 1
    assert "helm uninstall todo --kube-context kind-todo-chatbot --namespace todo" in result.stderr


def test_the_stubbed_helm_itself_refuses_a_pending_release(sandbox):
    """What the check above prevents: Helm's own answer (pkg/action/action.go errPending)."""
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["releases"]["todo/todo"].update(status="pending-upgrade"))
    result = subprocess.run([str(sandbox.stubs / "helm"), "upgrade", "--install", "todo", sandbox.env()["TODO_CHART_DIR"],
                             "--kube-context", "kind-todo-chatbot", "--namespace", "todo"],
                            env=sandbox.env(), capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress"


@pytest.mark.parametrize(
    ("values", "what"),
    [("postgresql:\n  persistence:\n    size: 2Gi\n", "size"),
     ("postgresql:\n  persistence:\n    storageClass: fast\n", "storageClass")],
)
def test_a_changed_database_volume_is_refused_before_helm_changes_anything(sandbox, tmp_path, values, what):
    deployed(sandbox)
    objects_before = sandbox.cluster()["objects"]
    changed = tmp_path / f"{what}.yaml"
    changed.write_text(values)
    result = sandbox.deploy("--values", str(changed))
    assert result.returncode == 2, result.stderr
    assert "the API server refuses this run's PostgreSQL StatefulSet; nothing was changed" in result.stderr
    assert "spec: Forbidden: updates to statefulset spec" in result.stderr
    assert "(this one: 1Gi, storage class: the cluster default)" in result.stderr
    assert "nix run .#kind-down -- --release-only" in result.stderr
    assert "delete pvc --selector app.kubernetes.io/instance=todo,app.kubernetes.io/component=postgresql" in result.stderr
    assert not helm_calls(sandbox, "upgrade")
    assert sandbox.cluster()["objects"] == objects_before


def test_the_same_volume_size_written_differently_is_accepted(sandbox, tmp_path):
    deployed(sandbox)
    same = tmp_path / "same.yaml"
    same.write_text("postgresql:\n  persistence:\n    size: 1024Mi\n")
    result = sandbox.deploy("--values", str(same))
    assert result.returncode == 0, result.stderr
    assert "the API server accepts the PostgreSQL StatefulSet of these values" in result.stdout
    assert helm_upgrade(sandbox)


def test_turning_the_in_cluster_database_off_is_left_to_helm(sandbox, tmp_path):
    """With postgresql.enabled=false nothing of PostgreSQL is rendered: nothing for the API server to judge."""
    deployed(sandbox)
    external = tmp_path / "external.yaml"
    external.write_text("postgresql:\n  enabled: false\nexternalDatabase:\n  enabled: true\n"
                        "  url: postgres://todo:secret@db.example:5432/todo\n")
    result = sandbox.deploy("--values", str(external))
    assert result.returncode == 0, result.stderr
    assert "these values render no PostgreSQL StatefulSet" in result.stdout
    assert helm_upgrade(sandbox)
    assert "StatefulSet/todo/todo-todo-chatbot-postgresql" not in sandbox.cluster()["objects"]
