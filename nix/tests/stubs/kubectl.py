"""STUB kubectl (nixos-25.11's kubectl 1.34; the behaviour below is stable across recent releases)."""

import json
import re

from . import apiserver
from .world import fail, matches_selector, take, unmodelled

# kubelet KubeletConfiguration.nodeStatusMaxImages (k8s.io/kubelet/config/v1beta1), default 50; the kubelet
# keeps the largest images (pkg/kubelet/images/image_gc_manager.go sorts by size, pkg/kubelet/nodestatus/
# setters.go Images cuts the list).
NODE_STATUS_MAX_IMAGES = 50

OPTIONS = ("--context", "--namespace", "-o", "-l", "--selector", "--field-selector", "--sort-by", "--tail",
           "--timeout", "--field-manager", "-f", "--dry-run", "--raw")
FLAGS = ("--ignore-not-found", "--server-side", "--force-conflicts", "--all-containers", "--prefix", "--previous")


def jsonpath(doc, expression):
    """The `{.a.b[0].c}` subset of kubectl's JSONPath (k8s.io/client-go/util/jsonpath), literal text kept."""
    def one(match):
        value = doc
        for name, index in re.findall(r"\.(\w+)(?:\[(\d+)\])?", match.group(1)):
            value = value[name]
            if index:
                value = value[int(index)]
        return str(value)

    return re.sub(r"\{([^}]*)\}", one, expression)


