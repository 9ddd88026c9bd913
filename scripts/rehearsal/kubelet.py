"""Probes run as the kubelet runs them: one worker per probe of each container, from the node (the host)
to the pod's IP; the startup probe first, then readiness and liveness on their own periods; thresholds of
consecutive results; defaults of the Kubernetes API (period 10 s, timeout 1 s, failure 3, success 1).

What the kubelet would answer with a restart (a startup or liveness probe failing failureThreshold times in
a row, a container exiting under restartPolicy Always) ends the rehearsal: a release that only works after
restarts is not ready. An HTTP probe answered 404 ends it at once: the path does not exist, and no number
of retries will make it appear.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .cluster import Container, Pod
from .kube import NotModelled
from .podman import Podman, PodmanError

PROBE_DEFAULTS = {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                  "failureThreshold": 3}


@dataclass
class Result:
    ok: bool
    detail: str
    missing_path: bool = False


@dataclass
class ContainerState:
    pod: Pod
    container: Container
    started_at: float
    started: threading.Event = field(default_factory=threading.Event)
    ready: bool = False
    # (seconds since start, ready, detail) at every readiness change.
    transitions: list[tuple[float, bool, str]] = field(default_factory=list)
    last_readiness: str = ""


class Failure(Exception):
    """The kubelet would have restarted a container, or one exited, or never got ready."""


def _port(pod: Pod, container: Container, port: Any) -> int:
    if isinstance(port, int):
        return port
    for declared in container.spec.get("ports", []):
        if declared.get("name") == port:
            return declared["containerPort"]
    raise NotModelled(f"{pod.name}/{container.name}: probe port {port!r} is not a declared port")


def describe(probe: dict[str, Any]) -> str:
    if "httpGet" in probe:
        return f"GET {probe['httpGet'].get('path', '/')}"
    if "tcpSocket" in probe:
        return f"TCP :{probe['tcpSocket']['port']}"
    return "exec " + " ".join(probe["exec"]["command"])


def run_probe(podman: Podman, pod: Pod, container: Container, probe: dict[str, Any]) -> Result:
    timeout = probe.get("timeoutSeconds", PROBE_DEFAULTS["timeoutSeconds"])
    if "httpGet" in probe:
        get = probe["httpGet"]
        if get.get("scheme", "HTTP") != "HTTP":
            raise NotModelled(f"{pod.name}: probe scheme {get['scheme']}")
        headers = {"User-Agent": "kube-probe/1.30", "Accept": "*/*",
                   **{h["name"]: h["value"] for h in get.get("httpHeaders", [])}}
        connection = http.client.HTTPConnection(get.get("host", pod.ip),
                                                _port(pod, container, get["port"]), timeout=timeout)
        try:
            connection.request("GET", get.get("path", "/"), headers=headers)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as err:
            return Result(False, f"{type(err).__name__}: {err}")
        finally:
            connection.close()
        return Result(200 <= status < 400, f"HTTP {status}", missing_path=status == 404)
    if "tcpSocket" in probe:
        try:
            socket.create_connection((pod.ip, _port(pod, container, probe["tcpSocket"]["port"])),
                                     timeout=timeout).close()
            return Result(True, "connected")
        except OSError as err:
            return Result(False, str(err))
    if "exec" in probe:
        try:
            proc = podman.run("exec", container.podman_name, *probe["exec"]["command"], check=False,
                              timeout=timeout + 5)
        except PodmanError:
            return Result(False, f"timed out after {timeout}s")
        return Result(proc.returncode == 0, f"exit {proc.returncode}")
    raise NotModelled(f"{pod.name}/{container.name}: probe handler {sorted(probe)}")


class Kubelet:
    def __init__(self, podman: Podman):
        self.podman = podman
        self.states: dict[str, ContainerState] = {}
        self.failures: list[str] = []
        self._stop: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def fail(self, state: ContainerState, message: str) -> None:
        if self._stop[state.pod.podman_name].is_set():
            return
        logs = self.podman.logs(state.container.podman_name).strip().splitlines()[-15:]
        with self._lock:
            self.failures.append(f"{state.pod.name}/{state.container.name}: {message}\n"
                                 + "".join(f"      | {line}\n" for line in logs))

    def watch(self, pod: Pod) -> None:
        stop = self._stop[pod.podman_name] = threading.Event()
        for container in pod.containers:
            state = ContainerState(pod, container, time.monotonic())
            self.states[container.podman_name] = state
            spec = container.spec
            threading.Thread(target=self._exit_watch, args=(state, stop), daemon=True).start()
            if "startupProbe" in spec:
                threading.Thread(target=self._restarting, args=(state, "startupProbe", spec["startupProbe"], stop),
                                 daemon=True).start()
            else:
                state.started.set()
            if "readinessProbe" in spec:
                threading.Thread(target=self._readiness, args=(state, spec["readinessProbe"], stop),
                                 daemon=True).start()
            else:
                threading.Thread(target=self._ready_when_started, args=(state, stop), daemon=True).start()
            if "livenessProbe" in spec:
                threading.Thread(target=self._restarting, args=(state, "livenessProbe", spec["livenessProbe"], stop),
                                 daemon=True).start()

    def unwatch(self, pod: Pod) -> None:
        """The pod is being stopped on purpose: its exit and probe failures are no longer failures."""
        self._stop[pod.podman_name].set()

    def check(self) -> None:
        if self.failures:
            raise Failure("\n".join(self.failures))

    def wait(self, what: str, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            self.check()
            if time.monotonic() > deadline:
                raise Failure(f"{what}: not within {timeout:.0f} s")
            time.sleep(0.2)
        self.check()

    def state(self, container: Container) -> ContainerState:
        return self.states[container.podman_name]

    # --- workers --------------------------------------------------------------------------------------

    def _exit_watch(self, state: ContainerState, stop: threading.Event) -> None:
        proc = self.podman.run("wait", state.container.podman_name, check=False, timeout=None)
        code = proc.stdout.strip() or proc.stderr.strip()
        if not stop.is_set():
            self.fail(state, f"exited (exit code {code}); restartPolicy "
                             f"{state.pod.spec.get('restartPolicy', 'Always')} would restart it")

    def _after_start(self, state: ContainerState, p: dict[str, Any], stop: threading.Event) -> bool:
        while not state.started.wait(0.2):
            if stop.is_set():
                return False
        delay = state.started_at + p["initialDelaySeconds"] - time.monotonic()
        return not stop.wait(max(0.0, delay))

    def _set_ready(self, state: ContainerState, ready: bool, detail: str) -> None:
        if state.ready != ready:
            state.ready = ready
            state.transitions.append((time.monotonic() - state.started_at, ready, detail))

    def _ready_when_started(self, state: ContainerState, stop: threading.Event) -> None:
        if self._after_start(state, dict(PROBE_DEFAULTS), stop):
            self._set_ready(state, True, "no readinessProbe")

    def _readiness(self, state: ContainerState, probe: dict[str, Any], stop: threading.Event) -> None:
        p = {**PROBE_DEFAULTS, **probe}
        if not self._after_start(state, p, stop):
            return
        successes = failures = 0
        while not stop.is_set():
            result = run_probe(self.podman, state.pod, state.container, probe)
            state.last_readiness = result.detail
            if result.missing_path:
                return self.fail(state, f"readinessProbe {describe(probe)}: {result.detail}, the path does not exist")
            successes, failures = (successes + 1, 0) if result.ok else (0, failures + 1)
            if successes >= p["successThreshold"]:
                self._set_ready(state, True, result.detail)
            if failures >= p["failureThreshold"]:
                self._set_ready(state, False, result.detail)
            stop.wait(p["periodSeconds"])

    def _restarting(self, state: ContainerState, kind: str, probe: dict[str, Any], stop: threading.Event) -> None:
        """startupProbe (until its first success) and livenessProbe (for the container's life):
        failureThreshold failures in a row and the kubelet restarts the container."""
        p = {**PROBE_DEFAULTS, **probe}
        startup = kind == "startupProbe"
        may_probe = not stop.wait(p["initialDelaySeconds"]) if startup else self._after_start(state, p, stop)
        if not may_probe:
            return
        failures = 0
        while not stop.is_set():
            result = run_probe(self.podman, state.pod, state.container, probe)
            failures = 0 if result.ok else failures + 1
            if result.ok and startup:
                state.started.set()
                return
            if result.missing_path:
                return self.fail(state, f"{kind} {describe(probe)}: {result.detail}, the path does not exist")
            if failures >= p["failureThreshold"]:
                return self.fail(state, f"{kind} {describe(probe)} failed {failures} times in a row "
                                        f"({result.detail}); the kubelet would restart the container")
            stop.wait(p["periodSeconds"])
