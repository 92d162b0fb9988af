"""The HTTP/1.1 connection that ``serve`` runs uvicorn with: uvicorn's httptools protocol, with
bounds on the request head that it lacks.

uvicorn's httptools protocol keeps every byte of a request line and headers until they end
(concatenating them, so an endless header costs memory and quadratic time), and waits for
them forever: a client that connects and sends nothing, or a byte a second, holds a
connection (slowloris) until the server runs out of them. Here the head of a request is at
most ``max_head_bytes`` (431 beyond; counted per read, so one read more may be held: memory per
connection stays bounded, not the exact header size) and must arrive within ``head_timeout``
seconds of the connection or of its first byte (408, or a plain close when nothing came). uvicorn's h11
protocol bounds the size itself (16 KiB) but not the time; it stays the fallback where
httptools is not installed. Bodies are bounded by the request gate (size and time).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from ansible_inspec_rs.server.peer import connection_owner, is_own_user

MAX_HEAD_BYTES = 64 * 1024


def _answer(status: str, message: str) -> bytes:
    body = message.encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def guarded_http_protocol(
    head_timeout: float, max_head_bytes: int = MAX_HEAD_BYTES, *, own_user_only: bool = False
) -> type[asyncio.Protocol] | Literal["h11"]:
    """uvicorn's ``http`` argument: the guarded httptools protocol, or ``"h11"`` without httptools.
    ``own_user_only``: connections from other users of this machine are refused (403) before a
    byte is read (``server.peer``; a server without a credential answers its own user only)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools missing (PyPy, Windows): h11 bounds the head's size
        return "h11"

    too_large = _answer(
        "431 Request Header Fields Too Large", f"Request head larger than {max_head_bytes} bytes"
    )
    too_slow = _answer("408 Request Timeout", f"Request head not received within {head_timeout:g} s")
    other_user = _answer(
        "403 Forbidden",
        "This server has no credential configured and answers only the user who started it; "
        "ask them for an API token (ANSIBLE_INSPEC_RS_API_TOKENS).",
    )

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _in_head = True  # between a request's first byte (or the connection) and its headers' end
        _head_bytes = 0
        _seen_bytes = False
        _head_timer: asyncio.TimerHandle | None = None
        _foreign = False  # another user's connection to a server that answers its own only

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._foreign = own_user_only and not is_own_user(
                connection_owner(transport.get_extra_info("peername"), transport.get_extra_info("sockname"))
            )
            self._start_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._foreign:
                # Answered once the client has spoken (closing at once would reset the
                # connection under a request still being sent, losing the answer); its bytes
                # never reach the parser.
                self._refuse(other_user)
                return
            head_open = self._in_head
            self._seen_bytes = True
            super().data_received(data)
            # Counted after the parser has seen the bytes: a chunk that completes the head (and
            # carries body bytes) is not the head's; httptools holds at most one chunk more.
            if head_open and self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > max_head_bytes:
                    self._refuse(too_large)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._head_bytes = True, 0
            self._start_head_timer()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._stop_head_timer()
            super().on_headers_complete()

        def _start_head_timer(self) -> None:
            self._stop_head_timer()
            self._head_timer = self.loop.call_later(head_timeout, self._head_timed_out)

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self._in_head and not self.transport.is_closing():
                self._refuse(too_slow if self._seen_bytes else b"")

        def _refuse(self, answer: bytes) -> None:
            self._stop_head_timer()
            self._in_head = False
            if not self.transport.is_closing():
                if answer:
                    self.transport.write(answer)
                self.transport.close()

    return GuardedHttpToolsProtocol