class Kubectl:
    def __init__(self, world):
        self.world = world

    def run(self):
        self.world.fail_if_told()
        self.opts, args = take(self.world.argv, *OPTIONS, flags=FLAGS)
        if args[:2] == ["config", "get-contexts"]:
            # pkg/cmd/config/get_contexts.go: a named context that is missing is an error.
            if self.world.cluster_of_context(args[2]) is None:
                fail(f"error: context {args[2]} not found")
            print(f"*         {args[2]}   {args[2]}   {args[2]}")
            return
        context = self.opts.get("--context", "")
        self.cluster = self.world.cluster_of_context(context)
        if self.cluster is None:
            # k8s.io/client-go/tools/clientcmd/validation.go
            fail(f"error: context was not found for specified context: {context}")
        if not all(node["running"] for node in self.cluster["nodes"].values()):
            # The API server runs in the node container (pkg/cmd/util/helpers.go for the message).
            fail("The connection to the server 127.0.0.1:41235 was refused - did you specify the right host or port?")
        self.namespace = self.opts.get("--namespace", "default")
        handler = {
            "get": self.get,
            "create": self.create,
            "apply": self.apply,
            "rollout": self.rollout,
            "logs": self.logs,
        }.get(args[0])
        if handler is None:
            unmodelled("kubectl", self.world.argv)
        handler(args[1:])
        self.world.save()

    def objects(self, kind, selector=None):
        prefix = f"{kind}/{self.namespace}/"
        return [m for k, m in sorted(self.cluster["objects"].items())
                if k.startswith(prefix) and matches_selector(m["metadata"].get("labels", {}), selector)]

    def selector(self):
        return self.opts.get("-l") or self.opts.get("--selector")

    def get(self, rest):
        output = self.opts.get("-o")
        if "--raw" in self.opts:
            assert self.opts["--raw"] == "/readyz", self.opts
            if self.cluster.get("api_warmup", 0) > 0:
                self.cluster["api_warmup"] -= 1
                self.world.save()
                fail("Error from server (InternalError): an error on the server (\"[-]etcd failed\") has prevented the request from succeeding")
            print("ok")
        elif rest[:1] == ["namespace"]:
            if rest[1] not in self.cluster["namespaces"]:
                fail(f'Error from server (NotFound): namespaces "{rest[1]}" not found')
            print(f"{rest[1]}   Active   1d")
        elif rest[:1] == ["secret"]:
            [secret] = [s for s in self.objects("Secret") if s["metadata"]["name"] == rest[1]] or [None]
            if secret is None and "--ignore-not-found" not in self.opts:
                fail(f'Error from server (NotFound): secrets "{rest[1]}" not found')
            if secret is not None:
                print(json.dumps(secret))
        elif rest == ["statefulsets"] and output == "json":
            print(json.dumps({"apiVersion": "v1", "kind": "List", "items": self.objects("StatefulSet", self.selector())}))
        elif rest == ["deployments,statefulsets"] and output == "name":
            for kind, group in (("Deployment", "deployment.apps"), ("StatefulSet", "statefulset.apps")):
                for m in self.objects(kind, self.selector()):
                    print(f"{group}/{m['metadata']['name']}")
        elif rest == ["services"] and output and output.startswith("jsonpath="):
            items = self.objects("Service", self.selector())
            print(jsonpath({"items": items}, output.removeprefix("jsonpath=")), end="")
        elif rest == ["pods"]:
            pods = self.world.state["pods"]
            if output == "json":
                print(json.dumps({"items": pods}))
            else:
                for pod in pods:
                    print(pod["metadata"]["name"], pod["status"]["phase"])
        elif rest == ["events"]:
            print(f"Warning  BackOff  {self.opts['--field-selector']}  Back-off restarting failed container")
        elif rest == ["nodes"] and output == "json":
            items = []
            for name, node in self.cluster["nodes"].items():
                sized = [{"names": [ref], "sizeBytes": size} for ref, size in self.sized_images(node)]
                sized.sort(key=lambda image: -image["sizeBytes"])
                items.append({"metadata": {"name": name}, "status": {"images": sized[:NODE_STATUS_MAX_IMAGES]}})
            print(json.dumps({"items": items}))
        else:
            unmodelled("kubectl", self.world.argv)

    @staticmethod
    def sized_images(node):
        sizes = node.get("image_sizes", {})
        return [(ref, sizes.get(ref, 12_000_000)) for ref in node["images"]]

    def create(self, rest):
        if rest[:1] != ["namespace"]:
            unmodelled("kubectl", self.world.argv)
        self.cluster["namespaces"].append(rest[1])
        print(f"namespace/{rest[1]} created")

    def apply(self, rest):
        """Server-side apply from stdin (pkg/cmd/apply/apply.go): JSON or multi-document YAML, filtered by
        --selector; with --dry-run=server the server validates and stores nothing."""
        import yaml

        assert self.opts.get("-f") == "-" and "--server-side" in self.opts, self.world.argv
        dry_run = self.opts.get("--dry-run") == "server"
        manifests = [doc for doc in yaml.safe_load_all(self.world.stdin) if doc]
        selector = self.selector()
        manifests = [m for m in manifests if matches_selector(m["metadata"].get("labels", {}), selector)]
        if not manifests:
            fail("error: no objects passed to apply")  # pkg/cmd/apply/apply.go Run
        try:
            apiserver.apply(self.cluster, manifests, self.namespace, dry_run=dry_run)
        except apiserver.Invalid as invalid:
            # pkg/cmd/util/helpers.go checkErr prints Invalid errors as `The <Kind> "<name>" is invalid: ...`.
            fail(f'The {invalid.kind} "{invalid.name}" is invalid: {invalid.message}')
        suffix = " (server dry run)" if dry_run else ""
        for m in manifests:
            print(f"{m['kind'].lower()}/{m['metadata']['name']} serverside-applied{suffix}")

    def rollout(self, rest):
        assert rest[0] == "status", rest
        kind, name = rest[1].split("/", 1)
        print(f'{kind.split(".")[0]} "{name}" successfully rolled out')

    def logs(self, rest):
        if "--previous" in self.opts:
            fail(f'Error from server (BadRequest): previous terminated container "app" in pod "{rest[0]}" not found')
        print(f"[pod/{rest[0]}/app] stub log line of {rest[0]}")
