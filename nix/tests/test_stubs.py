"""The STUB tools themselves (stubs/): each behaviour the scripts depend on, as the cited versions of the real
tools show it. These pin the stubs to their sources; the deploy tests then show the scripts cope with it."""

import json
import subprocess

import pytest

NODE = "todo-chatbot-control-plane"


def tool(sandbox, name, *args, stdin=None):
    return subprocess.run([str(sandbox.stubs / name), *args], env=sandbox.env(), input=stdin,
                          capture_output=True, text=True, timeout=60)


def deployed(sandbox):
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    return sandbox


def helm_test_logs(sandbox):
    return tool(sandbox, "helm", "test", "todo", "--kube-context", "kind-todo-chatbot", "--namespace", "todo", "--logs")


@pytest.mark.parametrize(("version", "refused"), [("3.19.5", True), ("4.2.3", True), ("4.2.4", False)])
def test_helm_test_logs_of_a_two_container_test_pod(sandbox, version, refused):
    """helm#9892: GetPodLogs names no container before v4.2.4 (pkg/action/release_testing.go), and the API
    server refuses that for a pod with two containers: the chart's test pod had two until this was found."""
    deployed(sandbox)

    def two_containers(state):
        state["versions"]["helm"] = version
        hooks = state["clusters"]["todo-chatbot"]["releases"]["todo/todo"]["hooks"]
        first, second = hooks[0], hooks[1]
        first["spec"]["containers"] += second["spec"]["containers"]
        del hooks[1]
    sandbox.change_state(two_containers)
    result = helm_test_logs(sandbox)
    if refused:
        assert result.returncode == 1
        name = "todo-todo-chatbot-test-backend"
        assert result.stderr.strip() == (
            f"Error: unable to get pod logs for {name}: a container name must be specified for pod "
            f"{name}, choose one of: [backend frontend]")
    else:
        assert result.returncode == 0, result.stderr
        assert "POD LOGS: todo-todo-chatbot-test-backend (frontend)" in result.stdout


@pytest.mark.parametrize("version", ["3.19.5", "4.2.3", "4.2.4"])
def test_helm_test_logs_of_the_charts_test_pods_work_on_every_helm(sandbox, version):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["versions"].update(helm=version))
    result = helm_test_logs(sandbox)
    assert result.returncode == 0, result.stderr
    assert "POD LOGS: todo-todo-chatbot-test-frontend (frontend)" in result.stdout


@pytest.mark.parametrize(("version", "code"), [("27.5.1", 0), ("28.0.4", 0), ("28.1.0", 1), ("29.1.3", 1)])
def test_docker_info_format_with_the_daemon_down(sandbox, version, code):
    """docker/cli cli/command/system/info.go: the template still runs (an empty line on stdout), the error
    goes to stderr, and only from 28.1 does the exit status say so."""
    sandbox.write_state({"versions": {"docker": version}, "engine": {"down": True}})
    result = tool(sandbox, "docker", "info", "--format", "{{.Architecture}}")
    assert (result.returncode, result.stdout) == (code, "\n")
    assert "Cannot connect to the Docker daemon" in result.stderr


def test_kind_lists_a_cluster_whose_node_is_stopped(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["nodes"][NODE].update(running=False))
    assert tool(sandbox, "kind", "get", "clusters").stdout == "todo-chatbot\n"
    assert tool(sandbox, "docker", "container", "inspect", "--format", "{{.State.Running}}", NODE).stdout == "false\n"
    port = tool(sandbox, "docker", "port", NODE, "30080/tcp")
    assert port.returncode == 1 and port.stderr.startswith("Error: No public port '30080/tcp' published")
    load = tool(sandbox, "kind", "load", "image-archive", str(sandbox.images / "todo-backend.tar"), "--name", "todo-chatbot")
    assert load.returncode == 1


def test_node_status_images_are_capped_at_the_50_largest(sandbox):
    deployed(sandbox)

    def crowd(state):
        node = state["clusters"]["todo-chatbot"]["nodes"][NODE]
        for n in range(60):
            node["images"].append(f"docker.io/library/big-{n}:v1")
            node.setdefault("image_sizes", {})[f"docker.io/library/big-{n}:v1"] = 500_000_000
    sandbox.change_state(crowd)
    nodes = json.loads(tool(sandbox, "kubectl", "--context", "kind-todo-chatbot", "get", "nodes", "-o", "json").stdout)
    names = [name for image in nodes["items"][0]["status"]["images"] for name in image["names"]]
    assert len(names) == 50
    assert not [n for n in names if "todo-" in n]
    runtime = tool(sandbox, "docker", "exec", NODE, "crictl", "inspecti", "todo-backend:1a2b3c")
    assert runtime.returncode == 0 and "docker.io/library/todo-backend:1a2b3c" in runtime.stdout


def test_helm_template_refuses_what_the_chart_schema_refuses(sandbox, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("llm:\n  baseUrl: ftp://example\n")
    result = tool(sandbox, "helm", "template", "todo", sandbox.env()["TODO_CHART_DIR"], "--values", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "baseUrl" in result.stderr


def test_server_side_dry_run_validates_and_stores_nothing(sandbox, tmp_path):
    deployed(sandbox)
    before = sandbox.cluster()["objects"]
    sts = dict(before["StatefulSet/todo/todo-todo-chatbot-postgresql"])
    sts["spec"] = {**sts["spec"], "serviceName": "renamed"}
    result = tool(sandbox, "kubectl", "--context", "kind-todo-chatbot", "--namespace", "todo", "apply", "--server-side",
                  "--dry-run=server", "--force-conflicts", "-f", "-", stdin=json.dumps(sts))
    assert result.returncode == 1
    assert result.stderr.startswith('The StatefulSet "todo-todo-chatbot-postgresql" is invalid: spec: Forbidden')
    assert sandbox.cluster()["objects"] == before


def test_unmodelled_commands_fail_loudly(sandbox):
    result = tool(sandbox, "kubectl", "--context", "kind-x", "version")
    assert result.returncode == 1  # no such context comes first
    deployed(sandbox)
    result = tool(sandbox, "kubectl", "--context", "kind-todo-chatbot", "cordon", NODE)
    assert result.returncode == 99 and "unmodelled" in result.stderr
