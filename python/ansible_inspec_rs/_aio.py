"""Coroutine shells for the native module (used by ``_core``, not a public API).

Every awaitable method of ``ansible_inspec_rs`` returns a real coroutine (``inspect.iscoroutine``),
so ``asyncio.create_task`` and ``TaskGroup.create_task`` take it. The Rust side starts the work
when the method is called and wraps its outcome here: ``value``/``fail`` for work finished at
once (awaiting costs no trip through the event loop), ``wait`` for an ``asyncio.Future`` that a
runtime thread completes through ``complete``, on the loop's own thread.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def wait(fut: asyncio.Future[Any]) -> Any:
    return await fut


async def value(v: Any) -> Any:
    return v


async def fail(e: BaseException) -> Any:
    raise e


def complete(fut: asyncio.Future[Any], failed: bool, value: Any) -> None:
    """Sets the outcome unless the future was cancelled (or completed) meanwhile."""
    if fut.done():
        return
    if failed:
        fut.set_exception(value)
    else:
        fut.set_result(value)
