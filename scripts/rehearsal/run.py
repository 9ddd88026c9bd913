"""The rehearsal, step by step: images to the flake's spec, the chart rendered as deploy-kind installs it,
every workload in real containers, then used as a user would, stopped as Kubernetes stops it, and removed."""

from __future__ import annotations

import concurrent.futures
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import browser, checks, mcp
from .build import BuildError, build_binaries
from .chart import ChartError, Release, release_as_deployed
from .cluster import Cluster, Container, Pod
from .images import BuiltImage, ImageBuildError, build_image, find_postgresql
from .kube import ConfigError, NotModelled
from .kubelet import Failure, Kubelet
from .layer import LayerError
from .podman import Podman, PodmanError
from .spec import DESCRIPTION, REPO, SpecError, load_images, static_builds
from .sweep import record

# deploy-kind's names of the archives' components (--set <component>.image.tag).
COMPONENTS = {"todo-backend": "backend", "todo-frontend": "frontend", "todo-postgres": "postgres"}
# How long a container may take to become ready after its startup window (the rehearsal's limit; Helm's
# --wait would allow the whole --timeout).
READY_SLACK_SECONDS = 60
# Every way the rehearsal ends with a verdict against the release (anything else is a bug in it).
FAILURES = (BuildError, ChartError, browser.FlowError, ImageBuildError, ConfigError, NotModelled, Failure,
            LayerError, mcp.McpError, PodmanError, SpecError)


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def say(text: str) -> None:
    print(f"    {text}", flush=True)


@dataclass
class Options:
    chart: Path = REPO / "helm-chart"
    description: Path = DESCRIPTION
    # Binaries to put in the images instead of building them (tests use stand-ins).
    binaries: dict[str, Path] = field(default_factory=dict)
    artifacts: Path = REPO / "target" / "rehearsal"


