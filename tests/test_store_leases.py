"""Leases on PostgreSQL (issue 19, part 2): real worker processes, a real PostgreSQL server.
A worker that cannot renew its lease stops its checks before the lease runs out; a worker
with shorter settings does not take the jobs of a healthy worker on longer ones."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from ansible_inspec_rs import Executor, Template
from conftest import eventually, marker_seconds, processes_with_arg, until
from helpers import free_port, scrape
from pgserver import create_database, outage, postgres_server


def worker(url: str, heartbeat: float, stale_after: float, *args: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", url, "--workers", "2"]
    cmd += ["--heartbeat", str(heartbeat), "--stale-after", str(stale_after), "--poll", "0.5", *args]
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


@contextlib.contextmanager
def frozen_database(base: str) -> Iterator[None]:
    """Every process of the PostgreSQL server at `base` stopped (SIGSTOP): the store hangs."""
    port = base.rsplit(":", 1)[1]
    postmaster = subprocess.run(
        ["pgrep", "-f", "--", f"-p {port} "], capture_output=True, text=True
    ).stdout.split()
    assert len(postmaster) == 1, postmaster
    children = subprocess.run(["pgrep", "-P", postmaster[0]], capture_output=True, text=True).stdout.split()
    pids = [int(p) for p in [*postmaster, *children]]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def test_a_worker_that_cannot_renew_its_lease_stops_its_checks_before_it_runs_out() -> None:
    with postgres_server() as base:
        url = create_database(base)
        api = Executor(workers=0, store=url)
        marker = marker_seconds(60)
        await api.templates.create(Template("long", connection="local", command=["sleep", marker]))
        port = free_port()
        w = worker(url, 0.2, 2.0, "--metrics-port", str(port))
        try:
            await api.submit("long", hosts=["h"])
            await eventually(lambda: bool(processes_with_arg(marker)), 30)  # the check runs
            with frozen_database(base):
                frozen = time.monotonic()
                # Lease 2 s, margin max(0.2, 2/5) s: the check dies about 1.6 s after the last
                # renewal, before anyone could take the job.
                await eventually(lambda: not processes_with_arg(marker), 5)
                assert time.monotonic() - frozen < 2.0
                # The operator sees it while the store is down: the worker answers metrics.
                metrics = scrape(port)
                assert metrics["ansible_inspec_worker_lease_lost_jobs_total"] == 1, metrics
                assert metrics["ansible_inspec_worker_lease_age_seconds"] >= 1.0, metrics
        finally:
            log = stop(w)
            await api.shutdown(drain=False)
        assert "lease not renewed" in log and "stopping 1 running job" in log, log


async def test_shorter_settings_do_not_steal_a_healthy_workers_job(postgres_base: str) -> None:
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url)
    slow = worker(url, heartbeat=3.0, stale_after=30.0)
    await asyncio.sleep(1.0)  # it is idle and listening first, so it takes the job
    try:
        await api.templates.create(Template("nap", connection="local", command=["sleep", "6"]))
        job = await api.submit("nap", hosts=["h"])
        eager = worker(url, heartbeat=0.2, stale_after=1.0)  # judges by its own 1 s, it would take the job
        try:
            done = await job.wait(timeout=40)
        finally:
            stop(eager)
        assert done.status == "successful"
        started = [e.type async for e in (await api.get(job.id)).events() if e.type == "started"]
        assert started == ["started"], "the job was re-queued and ran twice"
    finally:
        stop(slow)
        await api.shutdown(drain=False)


async def test_an_event_stream_outlives_a_database_outage_and_ends_with_finished() -> None:
    """A stream of a job run by a worker process, across a 3 s outage (PostgreSQL stopped:
    reads fail): it resumes and ends with the job's real end, not at the first failed read."""
    with postgres_server() as base:
        url = create_database(base)
        api = Executor(workers=0, store=url)
        w = worker(url, heartbeat=0.5, stale_after=20.0)  # the outage is well inside the lease
        try:
            await api.templates.create(Template("nap", connection="local", command=["sleep", "5"]))
            job = await api.submit("nap", hosts=["h"])
            types: list[str] = []

            async def follow() -> None:
                async for event in job.events():
                    types.append(event.type)

            stream = asyncio.ensure_future(follow())
            await eventually(lambda: "started" in types, 30)
            with outage(base):
                await asyncio.sleep(3)
                assert not stream.done(), f"the stream ended during the outage: {types}"
            await asyncio.wait_for(stream, 60)
            assert types[-1] == "finished", types
            assert (await job.wait(timeout=30)).status == "successful"
        finally:
            stop(w)
            await api.shutdown(drain=False)


