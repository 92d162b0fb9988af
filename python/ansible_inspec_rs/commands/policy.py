"""The executor policy options shared by `exec` and `worker`: allowed path roots, and whether
command templates and local connections run. The rules themselves live in the core."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        dest="roots",
        action="append",
        default=None,
        metavar="DIR",
        help="profiles, playbooks and inventories must resolve inside DIR (repeatable; default: any path)",
    )
    parser.add_argument(
        "--no-commands", action="store_true", help="refuse command templates (argv run as this user)"
    )
    parser.add_argument(
        "--no-local",
        action="store_true",
        help="refuse checks on this machine (connection local, local://, ansible_connection=local)",
    )


def executor_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The Executor keyword arguments the options ask for."""
    roots = args.roots
    return {
        "profile_roots": roots,
        "playbook_roots": roots,
        "inventory_roots": roots,
        "allow_commands": not args.no_commands,
        "allow_local": not args.no_local,
    }
