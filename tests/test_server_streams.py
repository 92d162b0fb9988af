"""Live progress over Server-Sent Events and WebSocket, against the real server."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from helpers import ADMIN_TOKEN, LiveServer, make_template, submit, wait_job, wait_status
from websockets.sync.client import connect


def read_sse(response: httpx.Response) -> list[dict[str, Any]]:
    """Parses an SSE body into [{"id", "event", "data"}] (comments skipped)."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if current:
                events.append(current)
                current = {}
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(": ")
        current[key] = json.loads(value) if key == "data" else value
    if current:
        events.append(current)
    return events


def check_order(events: list[dict[str, Any]], job_id: str, hosts: list[str]) -> None:
    """seq 1, 2, 3…; queued, started … finished; every host started then finished."""
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["job_id"] == job_id for e in events)
    types = [e["type"] for e in events]
    assert types[:2] == ["queued", "started"] and types[-1] == "finished"
    for host in hosts:
        started = next(i for i, e in enumerate(events) if e["type"] == "host_started" and e["host"] == host)
        finished = next(i for i, e in enumerate(events) if e["type"] == "host_finished" and e["host"] == host)
        assert started < finished


def test_sse_replays_a_finished_job(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["echo", "hello"])
    job_id = submit(admin, tpl["name"], ["a", "b"])
    job = wait_job(admin, job_id)
    with admin.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        frames = read_sse(r)
    events = [f["data"] for f in frames]
    check_order(events, job_id, ["a", "b"])
    assert [f["id"] for f in frames] == [str(e["seq"]) for e in events]
    assert [f["event"] for f in frames] == [e["type"] for e in events]
    assert events[-1]["status"] == job["status"] == "successful"
    outputs = [e for e in events if e["type"] == "host_output"]
    assert sorted(e["host"] for e in outputs) == ["a", "b"] and {e["line"] for e in outputs} == {"hello"}


def test_sse_follows_a_running_job_live(admin: httpx.Client) -> None:
    # Output, a pause, more output: the stream must carry both lines, in order, as they happen.
    tpl = make_template(admin, command=["sh", "-c", "echo first; sleep 1; echo second"])
    job_id = submit(admin, tpl["name"], ["live"])
    start = time.monotonic()
    arrivals: list[tuple[float, dict[str, Any]]] = []
    with admin.stream("GET", f"/api/v1/jobs/{job_id}/events") as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - start, json.loads(line[6:])))
    events = [e for _, e in arrivals]
    check_order(events, job_id, ["live"])
    lines = [(t, e["line"]) for t, e in arrivals if e["type"] == "host_output"]
    assert [text for _, text in lines] == ["first", "second"]
    # "first" arrived while the job was still sleeping, not only at the end.
    assert lines[1][0] - lines[0][0] > 0.5


def test_sse_resumes_after_last_event_id(admin: httpx.Client) -> None:
    tpl = make_template(admin)
    job_id = submit(admin, tpl["name"], ["a"])
    wait_job(admin, job_id)
    headers = {"Last-Event-ID": "2"}
    with admin.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=headers) as r:
        seqs = [f["data"]["seq"] for f in read_sse(r)]
    assert seqs[0] == 3 and seqs == list(range(3, 3 + len(seqs)))


def test_sse_last_event_id_that_is_no_event_id_is_a_422_naming_it(admin: httpx.Client) -> None:
    """A ``Last-Event-ID`` that no event could carry is refused, not read as "from the start"
    (which replayed the whole history to a client that asked to resume)."""
    tpl = make_template(admin)
    job_id = submit(admin, tpl["name"], ["a"])
    wait_job(admin, job_id)
    for bad in ["abc", "-1", "1e3", "0x10", "9" * 30]:
        r = admin.get(f"/api/v1/jobs/{job_id}/events", headers={"Last-Event-ID": bad})
        assert r.status_code == 422, (bad, r.status_code, r.text[:200])
        assert r.json()["detail"][0]["loc"] == ["header", "last-event-id"], r.text
    with admin.stream("GET", f"/api/v1/jobs/{job_id}/events", headers={"Last-Event-ID": "0"}) as r:
        assert r.status_code == 200 and read_sse(r)[0]["data"]["seq"] == 1
    with admin.stream("GET", f"/api/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(2**63 - 1)}) as r:
        assert r.status_code == 200 and read_sse(r) == []  # past the end: nothing to replay


def test_sse_unknown_job_is_404(admin: httpx.Client) -> None:
    r = admin.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000/events")
    assert r.status_code == 404 and "not found" in r.json()["detail"].lower()


def test_websocket_streams_live_events_then_closes(server: LiveServer, admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["sh", "-c", "echo one; sleep 0.5; echo two"])
    job_id = submit(admin, tpl["name"], ["w1", "w2"])
    wait_status(admin, job_id, "running")  # subscribe mid-run: history first, then live
    url = server.url.replace("http", "ws") + f"/api/v1/jobs/{job_id}/ws"
    events = []
    with connect(url, additional_headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, open_timeout=5) as ws:
        for message in ws:
            events.append(json.loads(message))
        assert ws.close_code == 1000
    check_order(events, job_id, ["w1", "w2"])
    for host in ("w1", "w2"):
        lines = [e["line"] for e in events if e["type"] == "host_output" and e["host"] == host]
        assert lines == ["one", "two"]
    assert events[-1]["status"] == "successful"


def test_late_websocket_subscriber_gets_the_history(server: LiveServer, admin: httpx.Client) -> None:
    tpl = make_template(admin)
    job_id = submit(admin, tpl["name"], ["x"])
    wait_job(admin, job_id)
    url = server.url.replace("http", "ws") + f"/api/v1/jobs/{job_id}/ws?token={ADMIN_TOKEN}"
    with connect(url, open_timeout=5) as ws:
        events = [json.loads(m) for m in ws]
    check_order(events, job_id, ["x"])
