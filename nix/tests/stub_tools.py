"""STUB kind, kubectl, helm, docker and podman for the deploy-kind tests: none of them is the real tool.

Each stub appends one JSON line to $STUB_LOG (the tool, its argv, its stdin when it reads stdin, and
KIND_EXPERIMENTAL_PROVIDER) and answers from a small fake world kept in the JSON file $STUB_STATE: the kind
clusters with their host port, loaded images, namespaces and Secrets; the engine's architecture; which
commands fail. Only the subcommands the scripts use are modelled; anything else fails loudly.
"""

import io
import json
import os
import re
import sys
import tarfile

DEFAULT_STATE = {
    "clusters": {},
    "engine_arch": "x86_64",
    "engine_down": False,
    "fail": [],
    "pods": [],
}


def load_state(path):
    if os.path.exists(path):
        with open(path) as f:
            return {**DEFAULT_STATE, **json.load(f)}
    return dict(DEFAULT_STATE)


def new_cluster(port=None):
    return {"port": port, "images": [], "namespaces": ["default", "kube-system"], "secrets": {}}


def take(args, *names):
    """Removes `--flag value` / `--flag=value` for each name from args; returns {name: value}."""
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
        else:
            rest.append(arg)
        i += 1
    return found, rest


def repotags_of(path):
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    return manifest[0]["RepoTags"]


