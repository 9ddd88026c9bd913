"""Small readers of what the stubs recorded, shared by the deploy-kind tests."""

import json


def helm_calls(sandbox, verb):
    return [c for c in sandbox.calls("helm") if c["argv"][0] == verb]


def helm_upgrade(sandbox):
    [call] = helm_calls(sandbox, "upgrade")
    return call


def set_values(argv):
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]


def values_files(argv):
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "--values"]


def helm_values(call):
    """The values document the script fed Helm on stdin."""
    return json.loads(call["stdin"])


def steps(stdout):
    return [line.split("]", 1)[0].removeprefix("==> [") for line in stdout.splitlines() if line.startswith("==> [")]
