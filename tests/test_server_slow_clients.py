"""A real ``serve`` process against clients that hold connections: an endless request head,
a connection that sends nothing, a head or a body trickled in. Each is answered (431, 408) or
closed within ``REQUEST_TIMEOUT``, and the server keeps answering others; streams and
keep-alive connections of well-behaved clients are not cut."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from helpers import ADMIN_TOKEN, LiveServer, bearer, start_server, submit, unique

REQUEST_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("slow-clients"),
        api_tokens=ADMIN_TOKEN,
        request_timeout=str(REQUEST_TIMEOUT),
        allow_commands="true",
        allow_local="true",
    )
    yield live
    live.stop()


def port_of(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)


def answer_of(sock: socket.socket, within: float) -> bytes:
    """What the server sends until it closes the connection (or ``within`` seconds pass)."""
    sock.settimeout(0.2)
    out = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not data:
            return out
        out += data
    return out + b"<still open>"


def still_serving(server: LiveServer) -> None:
    assert httpx.get(server.url + "/health", timeout=5).status_code == 200


def test_an_endless_header_is_refused_with_431(strict: LiveServer) -> None:
    sock = connect(strict)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ")
    sent, answered = 0, b""
    sock.settimeout(0.05)
    while sent < 8 * 1024 * 1024 and not answered:
        try:
            sock.sendall(b"a" * 16384)
            sent += 16384
            answered = sock.recv(65536)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    answered += answer_of(sock, 5)
    sock.close()
    assert answered.startswith(b"HTTP/1.1 431 "), (sent, answered[:200])
    assert b"larger than 65536 bytes" in answered
    assert sent < 1024 * 1024, f"the server read {sent} bytes of one header"
    still_serving(strict)


def test_a_connection_that_sends_nothing_is_closed(strict: LiveServer) -> None:
    sock = connect(strict)
    t0 = time.monotonic()
    answered = answer_of(sock, REQUEST_TIMEOUT + 4)
    sock.close()
    assert answered == b"", answered[:200]
    assert time.monotonic() - t0 < REQUEST_TIMEOUT + 3


def test_a_trickled_head_is_408(strict: LiveServer) -> None:
    sock = connect(strict)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127")
    answered = answer_of(sock, REQUEST_TIMEOUT + 4)
    sock.close()
    assert answered.startswith(b"HTTP/1.1 408 "), answered[:200]
    assert b"within 1 s" in answered


def test_a_trickled_body_is_408(strict: LiveServer) -> None:
    sock = connect(strict)
    body = json.dumps({"name": unique(), "command": ["true"]}).encode()
    head = (
        f"POST /api/v1/templates HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[:5])
    answered = answer_of(sock, REQUEST_TIMEOUT + 4)
    sock.close()
    assert answered.startswith(b"HTTP/1.1 408 "), answered[:200]
    assert b"request_timeout" in answered
    still_serving(strict)


def test_keep_alive_and_long_streams_are_not_cut(strict: LiveServer) -> None:
    with httpx.Client(base_url=strict.url, headers=bearer(ADMIN_TOKEN), timeout=15) as client:
        # Two requests on one connection, the second after more than a head's time limit of
        # work on the first (the limit runs from a request's first byte, not between them).
        name = unique()
        seconds = REQUEST_TIMEOUT * 2.5
        r = client.post("/api/v1/templates", json={"name": name, "command": ["sleep", str(seconds)]})
        assert r.status_code == 201, r.text
        job_id = submit(client, name, ["local://"])
        t0 = time.monotonic()
        types = []
        with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    types.append(line.removeprefix("event: "))
        assert types[-1] == "finished", types
        assert time.monotonic() - t0 >= seconds - 0.5
        assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "successful"


def test_uploads_within_the_time_still_work(strict: LiveServer) -> None:
    # A large body that arrives promptly is read whole: the limit bounds time, not size.
    with httpx.Client(base_url=strict.url, headers=bearer(ADMIN_TOKEN), timeout=15) as client:
        blob = "x" * 200_000
        r = client.post("/api/v1/templates", json={"name": unique(), "command": ["true"], "extra_vars": {"blob": blob}})
        assert r.status_code == 201, r.text
        assert r.json()["extra_vars"]["blob"] == blob
