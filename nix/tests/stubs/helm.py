"""STUB helm: Helm 3.19 (nixos-25.11's kubernetes-helm) or Helm 4, as world.versions.helm says.

The chart is rendered by Helm's own Go engine (helm-python-sdk, Helm v4 SDK): the schema, the chart's `fail`
checks and the rendered objects are Helm's; `--set` is parsed by Helm's strvals, and files are merged as Helm's
MergeValues does (helm-chart/tests/helm_values.py). The cluster side (releases, applying objects, running test
pods) is the stub's, modelled on helm/helm at v3.19.5 and v4.2.3/v4.2.4 as cited below.
"""

import json
import re
import sys
from pathlib import Path

import yaml

from . import apiserver
from .world import fail, take, take_repeated, unmodelled

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "helm-chart" / "tests"))
from helm_values import deep_merge  # noqa: E402  (the chart tests' model of Helm's values merge)

# helm pkg/action/action.go errPending (v3.19.5 and v4.2.3).
ERR_PENDING = "another operation (install/upgrade/rollback) is in progress"


class Helm:
    def __init__(self, world):
        self.world = world

    def run(self):
        self.world.fail_if_told()
        verb = self.world.argv[0]
        handler = {"upgrade": self.upgrade, "template": self.template, "test": self.test,
                   "uninstall": self.uninstall, "list": self.list}.get(verb)
        if handler is None:
            unmodelled("helm", self.world.argv)
        handler(self.world.argv[1:])
        self.world.save()

    # --- chart side: Helm's engine --------------------------------------------------------------------
    def values(self, args):
        """pkg/cli/values/options.go MergeValues: each --values file in order (`-` is stdin), then --set."""
        files, args = take_repeated(args, "--values")
        sets, args = take_repeated(args, "--set")
        import helm_python

        values = {}
        for path in files:
            text = self.world.stdin if path == "-" else open(path).read()
            values = deep_merge(values, yaml.safe_load(text) or {})
        for expression in sets:
            values = deep_merge(values, helm_python.parse_set_string(expression))
        return values, args

    def render(self, chart_dir, release, namespace, values, upgrade):
        import helm_python

        try:
            with helm_python.Chart.load(chart_dir) as chart:
                out = chart.render(values, name=release, namespace=namespace,
                                   is_install=not upgrade, is_upgrade=upgrade)
        except (helm_python.HelmValuesError, helm_python.HelmRenderError) as err:
            return None, str(err)
        rendered = [(path, doc) for path, text in sorted(out.items()) if not path.endswith("NOTES.txt")
                    for doc in yaml.safe_load_all(text) if doc]
        return rendered, None

    @staticmethod
    def is_hook(manifest):
        return "helm.sh/hook" in manifest["metadata"].get("annotations", {})

    def template(self, args):
        """pkg/cmd/template.go: renders offline (no cluster), prints `# Source:` documents; --skip-tests."""
        flags, args = take(args, "--namespace", flags=("--skip-tests",))
        values, args = self.values(args)
        release, chart_dir = args
        rendered, error = self.render(chart_dir, release, flags.get("--namespace", "default"), values, False)
        if error:
            fail(f"Error: {error}")
        for path, doc in rendered:
            is_test = self.is_hook(doc) and doc["metadata"]["annotations"]["helm.sh/hook"] == "test"
            if is_test and "--skip-tests" in flags:
                continue
            print(f"---\n# Source: {path}\n{yaml.safe_dump(doc, sort_keys=False)}", end="")

    # --- cluster side ----------------------------------------------------------------------------------
    def cluster(self, flags):
        context = flags.get("--kube-context", "")
        cluster = self.world.cluster_of_context(context)
        if cluster is None:
            fail(f'Error: Kubernetes cluster unreachable: context "{context}" does not exist')
        if not all(node["running"] for node in cluster["nodes"].values()):
            fail('Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:41235/version": dial tcp '
                 "127.0.0.1:41235: connect: connection refused")
        return cluster

    def upgrade(self, args):
        """pkg/cmd/upgrade.go with --install: installs when there is no release, else upgrades; a pending
        release is refused (errPending), an object the API server refuses fails the release."""
        flags, args = take(args, "--kube-context", "--namespace", "--timeout",
                           flags=("--install", "--create-namespace", "--wait", "--hide-notes"))
        values, args = self.values(args)
        release, chart_dir = args
        namespace = flags.get("--namespace", "default")
        cluster = self.cluster(flags)
        record = cluster["releases"].get(f"{namespace}/{release}")
        upgrading = record is not None
        failed = "UPGRADE FAILED" if upgrading else "INSTALLATION FAILED"
        if upgrading and record["status"].startswith("pending-"):
            fail(f"Error: UPGRADE FAILED: {ERR_PENDING}")
        if "--create-namespace" in flags and namespace not in cluster["namespaces"]:
            cluster["namespaces"].append(namespace)
        rendered, error = self.render(chart_dir, release, namespace, values, upgrading)
        if error:
            fail(f"Error: {failed}: {error}")
        manifests = [doc for _, doc in rendered if not self.is_hook(doc)]
        revision = record["revision"] + 1 if upgrading else 1
        new = {"name": release, "namespace": namespace, "revision": revision, "status": "deployed",
               "objects": [apiserver.key_of(m, namespace) for m in manifests],
               "hooks": [doc for _, doc in rendered if self.is_hook(doc)]}
        try:
            apiserver.apply(cluster, manifests, namespace)
        except apiserver.Invalid as invalid:
            # pkg/kube/client.go updateResource wraps the server's answer.
            new["status"] = "failed"
            cluster["releases"][f"{namespace}/{release}"] = new
            self.world.save()
            fail(f'Error: {failed}: cannot patch "{invalid.name}" with kind {invalid.kind}: '
                 f'{invalid.kind}.apps "{invalid.name}" is invalid: {invalid.message}')
        # pkg/kube/client.go Update deletes what the previous release had and this one has not (unless kept).
        for key in (record or {}).get("objects", []):
            kept = cluster["objects"].get(key, {}).get("metadata", {}).get("annotations", {})
            if key not in new["objects"] and kept.get("helm.sh/resource-policy") != "keep":
                cluster["objects"].pop(key, None)
        cluster["releases"][f"{namespace}/{release}"] = new
        print(f'Release "{release}" has been upgraded. Happy Helming!' if upgrading
              else f'Release "{release}" does not exist. Installing it now.')
        print(f"NAME: {release}\nNAMESPACE: {namespace}\nSTATUS: deployed\nREVISION: {revision}")

    def list(self, args):
        """pkg/cmd/list.go: --pending keeps pending-* releases; --filter is a regular expression;
        -o json prints releaseElement objects ([] when none)."""
        flags, args = take(args, "--kube-context", "--namespace", "--filter", "--output", flags=("--pending",))
        assert not args and flags.get("--output") == "json" and "--pending" in flags, self.world.argv
        cluster = self.cluster(flags)
        namespace = flags.get("--namespace", "default")
        pattern = re.compile(flags.get("--filter", ""))
        found = [{"name": r["name"], "namespace": r["namespace"], "revision": str(r["revision"]),
                  "updated": "2026-01-01 00:00:00 +0000 UTC", "status": r["status"],
                  "chart": "todo-chatbot-0.1.0", "app_version": "0.1.0"}
                 for r in cluster["releases"].values()
                 if r["namespace"] == namespace and r["status"].startswith("pending-") and pattern.search(r["name"])]
        print(json.dumps(found))

    def test(self, args):
        """pkg/cmd/release_testing.go: runs the test hooks, prints the status; with --logs then fetches each
        test pod's log. Before v4.2.4 (pkg/action/release_testing.go GetPodLogs) the request names no
        container, which the API server refuses for a pod with several containers (kubernetes
        pkg/registry/core/pod/strategy.go LogLocation); v4.2.4 asks for each container."""
        flags, args = take(args, "--kube-context", "--namespace", "--timeout", flags=("--logs",))
        [release] = args
        namespace = flags.get("--namespace", "default")
        cluster = self.cluster(flags)
        record = cluster["releases"].get(f"{namespace}/{release}")
        if record is None:
            fail("Error: release: not found")
        phase = "Failed" if self.world.state.get("test_fails") else "Succeeded"
        tests = [h for h in record["hooks"] if h["metadata"]["annotations"]["helm.sh/hook"] == "test"]
        for hook in tests:
            print(f"TEST SUITE:     {hook['metadata']['name']}\nPhase:          {phase}")
        if "--logs" in flags:
            print()
            for hook in tests:
                name = hook["metadata"]["name"]
                containers = [c["name"] for c in hook["spec"]["containers"]]
                if len(containers) > 1 and self.world.version("helm") < (4, 2, 4):
                    fail(f"Error: unable to get pod logs for {name}: a container name must be specified for pod "
                         f"{name}, choose one of: [{' '.join(containers)}]")
                for container in containers:
                    print(f"POD LOGS: {name} ({container})\nstub log line of {container}\n")
        if phase == "Failed":
            fail(f"Error: 1 error occurred:\n\t* pod {tests[0]['metadata']['name']} failed")

    def uninstall(self, args):
        """pkg/cmd/uninstall.go: deletes the release's objects except those annotated
        helm.sh/resource-policy: keep; --ignore-not-found makes a missing release a success."""
        flags, args = take(args, "--kube-context", "--namespace", "--timeout", flags=("--ignore-not-found", "--wait"))
        [release] = args
        namespace = flags.get("--namespace", "default")
        cluster = self.cluster(flags)
        record = cluster["releases"].pop(f"{namespace}/{release}", None)
        if record is None:
            if "--ignore-not-found" not in flags:
                fail(f"Error: uninstall: Release not loaded: {release}: release: not found")
            return
        for key in record["objects"]:
            manifest = cluster["objects"].get(key)
            if manifest and manifest["metadata"].get("annotations", {}).get("helm.sh/resource-policy") != "keep":
                del cluster["objects"][key]
        print(f'release "{release}" uninstalled')
