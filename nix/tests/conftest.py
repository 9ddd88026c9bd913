"""A sandbox for running nix/deploy-kind.sh and nix/kind-down.sh against STUB tools (the stubs/ package).

PATH holds only the stubs and symlinks to the few real system tools the scripts use (bash, tar, jq,
coreutils), so a docker or kind installed on the test machine can never be reached.
"""

import base64
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NIX_DIR = HERE.parent
REPO = NIX_DIR.parent
CHART = REPO / "helm-chart"

SYSTEM_TOOLS = ["bash", "env", "cat", "tar", "jq", "od", "tr", "head", "tail", "base64", "sha256sum", "dirname",
                "sleep"]
STUBBED = ["kind", "kubectl", "helm", "docker", "podman"]


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
            f"# STUB {tool}: models the real tool in a fake world (nix/tests/stubs), never runs it.\n"
            f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
            f"from stubs.entry import main\nmain({tool!r})\n"
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

    def change_state(self, change):
        state = self.read_state()
        change(state)
        self.write_state(state)

    def cluster(self, name="todo-chatbot"):
        return self.read_state()["clusters"][name]

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
            timeout=120,
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
        data = self.cluster(cluster)["objects"]["Secret/todo/todo-chatbot-app"]["data"]
        return {k: base64.b64decode(v).decode() for k, v in data.items()}


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)
