"""STUB kind (kubernetes-sigs/kind v0.30, nixos-25.11's version; the behaviour below is the same from v0.24 on)."""

import json
import sys
import re
import tarfile

from .world import fail, new_cluster, node_name, take, unmodelled


def repotags_of(path):
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    return manifest[0]["RepoTags"]


class Kind:
    def __init__(self, world):
        self.world = world

    def engine_reachable(self):
        """Every provider call shells out to the engine; with it down kind reports the failed command."""
        if self.world.state["engine"]["down"]:
            fail('ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster '
                 '--format \'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1')

    def run(self):
        self.world.fail_if_told()
        self.engine_reachable()
        flags, args = take(self.world.argv, "--name", "--config", "--wait")
        clusters = self.world.clusters
        name = flags.get("--name", "kind")
        if args == ["get", "clusters"]:
            # pkg/cmd/kind/get/clusters/clusters.go; the provider lists with `docker ps -a`, so stopped
            # clusters are listed too (pkg/cluster/internal/providers/docker/provider.go ListClusters).
            if not clusters:
                print("No kind clusters found.", file=sys.stderr)
            for cluster in sorted(clusters):
                print(cluster)
        elif args == ["get", "nodes"]:
            # pkg/cmd/kind/get/nodes/nodes.go: every node container, running or not.
            if name not in clusters:
                print(f'No kind nodes found for cluster "{name}".', file=sys.stderr)
                return
            for node in clusters[name]["nodes"]:
                print(node)
        elif args == ["create", "cluster"]:
            if name in clusters:
                fail(f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
            config = self.world.stdin if flags.get("--config") == "-" else ""
            match = re.search(r"hostPort:\s*(\d+)", config or "")
            clusters[name] = new_cluster(name, int(match.group(1)) if match else None)
            print(f'Creating cluster "{name}" ...')
        elif args[:2] == ["load", "image-archive"]:
            self.load(name, args[2:])
        elif args == ["export", "kubeconfig"]:
            # pkg/cluster/internal/kubeconfig/kubeconfig.go reads admin.conf from a running node.
            cluster = clusters.get(name)
            if cluster is None:
                fail(f'ERROR: could not locate any control plane nodes for cluster named \'{name}\'. '
                     "Use the --name option to select a different cluster")
            node = node_name(name)
            if not cluster["nodes"][node]["running"]:
                fail(f'ERROR: failed to get cluster internal kubeconfig: command "docker exec --privileged {node} '
                     'cat /etc/kubernetes/admin.conf" failed with error: exit status 1')
            cluster["context"] = True
            print(f'Set kubectl context to "kind-{name}"')
        elif args == ["delete", "cluster"]:
            # Removes the node containers whether they run or not.
            clusters.pop(name, None)
            print(f'Deleting cluster "{name}" ...')
        else:
            unmodelled("kind", self.world.argv)
        self.world.save()

    def load(self, name, paths):
        """pkg/cmd/kind/load/image-archive: into every node with `ctr -n k8s.io images import`
        (pkg/cluster/nodeutils/util.go), which runs inside the node container, so a stopped node fails."""
        cluster = self.world.clusters.get(name)
        if cluster is None:
            fail(f'ERROR: no nodes found for cluster "{name}"')
        for node, state in cluster["nodes"].items():
            if not state["running"]:
                fail(f'ERROR: command "docker exec --privileged {node} containerd config dump" failed with '
                     "error: exit status 1")
            for path in paths:
                for tag in repotags_of(path):
                    ref = "docker.io/library/" + tag
                    if ref not in state["images"]:
                        state["images"].append(ref)