class Rehearsal:
    def __init__(self, options: Options):
        self.options = options
        self.run_id = secrets.token_hex(3)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"todo-rehearsal-{self.run_id}-", dir="/var/tmp"))
        self.workdir.chmod(0o755)
        self.podman = Podman(self.workdir)
        self.images: dict[str, BuiltImage] = {}
        self.loaded: list[str] = []
        self.cluster: Cluster | None = None
        self.kubelet = Kubelet(self.podman)
        self.user_password = secrets.token_urlsafe(18)
        self.logs: dict[str, tuple[str, bool]] = {}
        record(self.workdir, self.run_id, self.loaded)

    # --- 1. images ------------------------------------------------------------------------------------

    def build_images(self) -> None:
        step("images to the flake's spec (nix/images.json)")
        postgresql = find_postgresql()
        specs = load_images(postgresql.version, self.options.description)
        packages = [name for name, spec in specs.items() if "package" in spec.contents]
        binaries = dict(self.options.binaries)
        missing = [p for p in packages if p not in binaries]
        if missing:
            binaries.update(build_binaries(static_builds(missing, self.workdir)))
        archives = self.workdir / "images"
        archives.mkdir()
        for name, spec in specs.items():
            image = build_image(spec, archives, binaries, postgresql)
            self.images[name] = image
            budget = spec.size_budget
            verdict = "" if budget is None else (
                f" (budget {budget / 1e6:.0f} MB: {'within' if image.size <= budget else 'OVER'})")
            say(f"{image.archive.name}: {image.size / 1e6:.1f} MB, {image.reference}{verdict}")
            if budget is not None and image.size > budget:
                raise Failure(f"{image.archive.name} is {image.size / 1e6:.1f} MB, over its {budget / 1e6:.0f} MB budget")
        problems = []
        for image in self.images.values():
            self.podman.run("load", "--input", str(image.archive), timeout=300)
            self.loaded.append(image.reference)
            record(self.workdir, self.run_id, self.loaded)
            problems += checks.image_problems(image, self.podman.inspect("image", image.reference))
        if problems:
            raise Failure("images differ from nix/images.json or break its rules:\n  " + "\n  ".join(problems))
        say("podman load: all three; each image's config is what images.json says")

    # --- 2. the release as deploy-kind installs it ------------------------------------------------------

    def render(self) -> Release:
        step("the chart as `deploy-kind` installs it (its --dry-run plan, rendered by Helm's Go engine)")
        tags = {COMPONENTS[name]: image.tag for name, image in self.images.items()}
        release = release_as_deployed(self.workdir / "images", self.options.chart, tags)
        for workload in release.of_kind("Deployment") + release.of_kind("StatefulSet"):
            say(f"{workload['kind']}/{workload['metadata']['name']}: {workload['spec'].get('replicas', 1)} replica(s)")
        pod_specs = [(f"{w['kind']}/{w['metadata']['name']}", w["spec"]["template"]["spec"])
                     for w in release.of_kind("Deployment") + release.of_kind("StatefulSet")]
        pod_specs += [(f"Pod/{p['metadata']['name']}", p["spec"]) for p in release.of_kind("Pod")]
        problems = checks.chart_user_problems(self.images, pod_specs)
        if problems:
            raise Failure("the chart and the images disagree:\n  " + "\n  ".join(problems))
        return release

    # --- 3. bring-up ------------------------------------------------------------------------------------

    def bring_up(self, release: Release) -> None:
        step("every rendered workload in podman, probed as the kubelet probes")
        self.cluster = cluster = Cluster(self.podman, release, self.run_id, self.workdir)
        cluster.create_network()
        cluster.check_services()
        say(f"network {cluster.network}; Service names resolve to their pods (network aliases)")
        for owner, name, workload in cluster.workload_pods():
            pod = cluster.start_pod(owner, name, workload["spec"]["template"], workload)
            self.kubelet.watch(pod)
            say(f"{owner} -> pod {pod.name} ({pod.ip}) aliases {', '.join(a for a in pod.aliases if '.' not in a)}")
        say("memory limits " + ("applied (cgroup)" if cluster.memory_limits else "NOT applied: no memory cgroup here"))
        self.wait_ready(cluster.pods)

    def wait_ready(self, pods: list[Pod]) -> None:
        started = time.monotonic()
        window = max(_startup_window(c.spec) for pod in pods for c in pod.containers) + READY_SLACK_SECONDS
        self.kubelet.wait("every container ready",
                          lambda: all(self.kubelet.state(c).ready for pod in pods for c in pod.containers), window)
        say(f"all {sum(len(p.containers) for p in pods)} containers ready after {time.monotonic() - started:.1f} s")

    # --- 4. helm test ----------------------------------------------------------------------------------

    def helm_test(self, release: Release) -> None:
        assert self.cluster is not None
        hooks = [p for p in release.of_kind("Pod")
                 if "test" in p["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(",")]
        step(f"helm test: {len(hooks)} test pod(s), their rendered commands")
        if not hooks:
            raise Failure("the chart renders no helm test pod")
        for hook in hooks:
            pod = self.cluster.start_pod(f"Pod/{hook['metadata']['name']}", hook["metadata"]["name"], hook, None)
            for container in pod.containers:
                proc = self.podman.run("wait", container.podman_name, timeout=release.test_timeout_seconds)
                code = proc.stdout.strip()
                output = self.podman.logs(container.podman_name).strip()
                self.logs[f"{pod.name}/{container.name}"] = (output, container.env.get("LOG_FORMAT") == "json")
                say(f"{pod.name}/{container.name}: {' '.join(container.spec.get('command', []))} -> exit {code}")
                for line in output.splitlines():
                    say(f"  | {line}")
                if code != "0":
                    raise Failure(f"helm test pod {pod.name}/{container.name} exited {code}: {output[-2000:]}\n"
                                  + self.recent_logs())
            self.cluster.remove_pod(pod)

    def recent_logs(self, lines: int = 15) -> str:
        """The last lines of every running workload container, to tell why a check failed."""
        assert self.cluster is not None
        parts = []
        for pod in self.cluster.pods:
            for container in pod.containers:
                text = self.podman.logs(container.podman_name).strip().splitlines()[-lines:]
                parts.append(f"--- {pod.name}/{container.name}\n" + "\n".join(text))
        return "\n".join(parts)

    # --- 5. a user ------------------------------------------------------------------------------------

    def entry_points(self) -> list[str]:
        """Where a user arrives: the pods behind each Service the release exposes outside the cluster
        (NodePort or LoadBalancer; kind maps the NodePort to localhost), at the Service's port."""
        assert self.cluster is not None
        urls = []
        for service in self.cluster.release.of_kind("Service"):
            if service["spec"].get("type") not in ("NodePort", "LoadBalancer"):
                continue
            port = service["spec"]["ports"][0]["port"]
            urls += [f"http://{pod.ip}:{port}" for pod in self.cluster.pods
                     if service["metadata"]["name"] in pod.aliases]
        if not urls:
            raise Failure("the release exposes no Service outside the cluster (NodePort or LoadBalancer)")
        return urls

    def user_flow(self) -> None:
        url = self.entry_points()[0]
        step(f"a user in headless Chromium at {url}: sign up, 'add a task to buy milk', mark it done, create an "
             "access token; an assistant with it at /mcp")
        self.options.artifacts.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        token = browser.sign_up_add_and_complete(url, self.email, self.user_password, self.options.artifacts)
        self.kubelet.check()
        say(f"signed up, '{browser.TASK}' pending then done in the task panel, an access token created "
            f"({time.monotonic() - started:.1f} s)")
        self.assistant(token)

    def assistant(self, token: str) -> None:
        """The token in an MCP client at the UI's address, on every frontend pod: it sees the user's task."""
        for url in self.entry_points():
            tasks = mcp.call_tool(url, token, "list_tasks", {})
            if [(task["title"], task["completed"]) for task in tasks] != [(browser.TASK, True)]:
                raise Failure(f"list_tasks over {url}/mcp answered {tasks}, not '{browser.TASK}' done")
            say(f"{url}/mcp: list_tasks over MCP shows '{browser.TASK}' done")

    @property
    def email(self) -> str:
        return f"rehearsal-{self.run_id}@example.com"

    # --- 6. a database outage --------------------------------------------------------------------------

    def database_outage(self) -> None:
        cluster = self.cluster
        assert cluster is not None
        database = next((p for p in cluster.pods if p.owner.startswith("StatefulSet/")), None)
        if database is None:
            raise Failure("no StatefulSet pod (the in-cluster PostgreSQL) to stop")
        clients = self.database_clients(database)
        step(f"PostgreSQL outage: {database.name} stopped, then recreated on its volume")
        self.stop_pod(database)
        cluster.remove_pod(database)
        for container in database.containers:
            self.logs[f"{database.name}/{container.name} (before the outage)"] = (container.saved_logs, False)
        self.kubelet.wait("the database's clients not ready",
                          lambda: not any(self.kubelet.state(c).ready for c in clients), 60)
        for container in clients:
            say(f"{container.podman_name.removeprefix(cluster.prefix + '-')}: not ready "
                f"({self.kubelet.state(container).last_readiness})")
        workload = next(w for w in cluster.release.of_kind("StatefulSet") if database.owner.endswith(w["metadata"]["name"]))
        database = cluster.start_pod(database.owner, database.name, workload["spec"]["template"], workload)
        self.kubelet.watch(database)
        self.wait_ready(cluster.pods)
        for pod in cluster.pods:
            for container in pod.containers:
                changes = ", ".join(f"{'ready' if r else 'not ready'} at {t:.0f} s ({d})"
                                    for t, r, d in self.kubelet.state(container).transitions)
                say(f"{pod.name}: {changes}")

    def database_clients(self, database: Pod) -> list[Container]:
        """The containers configured to reach the database: an env value with one of its Service names as
        a host (DATABASE_URL). Their readiness must follow the database's."""
        assert self.cluster is not None
        hosts = [re.compile(rf"[@/]{re.escape(alias)}(?=[:/]|$)") for alias in database.aliases]
        clients = [c for pod in self.cluster.pods if pod is not database for c in pod.containers
                   if any(host.search(value) for host in hosts for value in c.env.values())]
        if not clients:
            raise Failure(f"no container is configured to reach {database.name} by its Service name")
        return clients

    def data_kept(self) -> None:
        url = self.entry_points()[-1]
        step(f"the data survived: log in again at {url} (the other replica, where there are two)")
        browser.log_in_and_find_it_done(url, self.email, self.user_password, self.options.artifacts)
        self.kubelet.check()
        say(f"'{browser.TASK}' is still done")

    # --- 7. shutdown and logs -------------------------------------------------------------------------

    def stop_pod(self, pod: Pod) -> None:
        """Pod deletion as the kubelet does it, every container at once: its preStop hook, then the image's
        stop signal, then SIGKILL when terminationGracePeriodSeconds (counted from the start) runs out."""
        self.kubelet.unwatch(pod)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(pod.containers)) as pool:
            for future in [pool.submit(self._stop_container, pod, c, started) for c in pod.containers]:
                future.result()

    def _stop_container(self, pod: Pod, container: Container, started: float) -> None:
        hook = container.spec.get("lifecycle", {}).get("preStop")
        if hook is not None and "sleep" in hook:
            time.sleep(hook["sleep"]["seconds"])
        elif hook is not None and "exec" in hook:
            self.podman.run("exec", container.podman_name, *hook["exec"]["command"], check=False,
                            timeout=pod.grace_seconds)
        elif hook is not None:
            raise NotModelled(f"{pod.name}: preStop {sorted(hook)}")
        remaining = max(0, round(pod.grace_seconds - (time.monotonic() - started)))
        self.podman.run("stop", "--time", str(remaining), container.podman_name, timeout=remaining + 30)
        state = self.podman.inspect("container", container.podman_name)["State"]
        took = time.monotonic() - started
        say(f"{pod.name}: stopped after {took:.1f} s of {pod.grace_seconds} s grace, exit code {state['ExitCode']}")
        if state["ExitCode"] != 0 or took > pod.grace_seconds:
            raise Failure(f"{pod.name}/{container.name} did not shut down cleanly within its "
                          f"{pod.grace_seconds} s grace (exit code {state['ExitCode']} after {took:.1f} s)")

    def shutdown(self) -> None:
        cluster = self.cluster
        assert cluster is not None
        step("shutdown with the rendered grace periods (all pods at once, as on `helm uninstall`)")
        pods = list(cluster.pods)
        with concurrent.futures.ThreadPoolExecutor(len(pods)) as pool:
            for future in [pool.submit(self.stop_pod, pod) for pod in pods]:
                future.result()
        for pod in pods:
            for container in pod.containers:
                self.logs[f"{pod.name}/{container.name}"] = (
                    self.podman.logs(container.podman_name), container.env.get("LOG_FORMAT") == "json")

    def check_logs(self) -> None:
        assert self.cluster is not None
        step("logs: one JSON object a line where the chart sets LOG_FORMAT=json; no secret anywhere")
        secret_values = {f"a Secret value ({len(v)} characters)": v for v in self.cluster.sources.secret_values}
        secret_values["the user's password"] = self.user_password
        problems = []
        for name, (text, json_lines) in sorted(self.logs.items()):
            problems += checks.log_problems(name, text, json_lines, secret_values)
            lines = len([line for line in text.splitlines() if line.strip()])
            say(f"{name}: {lines} lines{', all JSON' if json_lines else ''}")
        if problems:
            raise Failure("logs:\n  " + "\n  ".join(problems))

    # --- the whole run --------------------------------------------------------------------------------

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.build_images()
            release = self.render()
            self.bring_up(release)
            self.helm_test(release)
            self.user_flow()
            self.database_outage()
            self.data_kept()
            self.shutdown()
            self.check_logs()
        finally:
            self.cleanup()
        print(f"\nrehearsal passed in {time.monotonic() - started:.0f} s", flush=True)

    def cleanup(self) -> None:
        step("cleanup: pods, containers, network, volumes, images of this run")
        problems = []
        if self.cluster is not None:
            problems = self.cluster.cleanup(self.loaded)
        else:
            for image in self.loaded:
                proc = self.podman.run("image", "rm", "--force", image, check=False)
                if proc.returncode != 0:
                    problems.append(proc.stderr.strip())
        shutil.rmtree(self.workdir, ignore_errors=True)
        say("removed" if not problems else "left behind:\n      " + "\n      ".join(problems))


def _startup_window(spec: dict) -> float:
    probe = spec.get("startupProbe")
    if probe is None:
        return 0.0
    return (probe.get("initialDelaySeconds", 0)
            + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3))
