"""nix/k3s/default.nix evaluated by the real Nix evaluator with a stand-in `pkgs` (no nixpkgs, no store, no VM):
the two checks it defines, what each node runs and imports, and the configuration the test script reads.
runNixOSTest is faked to return its argument; writeText to return "<<name:text>>", so the text can be read back.
Whether NixOS accepts these options is only known where the check builds (nixpkgs' k3s module, see default.nix)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

K3S_DIR = Path(__file__).resolve().parents[1]


NIX = shutil.which("nix-instantiate")
pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not installed (Debian: apt-get install nix-bin)")

FAKE = """
let
  fake = name: { outPath = "/fake/" + name; };
  image = name: fake "${name}.tar" // { imageName = name; imageTag = "tag-of-${name}"; };
  pkgs = {
    lib = {
      fileset = {
        toSource = { root, fileset }: "/fake/chart";
        difference = a: b: [ a b ];
      };
      mkForce = value: { forced = value; };
    };
    k3s = fake "k3s" // { airgap-images = fake "k3s-airgap-images"; };
    kubernetes-helm = fake "helm"; jq = fake "jq"; curl = fake "curl";
    writeText = name: text: "<<${name}:${text}>>";
    writers.writePython3Bin = name: options: text:
      assert options == { flakeIgnore = [ "E501" ]; };
      assert text == builtins.readFile K3S_DIR/journey.py;
      fake name;
    testers.runNixOSTest = test: test;
  };
  checks = import K3S_DIR { inherit pkgs; images = {
    todo-backend = image "todo-backend"; todo-frontend = image "todo-frontend"; todo-postgres = image "todo-postgres";
  }; };
  resolve = module: if builtins.isFunction module then module { inherit (pkgs) lib; } else module;
  node = n: n // { imports = map resolve n.imports; };
in
builtins.mapAttrs (_: test: test // { nodes = builtins.mapAttrs (_: node) test.nodes; }) checks
"""


@pytest.fixture(scope="module")
def checks():
    env = {**os.environ, "NIX_CONFIG": "build-users-group ="}
    expr = FAKE.replace("K3S_DIR", str(K3S_DIR))
    result = subprocess.run([NIX, "--eval", "--strict", "--json", "-"], input=expr, capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def merge(left, right):
    """Module merging as far as needed here: attribute sets recursively, lists concatenated."""
    if isinstance(left, dict) and isinstance(right, dict):
        return {key: merge(left[key], right[key]) if key in left and key in right else left.get(key, right.get(key))
                for key in {**left, **right}}
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    return right


def merged(node):
    config = {}
    for part in [*node["imports"], {k: v for k, v in node.items() if k != "imports"}]:
        config = merge(config, part)
    return config


def test_two_checks_with_their_nodes(checks):
    assert set(checks) == {"k3s", "k3s-two-node"}
    assert checks["k3s"]["name"] == "todo-chatbot-k3s" and set(checks["k3s"]["nodes"]) == {"machine"}
    assert set(checks["k3s-two-node"]["nodes"]) == {"server", "agent"}


def test_every_node_imports_k3s_airgap_images_and_ours(checks):
    for test in checks.values():
        for name, node in test["nodes"].items():
            k3s = merged(node)["services"]["k3s"]
            assert k3s["enable"] is True and k3s["package"] == "/fake/k3s"
            assert k3s["images"] == ["/fake/k3s-airgap-images", "/fake/todo-backend.tar", "/fake/todo-frontend.tar",
                                     "/fake/todo-postgres.tar"], name


def test_servers_keep_coredns_and_local_storage(checks):
    for test, name in (("k3s", "machine"), ("k3s-two-node", "server")):
        k3s = merged(checks[test]["nodes"][name])["services"]["k3s"]
        assert k3s["role"] == "server"
        disabled = [flag.split()[1] for flag in k3s["extraFlags"] if flag.startswith("--disable ")]
        assert disabled == ["traefik", "servicelb", "metrics-server"]


def test_two_nodes_join_over_fixed_addresses(checks):
    server = checks["k3s-two-node"]["nodes"]["server"]
    agent = checks["k3s-two-node"]["nodes"]["agent"]
    assert "--node-ip 192.168.1.1" in merged(server)["services"]["k3s"]["extraFlags"]
    agent_k3s = merged(agent)["services"]["k3s"]
    assert agent_k3s["role"] == "agent" and agent_k3s["serverAddr"] == "https://192.168.1.1:6443"
    assert agent_k3s["extraFlags"] == ["--node-ip 192.168.1.2"]
    assert agent_k3s["tokenFile"] == merged(server)["services"]["k3s"]["tokenFile"]
    for node, address in ((server, "192.168.1.1"), (agent, "192.168.1.2")):
        network = [m for m in node["imports"] if "networking" in m][-1]["networking"]
        assert network["interfaces"]["eth1"]["ipv4"]["addresses"] == {"forced": [{"address": address,
                                                                                  "prefixLength": 24}]}
        assert network["defaultGateway"] == address and network["firewall"]["allowedUDPPorts"] == [8472]


def config_of(script):
    found = re.match(r'CONFIG_FILE = "<<todo-chatbot-k3s-test\.json:(.*)>>"\n', script)
    assert found, script[:200]
    return json.loads(found.group(1))


def test_the_script_is_driver_py_between_its_config_and_its_scenario(checks):
    driver = (K3S_DIR / "driver.py").read_text()
    for test, call in (("k3s", "single_node(machine)"), ("k3s-two-node", "two_nodes(server, agent)")):
        script = checks[test]["testScript"]
        first_line, rest = script.split("\n", 1)
        assert rest == driver + "\n" + call + "\n"
        assert config_of(first_line + "\n")["journey"] == "/fake/todo-journey/bin/todo-journey"


def test_helm_gets_the_kind_values_then_the_k3s_overlay_then_this_builds_images(checks):
    config = config_of(checks["k3s"]["testScript"])
    assert config["release"] == "todo" and config["namespace"] == "todo" and config["chart"] == "/fake/chart"
    kind, k3s, images = config["values"]
    assert (kind, k3s) == ("/fake/chart/values-kind.yaml", "/fake/chart/values-k3s.yaml")
    found = re.fullmatch(r"<<todo-chatbot-image-values\.json:(.*)>>", images)
    assert json.loads(found.group(1)) == {
        "backend": {"image": {"repository": "todo-backend", "tag": "tag-of-todo-backend"}},
        "frontend": {"image": {"repository": "todo-frontend", "tag": "tag-of-todo-frontend"}},
        "postgresql": {"image": {"repository": "todo-postgres", "tag": "tag-of-todo-postgres"}},
    }
    assert config["images"] == [f"docker.io/library/todo-{c}:tag-of-todo-{c}" for c in ("backend", "frontend", "postgres")]
