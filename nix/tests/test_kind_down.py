"""nix/kind-down.sh against the STUB tools of stubs/ (they model kind, kubectl, Helm and docker; nothing real runs)."""

NODE = "todo-chatbot-control-plane"
UNINSTALL = "helm uninstall todo --kube-context kind-todo-chatbot --namespace todo --ignore-not-found --wait --timeout 5m"


def deployed(sandbox):
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    return sandbox


def test_deletes_the_cluster(sandbox):
    deployed(sandbox)
    result = sandbox.down()
    assert result.returncode == 0, result.stderr
    assert sandbox.lines() == ["docker -v", "kind get clusters", "kind delete cluster --name todo-chatbot"]
    assert sandbox.read_state()["clusters"] == {}
    assert "Cluster todo-chatbot deleted." in result.stdout


def test_deletes_a_stopped_cluster_without_starting_it(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["nodes"][NODE].update(running=False))
    result = sandbox.down()
    assert result.returncode == 0, result.stderr
    assert f"docker start {NODE}" not in sandbox.lines()
    assert sandbox.read_state()["clusters"] == {}


def test_release_only_uninstalls_the_release_and_keeps_the_cluster_and_secret(sandbox):
    deployed(sandbox)
    result = sandbox.down("--release-only")
    assert result.returncode == 0, result.stderr
    assert sandbox.lines()[-1] == UNINSTALL
    objects = sandbox.cluster()["objects"]
    assert "Secret/todo/todo-chatbot-app" in objects
    assert "StatefulSet/todo/todo-todo-chatbot-postgresql" not in objects
    assert "Kept on purpose" in result.stdout


def test_release_only_restores_a_missing_kube_context_first(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"].update(context=False))
    result = sandbox.down("--release-only")
    assert result.returncode == 0, result.stderr
    lines = sandbox.lines()
    assert lines.index("kind export kubeconfig --name todo-chatbot") < lines.index(UNINSTALL)


def test_release_only_starts_a_stopped_node_first(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["clusters"]["todo-chatbot"]["nodes"][NODE].update(running=False))
    result = sandbox.down("--release-only")
    assert result.returncode == 0, result.stderr
    lines = sandbox.lines()
    assert lines.index(f"docker start {NODE}") < lines.index(UNINSTALL)
    assert "todo/todo" not in sandbox.cluster()["releases"]


def test_missing_cluster_is_nothing_to_do(sandbox):
    result = sandbox.down("--cluster", "other")
    assert result.returncode == 0, result.stderr
    assert "Nothing to do: there is no kind cluster other." in result.stdout
    assert sandbox.lines() == ["docker -v", "kind get clusters"]


def test_dry_run_prints_and_runs_nothing(sandbox):
    deployed(sandbox)
    before = sandbox.state.read_text()
    for args, command in [
        ([], "$ kind delete cluster --name todo-chatbot"),
        (["--release-only"], "$ helm uninstall todo --kube-context kind-todo-chatbot"),
    ]:
        result = sandbox.down("--dry-run", *args)
        assert result.returncode == 0, result.stderr
        assert "$ kind get clusters" in result.stdout and command in result.stdout
        assert sandbox.calls() == []
    assert sandbox.state.read_text() == before


def test_podman_without_docker(sandbox):
    sandbox.remove_stub("docker")
    deployed(sandbox)
    assert sandbox.down().returncode == 0
    assert {c["provider"] for c in sandbox.calls("kind")} == {"podman"}


def test_unreachable_engine_is_exit_1_with_what_to_do(sandbox):
    deployed(sandbox)
    sandbox.change_state(lambda s: s["engine"].update(down=True))
    result = sandbox.down()
    assert result.returncode == 1
    assert "'kind get clusters' failed; is docker reachable? Start Docker" in result.stderr


def test_usage_errors_are_exit_2(sandbox):
    for args in (["--bogus"], ["--cluster"], ["--cluster", "UPPER"]):
        result = sandbox.down(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("kind-down: error:")
