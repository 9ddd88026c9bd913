"""docs/deploy.md's expected output of a first deploy-kind run says what the script prints: every line the script
prints itself (`==>` and indented lines) appears in that order in a run against the STUB tools of stubs/ (the
tools' own lines in the docs are the real tools' and are not compared; `…` ends a line early)."""

import re

from conftest import CHART, REPO

DOC = REPO / "docs" / "deploy.md"


def documented_output():
    text = DOC.read_text()
    block = text.split("Expected output of a first run", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    lines = block.splitlines()
    assert lines[0] == "$ nix run .#deploy-kind"
    return [line for line in lines[1:] if line.startswith(("==> ", "    ", "  ")) and line.strip() != "…"]


def normalised(stdout, sandbox):
    stdout = stdout.replace(str(CHART), "/nix/store/<hash>-source/helm-chart")
    stdout = stdout.replace(str(sandbox.images), "/nix/store/<hash>-todo-chatbot-images")
    stdout = stdout.replace(sandbox.tags["backend"], "<tag>")
    return re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", stdout).splitlines()


def test_expected_output_in_the_docs_is_what_the_script_prints(sandbox):
    result = sandbox.deploy()
    assert result.returncode == 0, result.stderr
    actual = normalised(result.stdout, sandbox)
    position = 0
    for line in documented_output():
        prefix = line.split("…", 1)[0]
        found = next((i for i in range(position, len(actual)) if actual[i].startswith(prefix)
                      and (prefix != line or actual[i] == line)), None)
        assert found is not None, f"docs/deploy.md: {line!r} is not printed (in this order) by deploy-kind"
        position = found + 1
