"""`ansible-inspec-rs coverage PROFILE... [--json]`: how many controls the native evaluator
runs, statically (no target needed), and the constructs that block the rest, most frequent
first. Exit code 0, or 2 when a profile cannot be loaded."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ansible_inspec_rs.commands.parse import _load
from ansible_inspec_rs.errors import ProfileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profiles",
        nargs="+",
        metavar="PROFILE",
        help="profile directories (with inspec.yml and controls/) or controls .rb files",
    )
    parser.add_argument("--json", action="store_true", help="print the coverage as JSON")
    parser.add_argument(
        "--controls", action="store_true", help="also list every blocked control with what blocks it"
    )


def _print(cov: dict[str, Any], list_controls: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    # The summary is one plain line (greppable, never wrapped); the table is rich.
    print(
        f"{cov['profile']}: {cov['supported']} of {cov['total']} controls "
        f"evaluated natively ({cov['percent']:.1f} %)",
        flush=True,
    )
    console = Console()
    if cov["blockers"]:
        table = Table("construct", "controls", "example")
        for b in cov["blockers"]:
            table.add_row(b["construct"], str(b["controls"]), b["example"])
        console.print(table)
    if list_controls:
        for c in cov["controls"]:
            if not c["supported"]:
                why = "; ".join(f"{b['construct']} ({b['at']})" for b in c["blockers"])
                print(f"  {c['id']}  {c['file']}:{c['line']}  {why}")


def run(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    for path in args.profiles:
        try:
            results.append(_load(path).coverage())
        except (ProfileError, OSError) as e:
            print(f"error: {path}: {e}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
        return 0
    for cov in results:
        _print(cov, args.controls)
    if len(results) > 1:
        total = sum(c["total"] for c in results)
        supported = sum(c["supported"] for c in results)
        percent = 100.0 * supported / total if total else 100.0
        print(f"all profiles: {supported} of {total} controls evaluated natively ({percent:.1f} %)")
    return 0
