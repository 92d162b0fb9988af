"""`--nice`, shared by `exec` and `worker`: the nice value check processes start at. The rule
(its range, the default, that the caller's own threads keep their priority) is the core's:
an out-of-range value is the core's ValidationError naming ``nice``."""

from __future__ import annotations

import argparse
import inspect
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ansible_inspec_rs import Executor

    default = inspect.signature(Executor).parameters["nice"].default
    parser.add_argument(
        "--nice",
        type=int,
        metavar="N",
        help="nice value (0-19) check processes start at, so this command's own threads get the "
        f"CPU first (default {default}; 0 leaves them at this command's priority)",
    )


def executor_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The Executor keyword arguments the option asks for (none: the executor's default)."""
    return {} if args.nice is None else {"nice": args.nice}
