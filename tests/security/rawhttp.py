"""Raw-socket HTTP for what httpx will not send: huge or chunked bodies streamed while the answer
is watched for, foreign Host headers. Loopback only, every loop bounded."""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path

CHUNK = 256 * 1024
# The body streamed: one JSON object holding one long string (valid JSON, as an attacker's
# would be, so that a server which reads it also parses it).
JSON_HEAD = b'{"template_name": "t", "hosts": ["local://"], "extra_vars": {"blob": "'
JSON_TAIL = b'"}}'


@dataclass
class Outcome:
    status: int | None  # None: the server closed without an answer
    head: str  # status line and headers
    body_sent: int  # body bytes handed to the kernel before the answer came
    seconds: float  # from the first byte sent to the answer (or the end)


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body_size: int = 0,
    chunked: bool = False,
    host: str | None = None,
    timeout: float = 60.0,
) -> Outcome:
    """Sends the head, then streams a ``body_size``-byte JSON body (Content-Length, or chunked),
    stopping as soon as the server answers. Returns what happened."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host if host is not None else f'127.0.0.1:{port}'}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body_size or chunked:
        lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {body_size}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    piece = b"x" * CHUNK
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.monotonic()
    answer = b""
    sent = 0
    pending = head
    finished_body = False
    try:
        sock.setblocking(False)
        while time.monotonic() - start < timeout:
            want_write = bool(pending) or not finished_body
            readable, writable, _ = select.select([sock], [sock] if want_write else [], [], 1.0)
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer:
                    break
                continue
            if not writable:
                continue
            if not pending:
                n = min(CHUNK, body_size - sent)
                if n <= 0:
                    pending = b"0\r\n\r\n" if chunked else b""
                    finished_body = True
                    if not pending:
                        continue
                else:
                    data = _body_piece(sent, n, body_size, piece)
                    pending = (f"{n:x}\r\n".encode() + data + b"\r\n") if chunked else data
                    sent += n
            try:
                written = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                # The server closed while we were still sending: its answer may be readable.
                answer += _drain(sock)
                break
            pending = pending[written:]
    finally:
        sock.close()
    seconds = time.monotonic() - start
    head_text = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = int(head_text.split(" ", 2)[1]) if head_text.startswith("HTTP/") else None
    return Outcome(status, head_text, sent, seconds)


def _body_piece(offset: int, n: int, total: int, filler: bytes) -> bytes:
    """Bytes ``offset:offset+n`` of JSON_HEAD + x... + JSON_TAIL (``total`` bytes in all)."""
    end, tail_start = offset + n, total - len(JSON_TAIL)
    middle = max(0, min(end, tail_start) - max(offset, len(JSON_HEAD)))
    return (
        JSON_HEAD[offset:end]
        + filler[:middle]
        + JSON_TAIL[max(0, offset - tail_start) : max(0, end - tail_start)]
    )


def _drain(sock: socket.socket) -> bytes:
    try:
        sock.setblocking(True)
        sock.settimeout(1.0)
        return sock.recv(65536)
    except OSError:
        return b""


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """A process's resident set (or ``VmHWM``, its peak) from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def reset_peak_rss(pid: int) -> None:
    """Starts ``VmHWM`` again from the current RSS (Linux: write 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
