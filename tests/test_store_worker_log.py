"""Structured log lines of real worker processes (issue 19): `worker --log-format json` writes
one JSON object per line on stderr for its start, claims, the jobs of dead workers it
re-queues, a lease it cannot renew, store errors and its stop, and never the store's
password. A real PostgreSQL server (its lease table renamed for a while), two real worker
processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from typing import Any

from ansible_inspec_rs import Executor, Template
from conftest import eventually, marker_seconds, processes_with_arg, spawn_worker
from pgserver import create_database

SECRET = "s3cret-pw"


def json_lines(proc: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    """Every stderr line of a stopped worker, each one JSON object."""
    assert proc.stderr is not None
    lines = proc.stderr.read().decode().splitlines()
    assert lines, "no log lines"
    assert not any(SECRET in line for line in lines), lines
    parsed = [json.loads(line) for line in lines]
    for p in parsed:
        assert {"time", "level", "event", "message"} <= p.keys(), p
    return parsed


def psql(url: str, sql: str) -> None:
    base, name = url.rsplit("/", 1)
    host, port = base.rsplit("@", 1)[1].split(":")
    subprocess.run(["psql", "-h", host, "-p", port, "-U", "airs", "-d", name, "-qc", sql], check=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


async def test_worker_json_log_lines_tell_start_claim_requeue_lost_lease_store_errors_and_stop(
    postgres_base: str,
) -> None:
    # With a password in the URL (the server trusts loopback: it is not checked).
    url = create_database(postgres_base).replace("airs@", f"airs:{SECRET}@")
    api = Executor(workers=0, store=url)
    marker = marker_seconds(60)
    await api.templates.create(Template("long", connection="local", command=["sleep", marker]))
    first = spawn_worker(url, "--workers", "1", "--log-format", "json")
    second = None
    try:
        job = await api.submit("long", hosts=["h"])
        await eventually(lambda: bool(processes_with_arg(marker)), 30)
        await api.shutdown()  # the second worker, not this executor, recovers the job
        first.send_signal(signal.SIGKILL)
        first.wait()
        for pid in processes_with_arg(marker):  # its check, orphaned by SIGKILL
            os.kill(pid, signal.SIGKILL)
        await eventually(lambda: not processes_with_arg(marker), 10)
        second = spawn_worker(url, "--workers", "1", "--log-format", "json")
        # Re-queued (the first worker's 1 s lease ran out) and claimed again: it runs.
        await eventually(lambda: bool(processes_with_arg(marker)), 30)
        # Heartbeats fail (a store error) while the lease table is away: the lease (1 s)
        # cannot be renewed, and the worker stops its job.
        psql(url, "ALTER TABLE workers RENAME TO workers_away")
        try:
            await eventually(lambda: not processes_with_arg(marker), 10)
            await asyncio.sleep(0.5)
        finally:
            psql(url, "ALTER TABLE workers_away RENAME TO workers")
        await asyncio.sleep(1.0)
    finally:
        for p in (first, second):
            if p is not None:
                stop(p)
    first_log = json_lines(first)
    claims = [p for p in first_log if p["event"] == "claim"]
    assert [(c["job"], c["attempt"]) for c in claims] == [(job.id, 1)], first_log
    assert first_log[0]["event"] == "start", first_log
    assert second is not None
    log = json_lines(second)
    events = [p["event"] for p in log]
    # (A recovery when its executor opens the store may come before `start`.)
    assert events.index("start") < events.index("claim") and events[-1] == "stop", events
    worker = log[events.index("start")]["worker"]
    assert all(p["worker"] == worker for p in log if "worker" in p), log
    requeued = [p for p in log if p["event"] == "requeue"]
    assert [p["job"] for p in requeued] == [job.id], log
    claimed = [(p["job"], p["attempt"]) for p in log if p["event"] == "claim"]
    assert claimed == [(job.id, 2)], log
    lost = [p for p in log if p["event"] == "lease_lost"]
    assert lost and lost[0]["level"] == "warning" and lost[0]["jobs"] == [job.id], log
    errors = [p for p in log if p["event"] == "store_error"]
    assert errors and all(p["level"] == "error" for p in errors), log
    assert {p["operation"] for p in errors} & {"heartbeat", "claim", "finish", "recover"}, errors
