"""The core's JSON Schema (``_core.schema()``), read once: templates, jobs, host results, events
and every status enum, with the ranges and patterns the Rust validation applies. The REST models,
the status enums and the docs derive from it instead of restating it."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ansible_inspec_rs import _core


@cache
def schema() -> dict[str, Any]:
    """The whole schema (JSON Schema 2020-12; every definition under ``$defs``)."""
    return _core.schema()


def definition(name: str) -> dict[str, Any]:
    """``$defs/NAME``: for example ``Template``, ``TemplateSpec``, ``HostResult``, ``JobStatus``."""
    found: dict[str, Any] = schema()["$defs"][name]
    return found


def enum(name: str) -> tuple[str, ...]:
    """The values of an enum definition, in the core's order (``enum("JobStatus")``)."""
    return tuple(definition(name)["enum"])


def properties(name: str) -> dict[str, dict[str, Any]]:
    """The properties of an object definition, in the core's order."""
    props: dict[str, dict[str, Any]] = definition(name)["properties"]
    return props


def template_fields() -> tuple[str, ...]:
    """The fields ``Template(...)`` takes (``name`` first), in the core's order."""
    return tuple(definition("TemplateSpec")["x-order"])


def resolved(node: Any) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by X itself, with the keywords
    beside the ``$ref`` (a ``default``, a ``description``) kept (for documents, such as FastAPI's
    OpenAPI, that do not carry the core's ``$defs``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            beside = {k: v for k, v in node.items() if k != "$ref"}
            return resolved({**definition(ref.removeprefix("#/$defs/")), **beside})
        return {k: resolved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v) for v in node]
    return node


def _rule_text(rule: dict[str, Any]) -> str:
    """A template field's rule in words (the bounds, patterns and choices the core checks)."""
    rule = resolved(rule)
    parts: list[str] = []
    if "enum" in rule:
        parts.append(" \\| ".join(rule["enum"]))
    if "minimum" in rule or "maximum" in rule:
        parts.append(f"{rule.get('minimum', '')}-{rule.get('maximum', '')}")
    if "minLength" in rule or "maxLength" in rule:
        parts.append(
            f"{rule.get('minLength', 0)}-{rule['maxLength']} bytes" if "maxLength" in rule else "non-empty"
        )
    if "maxItems" in rule:
        parts.append(f"{rule.get('minItems', 0)}-{rule['maxItems']} items")
    if "pattern" in rule and "enum" not in rule:
        parts.append("`{}`".format(rule["pattern"].replace("|", "\\|")))
    return "; ".join(parts)


def markdown() -> str:
    """docs/SCHEMA.md: the template fields and the statuses, generated from the schema
    (``python -m ansible_inspec_rs.schema > docs/SCHEMA.md``; a test keeps it current)."""
    lines = [
        "# Schema reference",
        "",
        "Generated from the core's schema (`python -m ansible_inspec_rs.schema > docs/SCHEMA.md`);",
        "do not edit by hand. The full JSON Schema: `ansible_inspec_rs._core.schema()`.",
        "",
        "## Template fields",
        "",
        "| field | type | rule | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name in template_fields():
        prop = properties("TemplateSpec")[name]
        rule = resolved(prop["anyOf"][0])
        kind = rule.get("type") or " or ".join(sorted({b.get("type", "") for b in rule.get("anyOf", [])}))
        shown = f"`{json.dumps(rule['default'])}`" if rule.get("default", "") != "" else ""
        lines.append(
            f"| `{name}` | {kind or 'string'} | {_rule_text(rule)} | {shown} | {prop['description']} |"
        )
    lines += ["", "## Statuses", ""]
    for name in ("JobStatus", "HostStatus", "ControlStatus", "TaskStatus"):
        lines.append(f"- **{name}**: {', '.join(f'`{v}`' for v in enum(name))}")
    lines += ["", "## Event types", ""]
    kinds = [branch["properties"]["type"]["const"] for branch in definition("Event")["oneOf"]]
    lines.append(", ".join(f"`{k}`" for k in kinds))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
