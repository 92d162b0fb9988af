"""`--nice` and `--idle-checks`, shared by `exec` and `worker`: the CPU priority check
processes start at. The rules (the range, the defaults, that the caller's own threads keep
their priority) are the core's: an out-of-range value is the core's ValidationError naming
``nice``."""

from __future__ import annotations

import argparse
import inspect
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ansible_inspec_rs import Executor

    defaults = inspect.signature(Executor).parameters
    parser.add_argument(
        "--nice",
        type=int,
        metavar="N",
        help="nice value (0-19) check processes start at, so this command's own threads get the "
        f"CPU first (default {defaults['nice'].default}; 0 leaves them at this command's priority)",
    )
    parser.add_argument(
        "--idle-checks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run check processes under Linux's SCHED_IDLE policy: they yield a core at once to "
        "any thread of normal priority and use what nobody else wants "
        f"(default: {'on' if defaults['idle_checks'].default else 'off'})",
    )


def executor_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The Executor keyword arguments the options ask for (none: the executor's defaults)."""
    asked = {"nice": args.nice, "idle_checks": args.idle_checks}
    return {name: value for name, value in asked.items() if value is not None}
