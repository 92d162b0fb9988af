"""The `ansible-inspec-rs` command (also `python -m ansible_inspec_rs`).

Each subcommand lives in its own module under `ansible_inspec_rs.commands`, imported only
when used, so `ansible-inspec-rs parse` does not pay for the server's imports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# name -> (module under ansible_inspec_rs.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "run example jobs against local:// and a few hosts, with live progress"),
    "serve": ("serve", "run the REST server (FastAPI + uvicorn): jobs, templates, events, metrics"),
    "worker": ("worker", "run jobs from a shared store (SQLite or PostgreSQL), without the HTTP server"),
    "parse": ("parse", "parse an InSpec profile: summary table of controls, impacts, resources (or --json)"),
    "coverage": (
        "coverage",
        "how many controls of a profile the native evaluator runs, and what blocks the rest",
    ),
    "exec": (
        "exec",
        "run a profile or playbook against an inventory or hosts, reporting as `inspec exec` does; "
        "exit 0 passed, 1 failed, 2 error (--inspec-exit-codes: 0, 100, 101, 1)",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    from ansible_inspec_rs import __version__

    parser = argparse.ArgumentParser(prog="ansible-inspec-rs", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ansible-inspec-rs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        cmd = importlib.import_module(f"ansible_inspec_rs.commands.{module}")
        sp = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_arguments(sp)
        sp.set_defaults(run=cmd.run)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


# Exit codes of a command stopped from outside, as a shell reports a process killed by the
# signal: Ctrl-C (SIGINT) and a reader of the output that left (SIGPIPE: `| head`).
INTERRUPTED = 130
BROKEN_PIPE = 141


def entry() -> NoReturn:
    """The program's entry point (console script and `python -m`). A plain exit: the native
    runtime's threads stop touching Python before the interpreter finalizes. Ctrl-C and a
    closed output pipe end the command quietly, with the shell's codes, not a traceback."""
    try:
        code = main()
        sys.stdout.flush()  # a reader that left shows here, while it can still be handled
    except KeyboardInterrupt:
        code = INTERRUPTED
    except BrokenPipeError:
        # Python would try to flush stdout again at exit and complain: point it at /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = BROKEN_PIPE
    sys.exit(code)


if __name__ == "__main__":
    entry()
