# The test script of the k3s VM tests (nix/k3s/default.nix), run by the NixOS test driver
# (nixpkgs nixos/lib/test-driver): `machine.succeed`, `wait_until_succeeds`, `wait_for_unit`, `fail` and
# `subtest` are its API. default.nix prepends `CONFIG_FILE` (this build's chart, values files, image
# references and the journey program, as JSON) and appends the scenario call. The driver type-checks the
# whole script with mypy and lints it with pyflakes before any VM boots; nix/k3s/tests/test_driver_script.py
# runs both here against a stand-in of the driver's names.
#
# Everything the user does goes through nix/k3s/journey.py inside the VM; credentials stay in its state
# file there, so this log never shows a password, a token or a Secret's value.

import json
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Node(Protocol):
    """The part of the driver's machine object used here (positional-only: any driver version fits)."""

    def succeed(self, command: str, /, *, timeout: int | None = None) -> str: ...

    def fail(self, command: str, /, *, timeout: int | None = None) -> str: ...

    def wait_until_succeeds(self, command: str, /, timeout: int = 900) -> str: ...

    def wait_for_unit(self, unit: str, /) -> None: ...


with open(CONFIG_FILE, encoding="utf-8") as config_file:
    CONFIG: dict[str, Any] = json.load(config_file)

RELEASE = CONFIG["release"]
NAMESPACE = CONFIG["namespace"]
FULLNAME = f"{RELEASE}-todo-chatbot"
INSTANCE = f"app.kubernetes.io/instance={RELEASE}"
KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"
KUBECTL = f"kubectl --kubeconfig {KUBECONFIG} --namespace {NAMESPACE}"
HELM = f"helm --kubeconfig {KUBECONFIG} --namespace {NAMESPACE}"
JOURNEY = f"{CONFIG['journey']} --state /root/journey.json"
API_PORT = 18000
TITLE = "Buy groceries"


def component(name: str) -> str:
    return f"{INSTANCE},app.kubernetes.io/component={name}"


def kubectl_json(node: Node, args: str) -> Any:
    return json.loads(node.succeed(f"{KUBECTL} {args} -o json"))


def journey(node: Node, command: str, *args: str) -> Any:
    return json.loads(node.succeed(f"{JOURNEY} {command} {shlex.join(args)}", timeout=300))


def wait_for_cluster(server: Node, nodes: int) -> None:
    server.wait_for_unit("k3s")
    ready = (
        '[.items[] | select(.status.conditions[] | select(.type == "Ready" and .status == "True"))]'
        f" | length == {nodes}"
    )
    server.wait_until_succeeds(f"kubectl --kubeconfig {KUBECONFIG} get nodes -o json | jq -e '{ready}'", timeout=600)
    # CoreDNS is how the frontend finds the backend and the backend finds PostgreSQL.
    server.wait_until_succeeds(
        f"kubectl --kubeconfig {KUBECONFIG} --namespace kube-system rollout status deployment/coredns --timeout 30s",
        timeout=600,
    )


def wait_for_images(node: Node) -> None:
    """k3s imports every archive of services.k3s.images at start; ours must be there, with their exact tags."""
    for reference in CONFIG["images"]:
        node.wait_until_succeeds(f"k3s crictl inspecti {shlex.quote(reference)}", timeout=600)


def helm_upgrade(server: Node) -> None:
    """The kind path's values, then the k3s overlay, then this build's image tags (as deploy-kind passes them)."""
    values = " ".join(f"--values {path}" for path in CONFIG["values"])
    server.succeed(
        f"{HELM} upgrade --install {RELEASE} {CONFIG['chart']} --create-namespace {values}"
        " --wait --timeout 10m",
        timeout=900,
    )


def roll_out(server: Node) -> None:
    workloads = sorted(server.succeed(f"{KUBECTL} get deployments,statefulsets -l {INSTANCE} -o name").split())
    expected = [f"deployment.apps/{FULLNAME}-backend", f"deployment.apps/{FULLNAME}-frontend",
                f"statefulset.apps/{FULLNAME}-postgresql"]
    assert workloads == expected, f"workloads: {workloads}"
    for workload in workloads:
        server.succeed(f"{KUBECTL} rollout status {workload} --timeout 5m", timeout=400)
    claims = kubectl_json(server, f"get pvc -l {component('postgresql')}")["items"]
    assert [(c["spec"]["storageClassName"], c["status"]["phase"]) for c in claims] == [("local-path", "Bound")], claims


