"""The fake world the stubs share, kept as JSON in $STUB_STATE, and the call log in $STUB_LOG."""

import json
import os
import sys

DEFAULTS = {
    # Versions decide behaviour where the real tools differ (see the stubs that read them).
    "versions": {"docker": "27.5.1", "podman": "5.2.0", "helm": "3.19.5"},
    "engine": {"arch": "x86_64", "down": False},
    "clusters": {},
    # Command prefixes ("helm upgrade", "kind load") that fail as if the tool had failed.
    "fail": [],
    # Pods the diagnostics list (kubectl get pods), as the API server would return them.
    "pods": [],
}


def node_name(cluster):
    """kind's single control-plane node container (pkg/cluster/internal/providers/common/namer.go)."""
    return f"{cluster}-control-plane"


def new_cluster(name, port=None):
    return {
        "port": port,
        "nodes": {node_name(name): {"running": True, "images": []}},
        "context": True,
        # `kubectl get --raw /readyz` fails this many more times after a node start.
        "api_warmup": 0,
        "namespaces": ["default", "kube-node-lease", "kube-public", "kube-system"],
        "objects": {},
        "releases": {},
    }


def version_tuple(text):
    return tuple(int(part) for part in text.split(".")[:3])


class World:
    def __init__(self, tool, argv):
        self.tool, self.argv = tool, argv
        self.path = os.environ["STUB_STATE"]
        state = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                state = json.load(f)
        self.state = {**DEFAULTS, **state}
        self.state["versions"] = {**DEFAULTS["versions"], **state.get("versions", {})}
        self.state["engine"] = {**DEFAULTS["engine"], **state.get("engine", {})}
        self.stdin = sys.stdin.read() if "-" in argv else None
        with open(os.environ["STUB_LOG"], "a") as log:
            record = {
                "tool": tool,
                "argv": argv,
                "stdin": self.stdin,
                "provider": os.environ.get("KIND_EXPERIMENTAL_PROVIDER"),
            }
            log.write(json.dumps(record) + "\n")

    def save(self):
        with open(self.path, "w") as f:
            json.dump(self.state, f)

    def fail_if_told(self):
        line = " ".join([self.tool, *self.argv])
        for prefix in self.state["fail"]:
            if line.startswith(prefix):
                fail(f"stub {self.tool}: told to fail ({prefix})")

    @property
    def clusters(self):
        return self.state["clusters"]

    def version(self, tool):
        return version_tuple(self.state["versions"][tool])

    def cluster_of_context(self, context):
        name = context.removeprefix("kind-")
        cluster = self.clusters.get(name)
        if cluster is None or not cluster.get("context", True):
            return None
        return cluster

    def node(self, name):
        for cluster in self.clusters.values():
            if name in cluster["nodes"]:
                return cluster["nodes"][name]
        return None


def fail(message, code=1):
    print(message, file=sys.stderr)
    sys.exit(code)


def unmodelled(tool, argv):
    fail(f"stub {tool}: unmodelled {argv}", 99)


def take(args, *names, flags=()):
    """Removes `--opt value` / `--opt=value` for each name, and the bare flags; returns ({name: value}, rest)."""
    found, rest, i = {}, [], 0
    while i < len(args):
        arg = args[i]
        key = arg.split("=", 1)[0]
        if key in names:
            if "=" in arg:
                found[key] = arg.split("=", 1)[1]
            else:
                found[key] = args[i + 1]
                i += 1
        elif arg in flags:
            found[arg] = True
        else:
            rest.append(arg)
        i += 1
    return found, rest


def take_repeated(args, name):
    """Removes every `name value`; returns ([values in order], rest)."""
    values, rest, i = [], [], 0
    while i < len(args):
        if args[i] == name:
            values.append(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    return values, rest


def matches_selector(labels, selector):
    """Equality-based label selectors (`a=b,c=d`), the only kind the scripts use."""
    if not selector:
        return True
    wanted = dict(term.split("=", 1) for term in selector.split(","))
    return all(labels.get(k) == v for k, v in wanted.items())
