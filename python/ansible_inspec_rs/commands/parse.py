"""`ansible-inspec-rs parse PROFILE [--json]`: parse an InSpec profile and summarize it."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from ansible_inspec_rs._core import Profile
from ansible_inspec_rs.errors import ProfileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profile", help="profile directory (with inspec.yml and controls/) or one controls .rb file"
    )
    parser.add_argument(
        "--json", action="store_true", help="print InSpec's profile JSON instead of the table"
    )


def _impact_label(impact: float) -> str:
    if impact >= 0.9:
        return "critical"
    if impact >= 0.7:
        return "high"
    if impact >= 0.4:
        return "medium"
    if impact > 0.0:
        return "low"
    return "none"


def _resources(describes: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for d in describes:
        name = d["subject"].get("resource")
        if name:
            out.append(str(name))
        out.extend(_resources(d["describes"]))
    return out


def _load(path: str) -> Profile:
    if path.endswith(".rb"):
        with open(path, encoding="utf-8", errors="replace") as f:
            return Profile.from_source(f.read(), filename=path)
    return Profile.load(path)


def run(args: argparse.Namespace) -> int:
    try:
        profile = _load(args.profile)
    except (ProfileError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(profile.to_json(indent=2))
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()
    controls = profile.controls
    meta = profile.metadata
    title = f"{meta.get('name') or profile.path} {meta.get('version') or ''}".strip()
    table = Table(title=f"{title}: {len(controls)} controls", show_lines=False)
    table.add_column("id", overflow="fold")
    table.add_column("impact", justify="right")
    table.add_column("title", overflow="fold")
    table.add_column("resources", overflow="fold")
    table.add_column("location")
    all_resources: Counter[str] = Counter()
    impacts: Counter[str] = Counter()
    for c in controls:
        res = _resources(c["describes"])
        all_resources.update(res)
        impacts[_impact_label(float(c["impact"]))] += 1
        loc = c["source_location"]
        table.add_row(
            str(c["id"]) + (" (dynamic)" if c["dynamic_id"] else ""),
            f"{float(c['impact']):.1f}",
            str(c["title"] or ""),
            ", ".join(sorted(set(res))),
            f"{loc['ref']}:{loc['line']}",
        )
    console.print(table)
    console.print(
        "impacts: " + ", ".join(f"{k} {v}" for k, v in sorted(impacts.items(), key=lambda kv: -kv[1]))
    )
    console.print("resources used: " + ", ".join(f"{name} ({n})" for name, n in all_resources.most_common()))
    for w in profile.warnings:
        where = f"{w['file']}:{w['line']}" if w.get("line") else w["file"]
        console.print(f"[yellow]warning[/yellow] {where}: {w['message']}")
    return 0