def helm_test(server: Node) -> None:
    server.succeed(f"{HELM} test {RELEASE} --logs --timeout 5m", timeout=400)


def node_url(server: Node, node_name: str) -> str:
    """The UI as a client outside the cluster reaches it: a node's address and the frontend's NodePort."""
    node = json.loads(server.succeed(f"kubectl --kubeconfig {KUBECONFIG} get node {node_name} -o json"))
    address = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    service = kubectl_json(server, f"get service {FULLNAME}-frontend")
    assert service["spec"]["type"] == "NodePort", service["spec"]
    return f"http://{address}:{service['spec']['ports'][0]['nodePort']}"


@contextmanager
def backend_api(server: Node) -> Iterator[str]:
    """The backend Service admits only the frontend (NetworkPolicy); an operator reaches it by port-forward."""
    server.succeed(
        f"{KUBECTL} port-forward service/{FULLNAME}-backend {API_PORT}:8000 >/tmp/api-forward.log 2>&1 &"
        " echo $! >/tmp/api-forward.pid"
    )
    try:
        server.wait_until_succeeds(f"curl --fail --silent http://127.0.0.1:{API_PORT}/healthz", timeout=60)
        yield f"http://127.0.0.1:{API_PORT}"
    finally:
        server.succeed("pid=$(cat /tmp/api-forward.pid); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.2; done")


def user_adds_a_task_in_the_ui(client: Node, url: str) -> None:
    journey(client, "login-page", "--frontend", url)
    journey(client, "signup", "--frontend", url)
    journey(client, "login", "--frontend", url)
    journey(client, "chat", "--frontend", url, "--message", "Add a task to buy groceries")
    journey(client, "tasks-page", "--frontend", url, "--title", TITLE)
    # An assistant at the UI's address: /mcp through the NodePort and the frontend, under the NetworkPolicies.
    journey(client, "assistant", "--frontend", url, "--title", TITLE)


def user_adds_a_task_and_sees_it_in_the_api(server: Node, url: str) -> None:
    user_adds_a_task_in_the_ui(server, url)
    with backend_api(server) as api:
        task = journey(server, "api-tasks", "--api", api, "--title", TITLE)
    assert task["completed"] is False, task


def the_task_is_still_there(server: Node, url: str) -> None:
    server.wait_until_succeeds(f"{JOURNEY} tasks-page --frontend {url} --title {shlex.quote(TITLE)}", timeout=300)
    with backend_api(server) as api:
        journey(server, "api-tasks", "--api", api, "--title", TITLE)


def only_the_backend_reaches_the_database(server: Node) -> None:
    """NetworkPolicy, enforced by k3s's embedded kube-router: a pod that is not the backend gets no answer from
    PostgreSQL (pg_isready exit 2, "no response"); the backend's own traffic is the app working at all."""
    postgres_image = next(ref for ref in CONFIG["images"] if "/todo-postgres:" in ref)
    server.succeed(
        f"{KUBECTL} run netpol-probe --image={postgres_image} --image-pull-policy=Never --restart=Never --command --"
        f" pg_isready --host={FULLNAME}-postgresql --port=5432 --timeout=5"
    )
    server.wait_until_succeeds(
        f"{KUBECTL} get pod netpol-probe -o jsonpath='{{.status.phase}}' | grep -Eq '^(Succeeded|Failed)$'", timeout=180
    )
    exit_code = server.succeed(
        f"{KUBECTL} get pod netpol-probe -o jsonpath='{{.status.containerStatuses[0].state.terminated.exitCode}}'"
    ).strip()
    answer = server.succeed(f"{KUBECTL} logs netpol-probe")
    server.succeed(f"{KUBECTL} delete pod netpol-probe --wait=true")
    assert exit_code == "2" and "no response" in answer, f"pg_isready from a stray pod: exit {exit_code}, {answer!r}"


