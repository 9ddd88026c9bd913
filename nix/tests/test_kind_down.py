"""nix/kind-down.sh against the STUB kind/helm of stub_tools.py (they record argv; nothing real runs)."""


def deployed(sandbox):
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    return sandbox


def test_deletes_the_cluster(sandbox):
    deployed(sandbox)
    result = sandbox.down()
    assert result.returncode == 0, result.stderr
    assert sandbox.lines() == ["kind get clusters", "kind delete cluster --name todo-chatbot"]
    assert sandbox.read_state()["clusters"] == {}
    assert "Cluster todo-chatbot deleted." in result.stdout


def test_release_only_uninstalls_the_release_and_keeps_the_cluster(sandbox):
    deployed(sandbox)
    result = sandbox.down("--release-only")
    assert result.returncode == 0, result.stderr
    assert sandbox.lines() == [
        "kind get clusters",
        "helm uninstall todo --kube-context kind-todo-chatbot --namespace todo --ignore-not-found --wait --timeout 5m",
    ]
    assert "todo-chatbot" in sandbox.read_state()["clusters"]
    assert "Kept on purpose" in result.stdout


def test_missing_cluster_is_nothing_to_do(sandbox):
    result = sandbox.down("--cluster", "other")
    assert result.returncode == 0, result.stderr
    assert "Nothing to do: there is no kind cluster other." in result.stdout
    assert sandbox.lines() == ["kind get clusters"]


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


def test_usage_errors_are_exit_2(sandbox):
    for args in (["--bogus"], ["--cluster"], ["--cluster", "UPPER"]):
        result = sandbox.down(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("kind-down: error:")
