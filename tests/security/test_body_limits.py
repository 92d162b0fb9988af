"""Issue 18, item 1: request bodies are read only after authentication and never beyond
``max_body_bytes`` (Content-Length checked up front, streamed bytes counted)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import ADMIN_TOKEN, LiveServer, bearer, start_server
from rawhttp import Outcome, request, reset_peak_rss, rss_bytes

HUGE = 121_000_000
LIMIT = 64 * 1024
MiB = 1 << 20


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("body-limits"),
        api_tokens=ADMIN_TOKEN,
        max_body_bytes=str(LIMIT),
        allow_commands="true",  # the tests create command templates (run on local://)
        allow_local="true",
    )
    yield live
    live.stop()


def port_of(live: LiveServer) -> int:
    port = urlsplit(live.url).port
    assert port is not None
    return port


def huge_post(live: LiveServer, path: str, *, token: str | None, chunked: bool = False) -> Outcome:
    """Streams a 121 MB JSON body at ``path``; checks that the server's peak RSS stayed flat and
    that it answered after at most what the socket buffers hold, not after 121 MB."""
    pid = live.proc.pid
    before = rss_bytes(pid)
    reset_peak_rss(pid)
    headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
    outcome = request(port_of(live), "POST", path, headers=headers, body_size=HUGE, chunked=chunked)
    peak = rss_bytes(pid, "VmHWM")
    assert outcome.body_sent < 16 * MiB, outcome
    assert peak - before < 8 * MiB, f"server RSS grew by {(peak - before) / MiB:.1f} MiB"
    return outcome


def test_huge_unauthenticated_post_is_refused_before_its_body(guarded: LiveServer) -> None:
    assert huge_post(guarded, "/api/v1/jobs", token=None).status == 401
    assert httpx.get(guarded.url + "/health", timeout=5).status_code == 200


def test_declared_length_above_the_limit_is_413_before_reading(guarded: LiveServer) -> None:
    assert huge_post(guarded, "/api/v1/templates", token=ADMIN_TOKEN).status == 413


def test_chunked_body_is_counted_as_it_streams(guarded: LiveServer) -> None:
    assert huge_post(guarded, "/api/v1/templates", token=ADMIN_TOKEN, chunked=True).status == 413


def test_bodies_within_the_limit_still_work(guarded: LiveServer) -> None:
    with httpx.Client(base_url=guarded.url, headers=bearer(ADMIN_TOKEN), timeout=10) as c:
        # Chunked (no Content-Length) and within the limit: accepted.
        body = b'{"name": "within-limit", "command": ["true"], "description": "' + b"d" * 2000 + b'"}'
        r = c.post(
            "/api/v1/templates",
            content=iter([body[:100], body[100:]]),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 201, r.text
        r = c.post("/api/v1/templates", json={"name": "too-big", "command": ["true"], "d": "x" * LIMIT})
        assert r.status_code == 413 and "max_body_bytes" in r.json()["detail"]
        assert c.get("/api/v1/templates/too-big").status_code == 404