class Stub:
    def __init__(self, tool, argv):
        self.tool, self.argv = tool, argv
        self.state_path = os.environ["STUB_STATE"]
        self.state = load_state(self.state_path)
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
        with open(self.state_path, "w") as f:
            json.dump(self.state, f)

    def fail_if_told(self):
        line = " ".join([self.tool, *self.argv])
        for prefix in self.state["fail"]:
            if line.startswith(prefix):
                sys.exit(f"stub {self.tool}: told to fail ({prefix})")

    # --- container engines -------------------------------------------------------------------------
    def engine(self, version_line, arch_map):
        args = self.argv
        if args == ["-v"]:
            print(version_line)
            return
        if args[:1] == ["info"]:
            if self.state["engine_down"]:
                sys.exit("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
            print(arch_map.get(self.state["engine_arch"], self.state["engine_arch"]))
            return
        if args[:1] == ["port"]:
            name = args[1].removesuffix("-control-plane")
            cluster = self.state["clusters"].get(name)
            if not cluster or not cluster["port"]:
                sys.exit(f"Error: no public port '{args[2]}' published for {args[1]}")
            print(f"127.0.0.1:{cluster['port']}")
            return
        sys.exit(f"stub {self.tool}: unmodelled {args}")

    def docker(self):
        self.engine("Docker version 27.3.1, build ce12230", {})

    def podman(self):
        self.engine("podman version 5.2.0", {"x86_64": "amd64", "aarch64": "arm64"})

    # --- kind -------------------------------------------------------------------------------------------
    def kind(self):
        self.fail_if_told()
        flags, args = take(self.argv, "--name", "--config", "--wait")
        clusters = self.state["clusters"]
        name = flags.get("--name", "kind")
        if args == ["get", "clusters"]:
            if not clusters:
                print("No kind clusters found.", file=sys.stderr)
            for cluster in clusters:
                print(cluster)
        elif args == ["create", "cluster"]:
            if name in clusters:
                sys.exit(f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
            config = self.stdin if flags.get("--config") == "-" else ""
            match = re.search(r"hostPort:\s*(\d+)", config or "")
            clusters[name] = new_cluster(int(match.group(1)) if match else None)
            print(f'Creating cluster "{name}" ...')
        elif args[:2] == ["load", "image-archive"]:
            if name not in clusters:
                sys.exit(f'ERROR: no nodes found for cluster "{name}"')
            for path in args[2:]:
                for tag in repotags_of(path):
                    clusters[name]["images"].append("docker.io/library/" + tag)
        elif args == ["export", "kubeconfig"]:
            clusters[name]["context"] = True
            print(f'Set kubectl context to "kind-{name}"')
        elif args == ["delete", "cluster"]:
            clusters.pop(name, None)
            print(f'Deleting cluster "{name}" ...')
        else:
            sys.exit(f"stub kind: unmodelled {self.argv}")
        self.save()

    # --- kubectl ----------------------------------------------------------------------------------------
    def kubectl(self):
        self.fail_if_told()
        flags, args = take(
            self.argv, "--context", "--namespace", "-o", "-l", "--field-selector", "--sort-by", "--tail",
            "--timeout", "--field-manager", "-f",
        )
        if args[:2] == ["config", "get-contexts"]:
            cluster = self.state["clusters"].get(args[2].removeprefix("kind-"))
            if not cluster or not cluster.get("context", True):
                sys.exit(f"error: context {args[2]} not found")
            print(f"*  {args[2]}")
            return
        context = flags.get("--context", "")
        cluster = self.state["clusters"].get(context.removeprefix("kind-"))
        if cluster is None or not cluster.get("context", True):
            sys.exit(f'error: context "{context}" does not exist')
        namespace = flags.get("--namespace", "default")
        output = flags.get("-o")
        verb, rest = args[0], args[1:]
        if verb == "get" and rest == ["nodes"]:
            images = [{"names": [ref], "sizeBytes": 1} for ref in cluster["images"]]
            print(json.dumps({"items": [{"status": {"images": images}}]}))
        elif verb == "get" and rest[:1] == ["namespace"]:
            if rest[1] not in cluster["namespaces"]:
                sys.exit(f'Error from server (NotFound): namespaces "{rest[1]}" not found')
            print(rest[1])
        elif verb == "create" and rest[:1] == ["namespace"]:
            cluster["namespaces"].append(rest[1])
            print(f"namespace/{rest[1]} created")
        elif verb == "get" and rest[:1] == ["secret"]:
            secret = cluster["secrets"].get(f"{namespace}/{rest[1]}")
            if secret is None and "--ignore-not-found" not in rest:
                sys.exit(f'Error from server (NotFound): secrets "{rest[1]}" not found')
            if secret is not None:
                print(json.dumps(secret))
        elif verb == "apply" and flags.get("-f") == "-":
            manifest = json.loads(self.stdin)
            if manifest["metadata"]["namespace"] not in cluster["namespaces"]:
                sys.exit(f'Error from server (NotFound): namespaces "{manifest["metadata"]["namespace"]}" not found')
            cluster["secrets"][f"{manifest['metadata']['namespace']}/{manifest['metadata']['name']}"] = manifest
            print(f"secret/{manifest['metadata']['name']} serverside-applied")
        elif verb == "get" and rest == ["deployments,statefulsets"]:
            for kind, component in [("deployment.apps", "backend"), ("deployment.apps", "frontend"),
                                    ("statefulset.apps", "postgresql")]:
                print(f"{kind}/todo-todo-chatbot-{component}")
        elif verb == "rollout" and rest[:1] == ["status"]:
            print(f'{rest[1]} successfully rolled out')
        elif verb == "get" and rest == ["pods"]:
            if output == "json":
                print(json.dumps({"items": self.state["pods"]}))
            else:
                for pod in self.state["pods"]:
                    print(pod["metadata"]["name"], pod["status"]["phase"])
        elif verb == "get" and rest == ["events"]:
            print(f"Warning  BackOff  {flags['--field-selector']}  Back-off restarting failed container")
        elif verb == "logs":
            if "--previous" in rest:
                sys.exit("previous terminated container not found")
            print(f"[{rest[0]}] stub log line of {rest[0]}")
        else:
            sys.exit(f"stub kubectl: unmodelled {self.argv}")
        self.save()

    # --- helm ---------------------------------------------------------------------------------------------
    def helm(self):
        self.fail_if_told()
        if self.argv[:1] == ["upgrade"]:
            print('Release "todo" has been upgraded. Happy Helming!')
        elif self.argv[:1] == ["test"]:
            print("Phase: Succeeded")
        elif self.argv[:1] == ["uninstall"]:
            print('release "todo" uninstalled')
        else:
            sys.exit(f"stub helm: unmodelled {self.argv}")


def main(tool):
    getattr(Stub(tool, sys.argv[1:]), tool)()


def make_archive(path, repotag, arch="amd64", gzip=False):
    """A minimal docker-archive: manifest.json with RepoTags and an image config with its architecture."""
    members = {
        "manifest.json": json.dumps([{"Config": "cafe.json", "RepoTags": [repotag] if repotag else None, "Layers": []}]),
        "cafe.json": json.dumps({"architecture": arch, "os": "linux", "config": {"User": "65534:65534"}}),
    }
    with tarfile.open(path, "w:gz" if gzip else "w") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
