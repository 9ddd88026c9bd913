"""The rendered workloads as podman pods on one podman network: a podman pod per Kubernetes pod (its own
network namespace and IP, hostname = pod name), each rendered Service name a network alias of the pods it
selects, a container per rendered container with exactly the rendered command, args, environment,
securityContext, resources and volumes."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import kube
from .chart import Release
from .podman import OWNER_LABEL, RUN_LABEL, Podman, PodmanError

# Pod-template-hash and pod-name suffix alphabet of Kubernetes (k8s.io/apimachinery rand.SafeEncodeString).
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PULL = {"IfNotPresent": "missing", "Never": "never", "Always": "always"}


@dataclass
class Container:
    name: str
    spec: dict[str, Any]
    podman_name: str
    env: dict[str, str]
    security: kube.Security
    # Its logs, kept when the container is removed (the database pod recreated during the outage).
    saved_logs: str = ""


@dataclass
class Pod:
    name: str
    owner: str
    labels: dict[str, str]
    spec: dict[str, Any]
    podman_name: str
    aliases: list[str]
    ip: str = ""
    containers: list[Container] = field(default_factory=list)

    @property
    def grace_seconds(self) -> int:
        return int(self.spec.get("terminationGracePeriodSeconds", 30))


def _k8s_suffix(length: int) -> str:
    return "".join(secrets.choice(K8S_ALPHABET) for _ in range(length))


def _selects(service: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = service["spec"].get("selector")
    if not selector:
        raise kube.NotModelled(f"Service {service['metadata']['name']} has no selector (manual endpoints)")
    return all(labels.get(key) == value for key, value in selector.items())


def _container_ports(spec: dict[str, Any]) -> dict[str | int, int]:
    ports: dict[str | int, int] = {}
    for container in spec["containers"]:
        for port in container.get("ports", []):
            ports[port["containerPort"]] = port["containerPort"]
            if "name" in port:
                ports[port["name"]] = port["containerPort"]
    return ports


class Cluster:
    """Everything the rehearsal starts, so everything can be removed again."""

    def __init__(self, podman: Podman, release: Release, run_id: str, workdir: Path):
        self.podman = podman
        self.release = release
        self.prefix = f"rh{run_id}"
        self.workdir = workdir
        self.network = f"{self.prefix}-net"
        self.labels = [f"{RUN_LABEL}={run_id}", f"{OWNER_LABEL}={os.getpid()}"]
        self.sources = kube.Sources(release.config_maps(), release.secret_data())
        self.sources.secret_values.update(v for data in self.sources.secrets.values() for v in data.values())
        self.pods: list[Pod] = []
        self.volumes: dict[str, Path] = {}
        self.tmpfs_mounts: list[Path] = []
        info = podman.info()
        controllers = info["host"].get("cgroupControllers") or []
        self.memory_limits = "memory" in controllers
        self.cpu_limits = "cpu" in controllers
        self.node = {"cpu": Decimal(os.cpu_count() or 1),
                     "memory": Decimal(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))}
        self.host_ip = ""

    def label_args(self) -> list[str]:
        return [arg for label in self.labels for arg in ("--label", label)]

    def create_network(self) -> None:
        self.podman.run("network", "create", *self.label_args(), self.network)
        self.host_ip = self.podman.inspect("network", self.network)["subnets"][0]["gateway"]

    def dns_args(self) -> list[str]:
        """The resolv.conf of dnsPolicy ClusterFirst: the cluster's DNS server only, the namespace's search
        domains, ndots:5. podman would add the host's resolvers after its own, and musl (the static binaries'
        libc) asks every listed server at once and takes the first answer: a host resolver's NXDOMAIN for a
        Service name then wins now and then (seen here: 2 failed lookups in 12)."""
        namespace = self.release.namespace
        searches = [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"]
        return ["--dns", self.host_ip, *[arg for s in searches for arg in ("--dns-search", s)],
                "--dns-option", "ndots:5"]

    # --- Services -------------------------------------------------------------------------------------

    def aliases_for(self, labels: dict[str, str], pod_spec: dict[str, Any]) -> list[str]:
        """DNS names of every Service selecting these labels; a name only resolves to the pods themselves,
        so each Service port must equal the container port it targets."""
        aliases = []
        ports = _container_ports(pod_spec)
        for service in self.release.of_kind("Service"):
            if not _selects(service, labels):
                continue
            name, namespace = service["metadata"]["name"], self.release.namespace
            for port in service["spec"]["ports"]:
                target = ports.get(port.get("targetPort", port["port"]))
                if target is None:
                    raise kube.ConfigError(f"Service {name} targets port {port.get('targetPort', port['port'])}, "
                                           "which no container of the pods it selects declares")
                if target != port["port"]:
                    raise kube.NotModelled(
                        f"Service {name} port {port['port']} targets {port.get('targetPort')} ({target}); "
                        "network aliases cannot remap ports")
            aliases += [name, f"{name}.{namespace}", f"{name}.{namespace}.svc",
                        f"{name}.{namespace}.svc.cluster.local"]
        return aliases

    def check_services(self) -> None:
        """A Service whose selector matches no rendered pod has no endpoints: its name would resolve to nothing."""
        templates = [w["spec"]["template"].get("metadata", {}).get("labels", {})
                     for w in self.release.of_kind("Deployment") + self.release.of_kind("StatefulSet")]
        for service in self.release.of_kind("Service"):
            if not any(_selects(service, labels) for labels in templates):
                raise kube.ConfigError(f"Service {service['metadata']['name']} selects no pod of the release "
                                       f"(selector {service['spec']['selector']})")

    # --- pods -----------------------------------------------------------------------------------------

    def workload_pods(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(owner, pod name, workload) of every replica of every rendered workload, named as the Deployment
        and StatefulSet controllers name their pods."""
        planned = []
        for workload in self.release.of_kind("Deployment") + self.release.of_kind("StatefulSet"):
            kind, name = workload["kind"], workload["metadata"]["name"]
            replicas = workload["spec"].get("replicas", 1)
            template_hash = _k8s_suffix(10)
            for ordinal in range(replicas):
                pod_name = f"{name}-{ordinal}" if kind == "StatefulSet" else f"{name}-{template_hash}-{_k8s_suffix(5)}"
                planned.append((f"{kind}/{name}", pod_name, workload))
        return planned

    def start_pod(self, owner: str, pod_name: str, template: dict[str, Any], workload: dict[str, Any] | None) -> Pod:
        """Creates the pod's sandbox (network, IP, aliases), runs its init containers to completion and
        starts its containers, as the kubelet does."""
        spec = template["spec"]
        kube.check_fields(f"{owner} pod spec", spec, kube.POD_FIELDS_HANDLED, kube.POD_FIELDS_SCHEDULING)
        if spec.get("enableServiceLinks", True):
            raise kube.NotModelled(f"{owner}: enableServiceLinks (FOO_SERVICE_HOST variables)")
        if spec.get("automountServiceAccountToken", True):
            raise kube.NotModelled(f"{owner}: a mounted service account token (there is no API server)")
        labels = dict(template.get("metadata", {}).get("labels", {}))
        pod = Pod(pod_name, owner, labels, spec, f"{self.prefix}-{pod_name}", self.aliases_for(labels, spec))
        alias_args = [arg for alias in pod.aliases for arg in ("--network-alias", alias)]
        self.podman.run("pod", "create", "--name", pod.podman_name, "--hostname", spec.get("hostname", pod_name),
                        "--network", self.network, *alias_args, *self.dns_args(), *self.label_args())
        self.pods.append(pod)
        self.podman.run("pod", "start", pod.podman_name)
        infra = self.podman.inspect("pod", pod.podman_name)["InfraContainerID"]
        pod.ip = self.podman.inspect("container", infra)["NetworkSettings"]["Networks"][self.network]["IPAddress"]
        identity = kube.PodIdentity(pod_name, self.release.namespace, str(uuid.uuid4()), labels,
                                    dict(template.get("metadata", {}).get("annotations", {})),
                                    spec.get("serviceAccountName", "default"), pod.ip, self.host_ip, "rehearsal")
        mounts = self.pod_volumes(pod, workload)
        everyone = {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}
        for init in spec.get("initContainers", []):
            container = self._container(pod, init, identity, everyone, mounts)
            self.podman.run("run", *self.container_args(pod, container, mounts), timeout=None)
        for spec_container in spec["containers"]:
            container = self._container(pod, spec_container, identity, everyone, mounts)
            self.podman.run("run", "--detach", *self.container_args(pod, container, mounts), timeout=None)
            pod.containers.append(container)
            self._check_memory_limit(container)
        return pod

    def _check_memory_limit(self, container: Container) -> None:
        """The runtime really holds the container to its memory limit (cgroup), where this host allows one."""
        limit = container.spec.get("resources", {}).get("limits", {}).get("memory")
        if limit is None or not self.memory_limits:
            return
        applied = self.podman.inspect("container", container.podman_name)["HostConfig"]["Memory"]
        if applied != int(kube.quantity(limit)):
            raise kube.NotModelled(f"{container.podman_name}: memory limit {limit} asked, {applied} bytes applied")

    def _container(self, pod: Pod, spec: dict[str, Any], identity: kube.PodIdentity,
                   everyone: dict[str, dict[str, Any]], mounts: dict[str, list[str]]) -> Container:
        kube.check_fields(f"{pod.owner} container {spec['name']}", spec, kube.CONTAINER_FIELDS_HANDLED)
        if spec.get("stdin") or spec.get("tty"):
            raise kube.NotModelled(f"{pod.owner}: stdin/tty")
        security = kube.effective_security(pod.spec, spec)
        image_user = self.podman.inspect("image", spec["image"])["Config"].get("User", "")
        kube.verify_run_as_non_root(security, image_user)
        env = kube.resolve_env(spec, identity, self.sources, everyone, self.node)
        return Container(spec["name"], spec, f"{pod.podman_name}-{spec['name']}", env, security)

    def pod_volumes(self, pod: Pod, workload: dict[str, Any] | None) -> dict[str, list[str]]:
        """--mount arguments per volume name, each a host directory prepared as the kubelet prepares it
        (mode 0777, then fsGroup ownership) and bind-mounted: an emptyDir on a tmpfs of its own (the
        kubelet's medium Memory; sizeLimit as the tmpfs size), a StatefulSet's claim a directory that
        outlives the pod (what kind's local-path provisioner gives)."""
        mounts: dict[str, list[str]] = {}
        fs_group = pod.spec.get("securityContext", {}).get("fsGroup")
        for volume in pod.spec.get("volumes", []):
            if set(volume) - {"name", "emptyDir"}:
                raise kube.NotModelled(f"{pod.owner}: volume {volume['name']} of type {sorted(set(volume) - {'name'})}")
            directory = Path(tempfile.mkdtemp(prefix=f"{pod.name}-{volume['name']}-", dir=self.workdir))
            size = volume["emptyDir"].get("sizeLimit")
            options = "mode=0777" + (f",size={int(kube.quantity(size))}" if size is not None else "")
            subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], check=True)
            self.tmpfs_mounts.append(directory)
            mounts[volume["name"]] = ["type=bind", f"source={self._owned(directory, fs_group)}"]
        for claim in (workload or {}).get("spec", {}).get("volumeClaimTemplates", []):
            claim_name = f"{claim['metadata']['name']}-{pod.name}"
            if claim_name not in self.volumes:
                directory = Path(tempfile.mkdtemp(prefix=f"{claim_name}-", dir=self.workdir))
                self.volumes[claim_name] = self._owned(directory, fs_group)
            mounts[claim["metadata"]["name"]] = ["type=bind", f"source={self.volumes[claim_name]}"]
        return mounts

    @staticmethod
    def _owned(directory: Path, fs_group: int | None) -> Path:
        """The kubelet's SetVolumeOwnership: group fsGroup, group-writable, setgid on the directory."""
        directory.chmod(0o777)
        if fs_group is not None:
            os.chown(directory, -1, fs_group)
            directory.chmod(0o2777)
        return directory

    def container_args(self, pod: Pod, container: Container, mounts: dict[str, list[str]]) -> list[str]:
        spec, security = container.spec, container.security
        args = ["--pod", pod.podman_name, "--name", container.podman_name, "--restart", "no",
                "--pull", PULL[spec.get("imagePullPolicy", "IfNotPresent")], *self.label_args(),
                # Kubernetes never edits the image's /etc/passwd for the user it runs as.
                "--passwd=false"]
        env_file = self.workdir / f"{container.podman_name}.env"
        with os.fdopen(os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            for key, value in container.env.items():
                if "\n" in value:
                    raise kube.NotModelled(f"{container.name}: a multi-line value in {key}")
                f.write(f"{key}={value}\n")
        args += ["--env-file", str(env_file)]
        if security.user is not None:
            args += ["--user", f"{security.user}" + (f":{security.group}" if security.group is not None else "")]
        for group in security.supplemental_groups:
            args += ["--group-add", str(group)]
        if security.read_only_root:
            # podman would otherwise mount tmpfs on /tmp, /var/tmp and /run; Kubernetes mounts nothing.
            args += ["--read-only", "--read-only-tmpfs=false"]
        if not security.allow_privilege_escalation:
            args += ["--security-opt", "no-new-privileges"]
        if security.privileged:
            args.append("--privileged")
        if security.seccomp == "Unconfined":
            args += ["--security-opt", "seccomp=unconfined"]
        args += [arg for cap in security.drop for arg in ("--cap-drop", cap)]
        args += [arg for cap in security.add for arg in ("--cap-add", cap)]
        limits = spec.get("resources", {}).get("limits", {})
        if "memory" in limits and self.memory_limits:
            memory = str(int(kube.quantity(limits["memory"])))
            args += ["--memory", memory, "--memory-swap", memory]
        if "cpu" in limits and self.cpu_limits:
            args += ["--cpus", str(kube.quantity(limits["cpu"]))]
        for mount in spec.get("volumeMounts", []):
            kube.check_fields(f"{container.name} volumeMount", mount, {"name", "mountPath", "readOnly"})
            options = mounts.get(mount["name"])
            if options is None:
                raise kube.NotModelled(f"{container.name}: volumeMount {mount['name']} has no volume")
            read_only = ["ro"] if mount.get("readOnly") else []
            args += ["--mount", ",".join([*options, f"destination={mount['mountPath']}", *read_only])]
        if "workingDir" in spec:
            args += ["--workdir", spec["workingDir"]]
        command = [kube.expand(a, container.env) for a in spec.get("command", [])]
        arguments = [kube.expand(a, container.env) for a in spec.get("args", [])]
        if command:
            args += ["--entrypoint", json.dumps(command)]
        return [*args, spec["image"], *arguments]

    # --- teardown -------------------------------------------------------------------------------------

    def remove_pod(self, pod: Pod) -> None:
        for container in pod.containers:
            container.saved_logs += self.podman.logs(container.podman_name)
        self.podman.run("pod", "rm", "--force", "--time", "0", pod.podman_name, check=False)
        self.pods.remove(pod)

    def cleanup(self, images: list[str]) -> list[str]:
        """Removes every pod and container of this run, its network, its tmpfs mounts and the images it
        loaded; returns what could not be removed."""
        label = f"label={self.labels[0]}"
        pods = self.podman.run("pod", "ps", "--quiet", "--filter", label, check=False).stdout.split()
        containers = self.podman.run("ps", "--all", "--quiet", "--filter", label, check=False).stdout.split()
        commands = [["pod", "rm", "--force", "--time", "0", *pods]] if pods else []
        commands += [["rm", "--force", "--time", "0", *containers]] if containers else []
        commands += [["network", "rm", "--force", self.network]]
        commands += [["image", "rm", "--force", image] for image in images]
        problems = []
        for command in commands:
            try:
                proc = self.podman.run(*command, check=False)
            except PodmanError as err:
                problems.append(str(err))
                continue
            if proc.returncode != 0 and "no such" not in proc.stderr.lower():
                problems.append(f"podman {' '.join(command)}: {proc.stderr.strip()}")
        for directory in self.tmpfs_mounts:
            if subprocess.run(["umount", str(directory)], capture_output=True).returncode != 0:
                problems.append(f"umount {directory} failed")
        return problems
