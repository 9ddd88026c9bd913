"""A sandbox for running nix/deploy-kind.sh and nix/kind-down.sh against STUB tools (see stub_tools.py).

PATH holds only the stubs and symlinks to the few real system tools the scripts use (bash, tar, jq,
coreutils), so a docker or kind installed on the test machine can never be reached.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NIX_DIR = HERE.parent
REPO = NIX_DIR.parent
CHART = REPO / "helm-chart"
sys.path.insert(0, str(HERE))

from stub_tools import make_archive  # noqa: E402

SYSTEM_TOOLS = ["bash", "env", "cat", "tar", "jq", "od", "tr", "head", "tail", "base64", "sha256sum"]
STUBBED = ["kind", "kubectl", "helm", "docker", "podman"]


class Sandbox:
    def __init__(self, root: Path):
        self.root = root
        self.stubs = root / "stubs"
        self.system = root / "system"
        self.images = root / "images"
        self.log = root / "stub-log.jsonl"
        self.state = root / "stub-state.json"
        for d in (self.stubs, self.system, self.images):
            d.mkdir()
        for tool in SYSTEM_TOOLS:
            found = shutil.which(tool)
            assert found, f"{tool} is needed by the scripts under test"
            (self.system / tool).symlink_to(found)
        for tool in STUBBED:
            self.add_stub(tool)
        self.bash = str(self.system / "bash")
        self.set_images("1a2b3c")
        self.write_state({})

    def add_stub(self, tool):
        path = self.stubs / tool
        path.write_text(
            f"#!{sys.executable}\n"
            f"# STUB {tool}: records its argv, never runs the real tool.\n"
            f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
            f"import stub_tools\nstub_tools.main({tool!r})\n"
        )
        path.chmod(0o755)

    def remove_stub(self, tool):
        (self.stubs / tool).unlink()

    def set_images(self, tag, arch="amd64", **overrides):
        """Writes the three archives, all tagged `tag`; overrides maps component -> kwargs of make_archive."""
        self.tags = {}
        for component in ("backend", "frontend", "postgres"):
            kwargs = {"repotag": f"todo-{component}:{tag}", "arch": arch, **overrides.get(component, {})}
            make_archive(self.images / f"todo-{component}.tar", **kwargs)
            self.tags[component] = tag

    def write_state(self, state):
        self.state.write_text(json.dumps(state))

    def read_state(self):
        return json.loads(self.state.read_text())

    def env(self, **extra):
        env = {
            "PATH": f"{self.stubs}:{self.system}",
            "HOME": str(self.root),
            "STUB_LOG": str(self.log),
            "STUB_STATE": str(self.state),
            "TODO_IMAGES_DIR": str(self.images),
            "TODO_CHART_DIR": str(CHART),
            "TODO_BACKEND_TAG": self.tags["backend"],
            "TODO_FRONTEND_TAG": self.tags["frontend"],
            "TODO_POSTGRES_TAG": self.tags["postgres"],
        }
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, script, *args, env=None):
        self.log.write_text("")
        return subprocess.run(
            [self.bash, str(NIX_DIR / script), *args],
            env=env or self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def deploy(self, *args, **env):
        return self.run("deploy-kind.sh", *args, env=self.env(**env))

    def down(self, *args, **env):
        return self.run("kind-down.sh", *args, env=self.env(**env))

    def calls(self, tool=None):
        records = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [r for r in records if tool is None or r["tool"] == tool]

    def lines(self, tool=None):
        return [" ".join([r["tool"], *r["argv"]]) for r in self.calls(tool)]

    def secret(self, cluster="todo-chatbot"):
        data = self.read_state()["clusters"][cluster]["secrets"]["todo/todo-chatbot-app"]["data"]
        return {k: base64.b64decode(v).decode() for k, v in data.items()}


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)