def evict(server: Node, pod: str) -> str:
    """The Eviction API, as `kubectl drain` uses it: it honours PodDisruptionBudgets, a plain delete does not."""
    body = f"/tmp/eviction-{pod}.json"
    server.succeed(
        f"jq -n --arg name {pod} --arg namespace {NAMESPACE}"
        " '{apiVersion: \"policy/v1\", kind: \"Eviction\", metadata: {name: $name, namespace: $namespace}}'"
        f" >{body}"
    )
    # 2>&1: the driver returns only stdout, and a refusal is kubectl's error message.
    return f"{KUBECTL} create --raw /api/v1/namespaces/{NAMESPACE}/pods/{pod}/eviction -f {body} 2>&1"


def backend_pod_goes_and_the_app_keeps_answering(server: Node, url: str) -> None:
    first, second = sorted(p["metadata"]["name"] for p in kubectl_json(server, f"get pods -l {component('backend')}")["items"])
    server.succeed(
        f"({JOURNEY} keep-answering --frontend {url} --title {shlex.quote(TITLE)} --seconds 45"
        " >/tmp/keep-answering.json 2>/tmp/keep-answering.err; echo $? >/tmp/keep-answering.rc) >/dev/null 2>&1 &"
    )
    server.succeed("sleep 3")
    server.succeed(evict(server, first))
    refused = server.fail(evict(server, second))
    assert "disruption budget" in refused, f"the second eviction was refused for another reason: {refused}"
    server.wait_until_succeeds(f"! {KUBECTL} get pod {first}", timeout=120)
    server.succeed(f"{KUBECTL} rollout status deployment/{FULLNAME}-backend --timeout 3m", timeout=240)
    server.wait_until_succeeds("test -s /tmp/keep-answering.rc", timeout=120)
    report = server.succeed("cat /tmp/keep-answering.json /tmp/keep-answering.err")
    assert server.succeed("cat /tmp/keep-answering.rc").strip() == "0", f"the app stopped answering: {report}"


def database_restarts_and_keeps_the_data(server: Node, url: str) -> None:
    server.succeed(f"{KUBECTL} delete pod {FULLNAME}-postgresql-0 --wait=true --timeout 2m", timeout=180)
    server.succeed(f"{KUBECTL} rollout status statefulset/{FULLNAME}-postgresql --timeout 5m", timeout=400)
    server.succeed(f"{KUBECTL} wait --for=condition=Ready pod -l {component('backend')} --timeout 3m", timeout=240)
    the_task_is_still_there(server, url)


def upgrade_again_changes_nothing(server: Node, url: str) -> None:
    """Generated secrets are kept by `lookup`; the same inputs render the same pod templates, so nothing rolls."""
    fingerprint = (
        f"{KUBECTL} get secret {FULLNAME} -o jsonpath='{{.data}}' | sha256sum;"
        f" {KUBECTL} get deployments,statefulsets -l {INSTANCE}"
        " -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.generation} {end}'"
    )
    before = server.succeed(fingerprint)
    helm_upgrade(server)
    assert server.succeed(fingerprint) == before, "a second upgrade with the same inputs changed the release"
    # The token issued at sign-up still works only if AUTH_SECRET was kept.
    the_task_is_still_there(server, url)


def logs_are_json_lines_without_secrets(server: Node) -> None:
    for pod in kubectl_json(server, f"get pods -l {INSTANCE}")["items"]:
        name, role = pod["metadata"]["name"], pod["metadata"]["labels"]["app.kubernetes.io/component"]
        if role not in ("backend", "frontend"):
            continue  # PostgreSQL logs its own text format; the helm test pod prints nothing on success.
        lines = [line for line in server.succeed(f"{KUBECTL} logs {name} --all-containers").splitlines() if line]
        assert lines, f"{name} logged nothing"
        for line in lines:
            entry = json.loads(line)
            assert isinstance(entry, dict) and {"timestamp", "level"} <= entry.keys(), f"{name}: {line}"
    # Every Secret value (not Helm's own release records) and the test user's credentials, in no pod's log.
    server.succeed(
        "set -euo pipefail;"
        f" {KUBECTL} get secrets -o json | jq -r '.items[] | select(.type != \"helm.sh/release.v1\")"
        " | .data // {} | .[] | @base64d' >/root/secret-values;"
        " jq -r '.password, .token, .access_token // empty' /root/journey.json >>/root/secret-values;"
        " grep -v '^$' /root/secret-values >/root/secret-patterns; test -s /root/secret-patterns;"
        f" for pod in $({KUBECTL} get pods -o name); do {KUBECTL} logs $pod --all-containers; done >/root/all-logs;"
        " ! grep -qFf /root/secret-patterns /root/all-logs"
    )


