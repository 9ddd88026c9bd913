"""The checks the Nix build runs on the k3s test's Python before any VM boots, run here the same way:
- the test script (CONFIG_FILE line + driver.py + scenario call, as default.nix composes it) through pyflakes with
  the driver's names as builtins, and through mypy after a prelude declaring them (nixpkgs nixos/lib/testing/
  driver.nix does both, with nixos/lib/test-script-prepend.py as the prelude);
- journey.py through flake8 with E501 ignored (writePython3Bin's check, flakeIgnore as in default.nix).
The prelude here is a STAND-IN: the driver's machine class reduced to the methods driver.py calls, with the
signatures of nixpkgs' test driver (nixos/lib/test-driver/src/test_driver/machine.py)."""

import os
import subprocess
from pathlib import Path
import sys

import pytest

K3S_DIR = Path(__file__).resolve().parents[1]


STAND_IN_PRELUDE = '''
from typing import Callable, ContextManager, Optional


class Machine:
    def succeed(self, *commands: str, timeout: Optional[int] = None) -> str:
        raise NotImplementedError

    def fail(self, *commands: str, timeout: Optional[int] = None) -> str:
        raise NotImplementedError

    def wait_until_succeeds(self, command: str, timeout: int = 900) -> str:
        raise NotImplementedError

    def wait_for_unit(self, unit: str, user: Optional[str] = None, timeout: int = 900) -> None:
        raise NotImplementedError


start_all: Callable[[], None]
subtest: Callable[[str], ContextManager[None]]
'''
DRIVER_SYMBOLS = ["start_all", "subtest", "retry", "machines", "driver", "log", "os", "t"]
SCENARIOS = {"single_node(machine)": ["machine"], "two_nodes(server, agent)": ["server", "agent"]}


def composed_script(scenario):
    """default.nix's testScript, with a placeholder for the config's store path."""
    return 'CONFIG_FILE = "/nix/store/config.json"\n' + (K3S_DIR / "driver.py").read_text() + "\n" + scenario + "\n"


def run(tool, *args, env=None):
    return subprocess.run([sys.executable, "-m", tool, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def mypy(tmp_path, script, machines):
    typed = tmp_path / "test_script_with_types.py"
    typed.write_text(STAND_IN_PRELUDE + "".join(f"{m}: Machine\n" for m in machines) + script)
    return run("mypy", "--no-implicit-optional", "--no-incremental", "--cache-dir", os.devnull, str(typed))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_pyflakes_finds_nothing(tmp_path, scenario):
    path = tmp_path / "test-script"
    path.write_text(composed_script(scenario))
    builtins = ",".join(SCENARIOS[scenario] + DRIVER_SYMBOLS)
    result = run("pyflakes", str(path), env={"PYFLAKES_BUILTINS": builtins})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_mypy_accepts_the_script_against_the_driver_signatures(tmp_path, scenario):
    result = mypy(tmp_path, composed_script(scenario), SCENARIOS[scenario])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_would_catch_a_misspelt_driver_method(tmp_path):
    script = composed_script("single_node(machine)").replace("server.wait_for_unit(", "server.wait_for_units(")
    result = mypy(tmp_path, script, ["machine"])
    assert result.returncode == 1 and "wait_for_units" in result.stdout


def test_flake8_accepts_the_journey_as_writepython3bin_checks_it():
    result = run("flake8", "--show-source", "--ignore", "E501", str(K3S_DIR / "journey.py"))
    assert result.returncode == 0, result.stdout + result.stderr