async def test_a_paused_workers_late_writes_are_refused_so_the_history_is_one_attempts(
    postgres_base: str,
) -> None:
    """A worker paused (SIGSTOP) mid-check past its 1 s lease: its job is re-queued and run by
    another worker as attempt 2. While paused, its check printed 40 lines; resumed, it reads
    them and would store them, its result and a `finished` "lost the job" over attempt 2's
    history. All of that is refused: the stored history has each attempt's `started` (with
    attempt and worker), then attempt 2's events only, one `host_finished`, one `finished`."""
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url)
    marker = marker_seconds(1)
    script = 'sleep 1; for i in $(seq 1 40); do echo "$$ $i"; done; sleep 1'  # $$: which attempt's
    await api.templates.create(Template("talk", connection="local", command=["sh", "-c", script, marker]))
    first = worker(url, 0.2, 1.0)
    second = None
    try:
        await asyncio.sleep(1.0)  # idle and listening: it takes the job
        job = await api.submit("talk", hosts=["h"])
        await eventually(lambda: bool(processes_with_arg(marker)), 30)
        first.send_signal(signal.SIGSTOP)
        try:
            second = worker(url, 0.2, 1.0)

            async def rerun() -> bool:
                return bool((await api.get(job.id)).to_dict()["attempt"] == 2)

            await until(rerun, 30)
        finally:
            first.send_signal(signal.SIGCONT)
        done = await job.wait(timeout=60)
        # Both attempts' checks have ended, and the resumed worker tried its late writes.
        await eventually(lambda: not processes_with_arg(marker), 30)
        await asyncio.sleep(1.0)
        log = stop(first)
        assert done.status == "successful", done.error
        body = done.to_dict()
        assert body["attempt"] == 2 and len(done.results) == 1
        lines = done.results[0].stdout.splitlines()
        assert [line.split()[1] for line in lines] == [str(i) for i in range(1, 41)], lines
        events = [e.to_dict() async for e in (await api.get(job.id)).events()]
        types = [e["type"] for e in events]
        starts = [i for i, t in enumerate(types) if t == "started"]
        assert [(events[i]["attempt"]) for i in starts] == [1, 2], types
        assert events[starts[1]]["worker"] == body["worker"] != events[starts[0]]["worker"]
        assert types.count("finished") == 1 and types[-1] == "finished", types
        assert events[-1]["status"] == "successful", events[-1]
        assert types.count("host_finished") == 1, types
        assert [e["line"] for e in events if e["type"] == "host_output"] == lines, types
        assert all(i > starts[1] for i, t in enumerate(types) if t in ("host_output", "host_finished"))
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert "refused" in log, log
    finally:
        stop(first)
        if second is not None:
            stop(second)
        await api.shutdown(drain=False)


# Jobs a worker claims in one statement (it has this many free slots).
BATCH = 4


async def test_a_claimed_batch_stays_fenced_when_its_worker_loses_the_lease(postgres_base: str) -> None:
    """Claims batched across jobs keep the fence (issue 19, coordination overhead): a worker
    claims as many jobs as it has free slots in one statement, each still its own attempt
    under the lease; when that worker loses its lease, every job of the batch is re-run
    elsewhere as attempt 2, and the paused worker's late writes (events, results, ends) are
    refused, each end logged with its job."""
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=BATCH + 1)
    marker = marker_seconds(1)
    script = 'sleep 1; for i in $(seq 1 5); do echo "$$ $i"; done; sleep 1'  # $$: which attempt's
    await api.templates.create(Template("talk", connection="local", command=["sh", "-c", script, marker]))
    first = worker(url, 0.2, 1.0, "--workers", str(BATCH))
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
            second = worker(url, 0.2, 1.0, "--workers", str(BATCH))

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
