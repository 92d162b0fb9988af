"""Shared helpers for the test suite (real subprocesses, no mocks)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from ansible_inspec_rs import Executor

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
async def ex() -> AsyncIterator[Executor]:
    """A fresh executor per test, shut down (cancelling leftovers) afterwards."""
    executor = Executor(workers=4, queue_size=1000)
    try:
        yield executor
    finally:
        await executor.shutdown(drain=False)


def marker_seconds() -> str:
    """A unique sleep duration such as '47.123456', so a test can find its own processes."""
    return f"{40 + uuid.uuid4().int % 10}.{uuid.uuid4().int % 10**6:06d}"


def processes_with_arg(arg: str) -> list[int]:
    """Live (non-zombie) processes whose argv contains `arg`, read from /proc."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and arg.encode() in argv:
            found.append(int(pid))
    return found


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Polls `predicate` until true; fails after `within` seconds instead of hanging."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)
