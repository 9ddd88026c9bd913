"""What each stub executable runs (the wrappers written by conftest.py): only the modelled tool's module is
imported, since every call of a stub is a new process."""

import importlib
import sys

from .world import World

TOOLS = {"docker": "engines:Docker", "podman": "engines:Podman", "kind": "kind:Kind", "kubectl": "kubectl:Kubectl",
         "helm": "helm:Helm"}


def main(tool):
    module, cls = TOOLS[tool].split(":")
    stub = getattr(importlib.import_module(f"stubs.{module}"), cls)
    stub(World(tool, sys.argv[1:])).run()
