"""Request bodies: read with a byte limit, handed on again, decoded as strict JSON.

The limit counts the bytes actually received (a chunked body has no Content-Length, and a
declared length above the limit is refused before a byte is read). JSON is decoded off the
event loop when the body is large, and refuses what is not JSON although Python's ``json``
accepts it: ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``); an object that
names a key twice (``{"name": "a", "name": "b"}``: Python keeps the last, other parsers the
first, so a proxy or an audit log checking the body could see another request than we run);
a body that is not UTF-8 (Python would guess UTF-16 and UTF-32 too; JSON is UTF-8); a body
nested deeper than Python's decoder can follow is refused too (a 422, not a RecursionError's
500).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope

# Bodies above this are decoded in a worker thread: a few milliseconds of CPU on the loop stall
# every other request (/health included).
THREAD_DECODE_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The body is (or is declared) larger than the limit."""


class ClientGone(Exception):
    """The client disconnected before its body arrived."""


def has_body(scope: Scope) -> bool:
    """Whether the request announces a body (HTTP/1.1: a non-zero Content-Length or chunked)."""
    headers = Headers(scope=scope)
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it (declared or received) exceeds ``limit``."""
    declared = Headers(scope=scope).get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the connection says (disconnects)."""
    pending = True

    async def receive_again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


@dataclass(frozen=True)
class JsonBodyError(Exception):
    """The body is not acceptable JSON: ``loc`` and ``kind`` as in FastAPI's 422 bodies."""

    loc: tuple[str | int, ...]
    message: str
    kind: str


class _NonFinite:
    """Stands in for a number JSON cannot carry, so that the error can name where it was."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Repeated:
    """Stands in for an object that names ``key`` twice, so that the error can name where."""

    def __init__(self, key: str) -> None:
        self.key = key


_Refused = _NonFinite | _Repeated


def _paths(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], _Refused]]:
    """Where the stand-ins are, in document order."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, _NonFinite | _Repeated):
            yield where, item
        elif isinstance(item, dict):
            stack.extend(((*where, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(item))))


def loads(body: bytes) -> Any:
    """``body`` as JSON; JsonBodyError naming the position or the field otherwise."""
    refused = False

    def non_finite(text: str) -> _NonFinite:
        nonlocal refused
        refused = True
        return _NonFinite(text)

    def parse_float(text: str) -> float | _NonFinite:
        number = float(text)
        return number if math.isfinite(number) else non_finite(text)

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Repeated:
        nonlocal refused
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        refused = True
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                return _Repeated(key)
            seen.add(key)
        raise AssertionError("fewer keys than pairs, yet none repeated")

    try:
        # JSON travels as UTF-8 (RFC 8259); Python would also guess UTF-16 and UTF-32, which a
        # proxy or an audit log reading the body as UTF-8 would not see as we do.
        text = body.decode("utf-8").removeprefix("\ufeff")  # a byte order mark is tolerated
    except UnicodeDecodeError as exc:
        raise JsonBodyError(
            ("body",), f"JSON decode error: not UTF-8 text (at byte {exc.start})", "json_invalid"
        ) from None
    try:
        value = json.loads(
            text, parse_constant=non_finite, parse_float=parse_float, object_pairs_hook=unique_keys
        )
    except json.JSONDecodeError as exc:
        raise JsonBodyError(("body", exc.pos), f"JSON decode error: {exc.msg}", "json_invalid") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise JsonBodyError(("body",), f"JSON decode error: {exc}", "json_invalid") from None
    except RecursionError:  # `[[[[…` deeper than the interpreter's recursion limit
        raise JsonBodyError(
            ("body",), "JSON decode error: nested too deeply (arrays and objects)", "json_invalid"
        ) from None
    if refused:
        where, found = next(_paths(value, ("body",)))
        if isinstance(found, _Repeated):
            raise JsonBodyError(
                (*where, found.key),
                f"the key {found.key!r} is given more than once in one object",
                "duplicate_key",
            )
        raise JsonBodyError(
            where,
            f"{found.text} is not a finite number (NaN, Infinity and numbers beyond a float's "
            "range are not JSON)",
            "finite_number",
        )
    return value


async def decode_json(body: bytes) -> Any:
    """``loads`` in a worker thread when the body is large, so the event loop keeps answering."""
    if len(body) <= THREAD_DECODE_BYTES:
        return loads(body)
    return await asyncio.to_thread(loads, body)