def restart_counts(server: Node) -> dict[str, int]:
    return {
        pod["metadata"]["name"]: sum(s.get("restartCount", 0) for s in pod["status"].get("containerStatuses", []))
        for pod in kubectl_json(server, f"get pods -l {INSTANCE}")["items"]
    }


def nothing_restarted_since(server: Node, after_rollout: dict[str, int]) -> None:
    """No container restarted after the rollout: the pods that stayed kept their counts, new ones have none.
    (During the first install the backend may restart once if PostgreSQL takes over a minute to start.)"""
    now = restart_counts(server)
    changed = {pod: count for pod, count in now.items() if count != after_rollout.get(pod, 0)}
    assert not changed, f"containers restarted: {changed}"


def nodes_of(server: Node, role: str) -> list[str]:
    return sorted(p["spec"]["nodeName"] for p in kubectl_json(server, f"get pods -l {component(role)}")["items"])


def deploy(server: Node, nodes: list[Node]) -> dict[str, int]:
    """Returns each pod's container restarts once everything has rolled out."""
    wait_for_cluster(server, len(nodes))
    for node in nodes:
        wait_for_images(node)
    with subtest("helm upgrade --install with the kind values, the k3s overlay and this build's images"):
        helm_upgrade(server)
    with subtest("every Deployment and the StatefulSet roll out; the database volume is bound"):
        roll_out(server)
    with subtest("helm test"):
        helm_test(server)
    return restart_counts(server)


def single_node(machine: Node) -> None:
    start_all()
    after_rollout = deploy(machine, [machine])
    url = node_url(machine, "machine")
    with subtest("a user signs up, adds a task by chat and sees it in the UI and the API"):
        user_adds_a_task_and_sees_it_in_the_api(machine, url)
    with subtest("NetworkPolicy: only the backend reaches PostgreSQL"):
        only_the_backend_reaches_the_database(machine)
    with subtest("a backend pod is evicted: the other replica answers, the PodDisruptionBudget holds the second"):
        backend_pod_goes_and_the_app_keeps_answering(machine, url)
    with subtest("the PostgreSQL pod restarts and the data is still there"):
        database_restarts_and_keeps_the_data(machine, url)
    with subtest("a second upgrade with the same inputs keeps the secrets and rolls nothing"):
        upgrade_again_changes_nothing(machine, url)
    with subtest("the services log JSON lines, and no pod logs a secret"):
        logs_are_json_lines_without_secrets(machine)
        nothing_restarted_since(machine, after_rollout)


def two_nodes(server: Node, agent: Node) -> None:
    start_all()
    after_rollout = deploy(server, [server, agent])
    with subtest("each service's two pods are spread over the two nodes"):
        for role in ("backend", "frontend"):
            assert nodes_of(server, role) == ["agent", "server"], f"{role} pods on {nodes_of(server, role)}"
    with subtest("from the server, through the agent's NodePort: sign up, chat, see the task in the UI and the API"):
        user_adds_a_task_and_sees_it_in_the_api(server, node_url(server, "agent"))
    with subtest("from the agent, through the server's NodePort: another user does the same in the UI"):
        user_adds_a_task_in_the_ui(agent, node_url(server, "server"))
    with subtest("the services log JSON lines, and no pod logs a secret"):
        logs_are_json_lines_without_secrets(server)
        nothing_restarted_since(server, after_rollout)
