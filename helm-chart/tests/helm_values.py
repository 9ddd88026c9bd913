"""How Helm merges user values (pkg/cli/values/options.go MergeValues): each `--values` file in order, maps
merged key by key and anything else replaced, then `--set`. Shared by the chart tests and nix/tests' stub Helm."""

from __future__ import annotations


def deep_merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    """Merge like repeated `-f` files: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
