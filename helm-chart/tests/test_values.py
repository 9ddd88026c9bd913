"""The values contract: a strict schema, a comment per key, and clear refusals of broken values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from conftest import CHART_DIR, VALUES_DIR, RenderError, lint_problems, render

SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())
STRING_MAP = {"type": "string"}


def object_schemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, child in node.items():
            yield from object_schemas(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from object_schemas(child, f"{path}/{i}")


def test_schema_rejects_unknown_keys_at_every_level() -> None:
    found = list(object_schemas(SCHEMA))
    assert len(found) >= 20
    for path, node in found:
        # Free-form string maps (annotations, labels, nodeSelector) are the only open objects.
        assert node.get("additionalProperties") in (False, STRING_MAP), path
        if node.get("additionalProperties") is False:
            assert node.get("properties"), path


def test_values_yaml_documents_every_key() -> None:
    for path in (CHART_DIR / "values.yaml", CHART_DIR / "values-kind.yaml", CHART_DIR / "values-k3s.yaml",
                 CHART_DIR / "values-external-db.yaml"):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if re.match(r"^\s*[A-Za-z][\w-]*:", line):
                above = lines[number - 1].strip() if number else ""
                assert above.startswith("#"), f"{path.name}:{number + 1} {line.strip()!r} has no comment"


def test_values_files_satisfy_the_schema() -> None:
    for path in (CHART_DIR / "values-kind.yaml", CHART_DIR / "values-k3s.yaml", CHART_DIR / "values-external-db.yaml",
                 VALUES_DIR / "autoscaling.yaml"):
        render([path])


def refusal(files: list[Path] = (), overrides: dict[str, Any] | None = None) -> str:
    with pytest.raises(RenderError) as caught:
        render(files, overrides)
    return str(caught.value)


def test_misspelt_key_is_rejected_by_the_schema() -> None:
    message = refusal([VALUES_DIR / "broken-misspelt-key.yaml"])
    assert "replicaCont" in message and "not allowed" in message


def test_external_database_without_url_or_secret_fails_clearly() -> None:
    message = refusal([VALUES_DIR / "broken-external-db.yaml"])
    assert "externalDatabase.enabled=true needs externalDatabase.url or externalDatabase.existingSecret" in message


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"externalDatabase": {"enabled": True, "url": "postgres://u:p@h/db"}},
     "choose one database"),
    ({"postgresql": {"enabled": False}},
     "no database"),
    ({"postgresql": {"enabled": False},
      "externalDatabase": {"enabled": True, "url": "postgres://u:p@h/db", "existingSecret": "db"}},
     "give only one"),
    ({"existingSecret": "app", "authSecret": "y" * 32},
     "existingSecret is set"),
    ({"authSecret": "too-short"},
     "authSecret"),
    ({"backend": {"image": {"tag": "latest"}}},
     "backend.image.tag"),
    ({"frontend": {"image": {"pullPolicy": "Sometimes"}}},
     "frontend.image.pullPolicy"),
    ({"backend": {"shutdownGraceSeconds": 30}},
     "backend.terminationGracePeriodSeconds (30) must exceed"),
    ({"frontend": {"replicaCount": 1}},
     "no node could ever be drained"),
    ({"frontend": {"service": {"nodePort": 30080}}},
     "frontend.service.type is not NodePort"),
    ({"backend": {"resources": {"limits": {"memory": "1 GB"}}}},
     "backend.resources.limits.memory"),
    ({"postgresql": {"resources": {"requests": {"cpu": None}}}},
     "postgresql.resources.requests"),
    ({"backend": {"autoscaling": {"enabled": True, "minReplicas": 4, "maxReplicas": 3}}},
     "backend.autoscaling.maxReplicas must be >= backend.autoscaling.minReplicas"),
    ({"llm": {"provider": "anthropic"}},
     "llm.provider"),
    ({"llm": {"maxSteps": 0}},
     "llm.maxSteps"),
    ({"llm": {"baseUrl": "api.openai.com/v1"}},
     "llm.baseUrl"),
    ({"llm": {"baseUrl": "https://"}},
     "llm.baseUrl"),
    ({"llm": {"baseUrl": "https://api.example.com/v1 "}},
     "llm.baseUrl"),
    ({"networkPolicy": {"backendExtraIngressFrom": [{"namespaceSelecter": {"matchLabels": {"a": "b"}}}]}},
     "networkPolicy.backendExtraIngressFrom"),
    ({"networkPolicy": {"postgresqlExtraIngressFrom": [{"ipBlock": {"except": ["10.0.0.0/8"]}}]}},
     "networkPolicy.postgresqlExtraIngressFrom"),
])
def test_inconsistent_values_fail_with_a_message(overrides: dict[str, Any], expected: str) -> None:
    # Schema errors name the value as /a/b (Helm 4) or a.b (older Helm 3 validators): compare dotted.
    assert expected in refusal(overrides=overrides).replace("/", ".")


def test_broken_files_are_the_only_failing_test_values() -> None:
    for path in sorted(VALUES_DIR.glob("*.yaml")):
        if path.name.startswith("broken-"):
            refusal([path])
        else:
            render([path])
    # Lint catches schema errors, but renders in lint mode where `required` and `fail` stay silent: that is
    # why every case above is rendered, not only linted.
    assert lint_problems([VALUES_DIR / "broken-misspelt-key.yaml"])
    assert yaml.safe_load((VALUES_DIR / "broken-misspelt-key.yaml").read_text())["backend"]["replicaCont"]
