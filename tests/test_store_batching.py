"""Claims and job ends batched across jobs on PostgreSQL (issue 19, coordination overhead)
keep every fault guarantee: real worker processes, a real PostgreSQL server. A worker claims
as many jobs as it has free slots in one statement, each still its own attempt fenced by the
lease; when that worker loses its lease, every job of the batch is re-run elsewhere as
attempt 2 and the paused worker's late writes (events, results, ends) are refused, each end
logged with its job."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from ansible_inspec_rs import Executor, Template
from conftest import eventually, marker_seconds, processes_with_arg, until
from pgserver import create_database

BATCH = 4


def worker(url: str) -> subprocess.Popen[bytes]:
    """A worker with BATCH slots and a 1 s lease (heartbeat every 0.2 s)."""
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", url, "--workers", str(BATCH)]
    cmd += ["--heartbeat", "0.2", "--stale-after", "1", "--poll", "0.5"]
    return subprocess.Popen(cmd, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.stderr.read().decode(errors="replace") if proc.stderr else ""


async def test_a_claimed_batch_stays_fenced_when_its_worker_loses_the_lease(postgres_base: str) -> None:
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=BATCH + 1)
    marker = marker_seconds(1)
    script = 'sleep 1; for i in $(seq 1 5); do echo "$$ $i"; done; sleep 1'  # $$: which attempt's
    await api.templates.create(Template("talk", connection="local", command=["sh", "-c", script, marker]))
    first = worker(url)
    second = None
    try:
        await asyncio.sleep(1.0)  # idle and listening
        # Queued while the worker is paused (well within its lease): it wakes with BATCH free
        # slots and BATCH pending jobs, and claims them in one statement.
        first.send_signal(signal.SIGSTOP)
        try:
            jobs = [await api.submit("talk", hosts=["h"]) for _ in range(BATCH)]
        finally:
            first.send_signal(signal.SIGCONT)
        await eventually(lambda: len(processes_with_arg(marker)) == BATCH, 30)
        first.send_signal(signal.SIGSTOP)  # past its lease: its jobs are recovered
        try:
            second = worker(url)

            async def rerun() -> bool:
                views = [await api.get(job.id) for job in jobs]
                return all(v.to_dict()["attempt"] == 2 for v in views)

            await until(rerun, 30)
        finally:
            first.send_signal(signal.SIGCONT)
        done = [await job.wait(timeout=60) for job in jobs]
        await eventually(lambda: not processes_with_arg(marker), 30)
        await asyncio.sleep(1.0)  # the resumed worker tried its late writes
        log = stop(first)
        first_starts = []
        for job, end in zip(jobs, done, strict=True):
            assert end.status == "successful", end.error
            body = end.to_dict()
            assert body["attempt"] == 2 and len(end.results) == 1, body
            events = [e.to_dict() async for e in (await api.get(job.id)).events()]
            types = [e["type"] for e in events]
            starts = [i for i, t in enumerate(types) if t == "started"]
            assert [events[i]["attempt"] for i in starts] == [1, 2], types
            assert events[starts[1]]["worker"] == body["worker"] != events[starts[0]]["worker"]
            first_starts.append((events[starts[0]]["worker"], events[starts[0]]["time"]))
            # One attempt's history after its `started`: nothing of the paused attempt.
            assert types.count("finished") == 1 and types[-1] == "finished", types
            assert types.count("host_finished") == 1, types
            outputs = [e["line"] for e in events if e["type"] == "host_output"]
            assert outputs == end.results[0].stdout.splitlines() and len(outputs) == 5, types
            assert all(i > starts[1] for i, t in enumerate(types) if t in ("host_output", "host_finished"))
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
            # The paused attempt's end was refused, and said so with its job.
            assert f"refused the end of job {job.id}" in log, log
        # Attempt 1 of every job: one worker, one claim (the statement's one time).
        assert len(set(first_starts)) == 1, first_starts
    finally:
        stop(first)
        if second is not None:
            stop(second)
        await api.shutdown(drain=False)
