"""A real ``serve`` process against clients that hold connections: an endless request head,
a connection that sends nothing, a head or a body trickled in. Each is answered (431, 408) or
closed within ``REQUEST_TIMEOUT``, and the server keeps answering others; streams and
keep-alive connections of well-behaved clients are not cut."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import marker_seconds, processes_with_arg
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
        body = {"name": unique(), "command": ["true"], "extra_vars": {"blob": blob}}
        r = client.post("/api/v1/templates", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["extra_vars"]["blob"] == blob


def test_an_open_event_stream_does_not_hold_the_server_at_stop(tmp_path: Path) -> None:
    """Ctrl-C with a client following a long job: the server stops within its grace period
    (the stream is cut), and the job's processes are killed, not left behind."""
    from ansible_inspec_rs.commands.serve import SHUTDOWN_GRACE_SECONDS

    live = start_server(tmp_path)
    seconds = marker_seconds(120)
    try:
        with httpx.Client(base_url=live.url, timeout=15) as client:
            name = unique()
            r = client.post("/api/v1/templates", json={"name": name, "command": ["sleep", seconds]})
            assert r.status_code == 201, r.text
            job_id = submit(client, name, ["local://"])
            with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
                lines = stream.iter_lines()
                while next(lines) != "event: host_started":
                    pass
                assert processes_with_arg(seconds)
                t0 = time.monotonic()
                live.proc.send_signal(signal.SIGINT)
                try:
                    live.proc.wait(SHUTDOWN_GRACE_SECONDS + 20)
                except subprocess.TimeoutExpired:
                    late = SHUTDOWN_GRACE_SECONDS + 20
                    raise AssertionError(f"the server still runs {late} s after Ctrl-C") from None
                assert time.monotonic() - t0 < SHUTDOWN_GRACE_SECONDS + 10
        assert live.proc.returncode == 0, live.log()
        assert processes_with_arg(seconds) == [], "the job's process outlived the server"
    finally:
        live.stop()
        for pid in processes_with_arg(seconds):
            os.kill(pid, signal.SIGKILL)
