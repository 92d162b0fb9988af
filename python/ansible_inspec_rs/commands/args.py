"""Argument types shared by the subcommands: a bad value is argparse's usage error (exit 2,
naming the option), never a traceback from deep inside a server library."""

from __future__ import annotations

import argparse

PORT_RANGE = (0, 65535)


def port(text: str) -> int:
    """A TCP port number (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    lo, hi = PORT_RANGE
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be from {lo} to {hi}")
    return value
