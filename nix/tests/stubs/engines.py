"""STUB docker and podman: the container engine under kind. Only the commands the scripts and kind use."""

import sys

from .world import fail, unmodelled

# docker/cli vendor/github.com/docker/docker/client/errors.go (ErrorConnectionFailed).
DOCKER_DOWN = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
               "Is the docker daemon running?")
# containers/podman pkg/bindings/connection.go; podman exits 125 (ExecErrorCodeGeneric) on such errors.
PODMAN_DOWN = ("Error: unable to connect to Podman socket: failed to connect: dial tcp 127.0.0.1:50123: "
               "connect: connection refused")


class Engine:
    name = ""

    def __init__(self, world):
        self.world, self.argv = world, world.argv

    @property
    def down(self):
        return self.world.state["engine"]["down"]

    def run(self):
        args = self.argv
        if args == ["-v"]:
            # Client-only: answers with the daemon down too. kind checks this line to pick docker
            # (kind pkg/cluster/internal/providers/docker/util.go IsAvailable).
            print(self.version_line())
            return
        if args[:1] == ["info"]:
            return self.info(args)
        if self.down:
            self.unreachable()
        if args[:1] == ["port"]:
            return self.port(args[1], args[2])
        if args[:3] == ["container", "inspect", "--format"] and args[3] == "{{.State.Running}}":
            return self.inspect_running(args[4])
        if args[:1] == ["start"]:
            return self.start(args[1])
        if args[:1] == ["exec"] and args[2:4] == ["crictl", "inspecti"]:
            return self.crictl_inspecti(args[1], args[4])
        unmodelled(self.name, args)

    def node_or_fail(self, name):
        node = self.world.node(name)
        if node is None:
            fail(self.no_such_container(name))
        return node

    def port(self, name, port):
        """docker/cli cli/command/container/port.go runPort: a stopped container publishes no port."""
        node = self.node_or_fail(name)
        cluster = next(c for c in self.world.clusters.values() if name in c["nodes"])
        if not node["running"] or not cluster["port"]:
            fail(f"Error: No public port '{port}' published for {name}")
        print(f"127.0.0.1:{cluster['port']}")

    def inspect_running(self, name):
        """`container inspect --format '{{.State.Running}}'`: Go's text/template prints the bool."""
        print("true" if self.node_or_fail(name)["running"] else "false")

    def start(self, name):
        node = self.node_or_fail(name)
        if self.world.state.get("start_fails"):
            fail(f"Error response from daemon: failed to set up container networking for {name}")
        node["running"] = True
        cluster = next(c for c in self.world.clusters.values() if name in c["nodes"])
        cluster["api_warmup"] = cluster.get("api_warmup_after_start", 0)
        self.world.save()
        print(name)

    def crictl_inspecti(self, name, ref):
        """crictl (cri-tools cmd/crictl/image.go inspecti): JSON status on stdout, or exit 1 with
        "no such image" when the runtime lacks it. containerd's CRI normalises `todo-backend:TAG` to
        docker.io/library/todo-backend:TAG, the name `kind load` imported it under."""
        node = self.node_or_fail(name)
        if not node["running"]:
            fail(f"Error response from daemon: container {name} is not running")
        full = ref if "/" in ref.split(":")[0] else f"docker.io/library/{ref}"
        if full not in node["images"]:
            fail(f'time="2026-01-01T00:00:00Z" level=fatal msg="no such image \\"{ref}\\" present"')
        print('{"status": {"id": "sha256:0000", "repoTags": ["%s"]}}' % full)


class Docker(Engine):
    name = "docker"

    def version_line(self):
        return f"Docker version {self.world.state['versions']['docker']}, build 0000000"

    def unreachable(self):
        fail(DOCKER_DOWN)

    def no_such_container(self, name):
        return f"Error response from daemon: No such container: {name}"

    def info(self, args):
        """docker/cli cli/command/system/info.go. With --format and the daemon down, the template runs on
        empty info, so stdout gets an empty line and stderr the connection error; before 28.1 (runInfo)
        the command still exits 0, from 28.1 on (addServerInfo returns the connection error) it exits 1."""
        assert args == ["info", "--format", "{{.Architecture}}"], args
        if self.down:
            print()
            if self.world.version("docker") >= (28, 1):
                fail(DOCKER_DOWN)
            print(DOCKER_DOWN, file=sys.stderr)
            return
        print(self.world.state["engine"]["arch"])


class Podman(Engine):
    name = "podman"

    def version_line(self):
        return f"podman version {self.world.state['versions']['podman']}"

    def unreachable(self):
        fail(PODMAN_DOWN, 125)

    def no_such_container(self, name):
        return f"Error: no such container {name}"

    def info(self, args):
        """podman info --format '{{.Host.Arch}}': Go's GOARCH names (amd64, arm64)."""
        assert args == ["info", "--format", "{{.Host.Arch}}"], args
        if self.down:
            self.unreachable()
        arch = self.world.state["engine"]["arch"]
        print({"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch))
