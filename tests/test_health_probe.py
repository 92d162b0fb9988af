"""/health answers from the executor's background store probe: a real server (uvicorn,
SQLite file) whose store breaks and mends while a real HTTP client watches."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ansible_inspec_rs import Executor, Template, errors
from ansible_inspec_rs.commands import priority
from helpers import LiveServer, start_server

# The probe runs every second and its read is bounded at 2 s: an outage shows within ~3 s
# (the bound leaves room for a loaded CI machine).
OUTAGE_SHOWN_WITHIN = 6.0


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    db = tmp_path / "jobs.db"
    live = start_server(tmp_path, store_url=f"sqlite:///{db}")
    yield live, db
    live.stop()


def poll_health(url: str, want: int, within: float) -> tuple[float, dict[str, Any]]:
    """Seconds until /health answers `want`, and that body (fails after `within` s)."""
    t0 = time.monotonic()
    while True:
        r = httpx.get(url + "/health", timeout=5)
        if r.status_code == want:
            return time.monotonic() - t0, r.json()
        assert time.monotonic() - t0 < within, (r.status_code, r.text)
        time.sleep(0.1)


def test_health_reports_a_store_outage_within_seconds_and_its_end(
    sqlite_server: tuple[LiveServer, Path],
) -> None:
    server, db = sqlite_server
    body = httpx.get(server.url + "/health", timeout=5).json()
    assert body["status"] == "ok" and body["store_error"] is None
    assert 0 <= body["store_checked_seconds_ago"] <= 2.5, body
    assert [w["id"] for w in body["live_workers"]], body  # this server holds a lease

    header = db.read_bytes()[:16]
    assert header == b"SQLite format 3\0"
    with db.open("r+b") as f:  # the file is overwritten under the running server
        f.write(b"not a database!!")
    try:
        took, broken = poll_health(server.url, 503, OUTAGE_SHOWN_WITHIN)
        assert broken["status"] == "degraded" and broken["live_workers"] == [], broken
        assert "is not a SQLite database" in broken["store_error"], broken
        assert took < OUTAGE_SHOWN_WITHIN
    finally:
        with db.open("r+b") as f:
            f.write(header)
    _, mended = poll_health(server.url, 200, OUTAGE_SHOWN_WITHIN)
    assert mended["status"] == "ok" and mended["store_error"] is None, mended


async def test_store_health_answers_from_memory_with_its_age() -> None:
    async with Executor(workers=1) as ex:
        first = ex.store_health()
        assert first["reachable"] is True and first["error"] is None, first
        assert [w["id"] for w in first["workers"]] == [ex.stats()["worker_id"]]
        assert 0 <= first["age_seconds"] < 1.5
        ages = []
        for _ in range(25):  # 2.5 s: the background probe answers again meanwhile
            ages.append(ex.store_health()["age_seconds"])
            await asyncio.sleep(0.1)
        assert max(ages) < 1.5, ages  # refreshed every second, not read once
        assert any(later < earlier for earlier, later in itertools.pairwise(ages)), ages


async def test_checks_run_at_the_executors_nice_value() -> None:
    """The check process inherits the nice value of the runtime thread that starts it (a
    thread's value only goes up, so at least the value asked for)."""
    async with Executor(workers=1, nice=13) as ex:
        job = await ex.submit(Template("nice", command=["nice"], connection="local"), hosts=["local://"])
        done = await job
        assert done.status == "successful", done.results[0].stderr
        assert int(done.results[0].stdout) >= 13


def _run_on_server(server: LiveServer, command: list[str]) -> str:
    """Runs ``command`` as a local job through the server's REST API; its stdout."""
    with httpx.Client(base_url=server.url, timeout=10) as c:
        body = {"name": "probe", "command": command, "connection": "local"}
        c.post("/api/v1/templates", json=body).raise_for_status()
        job_id = c.post("/api/v1/jobs", json={"template_name": "probe", "hosts": ["local://"]}).json()[
            "job_id"
        ]
        deadline = time.monotonic() + 30
        while (job := c.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("pending", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
    assert job["status"] == "successful", job
    return str(job["results"][0]["stdout"])


def _policy(stat: str) -> int:
    """The scheduling policy in a ``/proc/PID/stat`` line (field 41)."""
    return int(stat.rsplit(")", 1)[1].split()[41 - 3])


def test_the_servers_checks_run_at_its_nice_setting(tmp_path: Path) -> None:
    server = start_server(tmp_path, nice="15")
    try:
        assert int(_run_on_server(server, ["nice"])) == 15
    finally:
        server.stop()


async def test_checks_run_under_sched_idle_and_the_loop_keeps_its_policy() -> None:
    """By default a check yields its core at once to any thread of normal priority."""
    async with Executor(workers=1) as ex:
        job = await ex.submit(
            Template("policy", command=["cat", "/proc/self/stat"], connection="local"), hosts=["local://"]
        )
        done = await job
        assert done.status == "successful", done.results[0].stderr
        assert _policy(done.results[0].stdout) == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_the_server_can_keep_its_checks_out_of_sched_idle(tmp_path: Path) -> None:
    server = start_server(tmp_path, idle_checks="false")
    try:
        assert _policy(_run_on_server(server, ["cat", "/proc/self/stat"])) == os.SCHED_OTHER
    finally:
        server.stop()


def test_the_commands_priority_options_reach_the_executor() -> None:
    parser = argparse.ArgumentParser()
    priority.add_arguments(parser)
    assert priority.executor_kwargs(parser.parse_args([])) == {}
    assert priority.executor_kwargs(parser.parse_args(["--no-idle-checks", "--nice", "3"])) == {
        "nice": 3,
        "idle_checks": False,
    }
    assert priority.executor_kwargs(parser.parse_args(["--idle-checks"])) == {"idle_checks": True}


def test_nice_is_validated() -> None:
    with pytest.raises(errors.ValidationError) as e:
        Executor(nice=20)
    assert e.value.field == "nice"
