"""Job ends reach other processes by notification, not polling (issue 19, part 1): a real
PostgreSQL server, an API-only executor holding waiting views, and a real worker process."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime

from ansible_inspec_rs import Executor, Template, _core
from conftest import spawn_worker, until
from pgserver import create_database, xact_commits

WAITERS = 40


async def test_waiting_views_cost_no_polling_and_wake_on_the_workers_notice(postgres_base: str) -> None:
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=WAITERS + 1)
    worker = None
    try:
        await api.templates.create(Template("nap", connection="local", command=["sleep", "0.2"]))
        jobs = [await api.submit("nap", hosts=["h"]) for _ in range(WAITERS)]
        waits = [asyncio.ensure_future(job.wait(timeout=60)) for job in jobs]
        # The waiters are in place; idle backends report their statistics within 10 s
        # (PGSTAT_IDLE_INTERVAL), so the submissions' commits are counted before the window.
        await asyncio.sleep(11)
        c0, t0 = xact_commits(url), time.monotonic()
        await asyncio.sleep(4.0)
        rate = (xact_commits(url) - c0) / (time.monotonic() - t0)
        # Before: each waiting view read the store every 100 ms (about 20 commits/s each,
        # 800/s here). Now: the executor's own housekeeping and the two readings.
        assert rate < 10, f"{rate:.1f} commits/s with {WAITERS} waiting views"
        assert not any(w.done() for w in waits)

        worker = spawn_worker(url, "--workers", "8")
        started = time.monotonic()
        done = await asyncio.wait_for(asyncio.gather(*waits), 30)
        # Well before the views' 30 s safety recheck: the worker's notice woke them.
        assert time.monotonic() - started < 20
        assert [j.status for j in done] == ["successful"] * WAITERS
        assert all(j.status == "successful" for j in jobs)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        await api.shutdown(drain=False)


async def test_follow_ends_hears_jobs_ended_by_another_process(postgres_base: str) -> None:
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url)
    worker = spawn_worker(url, "--workers", "4")
    try:
        await api.templates.create(Template("quick", connection="local", command=["true"]))
        ends = api.follow_ends()
        ids = {(await api.submit("quick", hosts=["h"])).id for _ in range(10)}
        heard: dict[str, _core.JobEnd] = {}

        async def listen() -> None:
            async for batch in ends:
                heard.update((end.id, end) for end in batch)
                if ids <= heard.keys():
                    return

        await asyncio.wait_for(listen(), 30)
        assert ids <= heard.keys()
        # Each end comes with what metrics count, told by the worker: nothing to read back.
        for job_id in ids:
            end = heard[job_id]
            assert (end.status, end.hosts) == ("successful", {"passed": 1}), job_id
            assert end.seconds is not None and 0 <= end.seconds < 30
        # The store's live leases: this API executor and the worker process.
        live = (await api.check_store())["workers"]
        assert len(live) == 2 and api.worker_id in [w["id"] for w in live], live
        assert all(w["lease_until"] > w["heartbeat_at"] for w in live), live
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await api.shutdown(drain=False)


async def test_event_streams_of_jobs_run_elsewhere_read_on_notice_not_by_polling(postgres_base: str) -> None:
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=WAITERS + 1)
    worker = None
    try:
        await api.templates.create(Template("nap", connection="local", command=["sleep", "0.2"]))
        jobs = [await api.submit("nap", hosts=["h1", "h2"]) for _ in range(WAITERS)]

        async def stream(job_id: str) -> list[str]:
            view = await api.get(job_id)  # a view: the job runs in another process
            return [e.type async for e in view.events()]

        streams = [asyncio.ensure_future(stream(job.id)) for job in jobs]
        await asyncio.sleep(11)  # see above: the submissions' commits are counted by now
        c0, t0 = xact_commits(url), time.monotonic()
        await asyncio.sleep(4.0)
        rate = (xact_commits(url) - c0) / (time.monotonic() - t0)
        # Polling read twice per stream every 100 ms (about 800 commits/s here); with
        # notices each stream looks once every 2 s (about 40/s) besides housekeeping.
        assert rate < 80, f"{rate:.1f} commits/s with {WAITERS} open streams"
        assert not any(s.done() for s in streams)

        worker = spawn_worker(url, "--workers", "8")
        kinds = await asyncio.wait_for(asyncio.gather(*streams), 30)
        for k in kinds:
            assert k[0] == "queued" and k[-1] == "finished", k
            assert k.count("host_finished") == 2, k  # every event of the run, once
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        await api.shutdown(drain=False)


STREAMED = 5
# A host's events reach a stream of its job elsewhere by the job's own notice channel (a few
# ms); without that notice they would wait for the stream's recheck (every 2 s).
PROMPT = 0.75


async def test_a_stream_hears_its_jobs_events_on_the_jobs_own_channel(postgres_base: str) -> None:
    """`events` notices go on a channel per job, which a process listens on while it streams
    the job: its streams hear each event at once, not at their 2 s recheck."""
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=STREAMED + 1)
    worker = None
    try:
        await api.templates.create(Template("nap", connection="local", command=["sleep", "0.5"]))

        async def stream(job_id: str) -> list[tuple[str, float]]:
            view = await api.get(job_id)  # a view: the job runs in the worker process
            late = []
            async for e in view.events():
                late.append((e.type, (datetime.now(UTC) - e.time).total_seconds()))
            return late

        jobs = [await api.submit("nap", hosts=["h1"]) for _ in range(STREAMED)]
        streams = asyncio.gather(*(stream(j.id) for j in jobs))
        await asyncio.sleep(0.5)  # the streams wait, past their first read of `queued`
        worker = spawn_worker(url, "--workers", str(STREAMED))
        for late in await asyncio.wait_for(streams, 30):
            kinds = [kind for kind, _ in late]
            assert kinds == ["queued", "started", "host_started", "host_finished", "finished"], late
            # Each heard when stored: none waited for the recheck.
            waited = [s for kind, s in late if kind != "queued"]
            assert max(waited) < PROMPT, late
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
        await api.shutdown(drain=False)


# A worker holds what a job nobody elsewhere follows sends (host events, results) to store it
# with the job's end, at most this long (executor/run.rs, HOLD_MAX).
HOLD_MAX = 1.0


async def test_a_stream_started_while_its_job_runs_elsewhere_has_what_was_held_at_once(
    postgres_base: str,
) -> None:
    """A job nobody streams when it is claimed has its host events held by its worker for
    its end; a stream that starts while it runs has the worker store them at once (the
    `watched` notice), not at the hold's bound, and hears the rest as it comes."""
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=4)
    worker = spawn_worker(url, "--workers", "1")
    try:
        await api.templates.create(Template("nap", connection="local", command=["sleep", "3"]))
        job = await api.submit("nap", hosts=["h1"])
        view = await api.get(job.id)
        await until(lambda: _running(api, job.id), within=30)
        await asyncio.sleep(0.3)  # the host started (its event held by the worker)
        t0 = time.monotonic()
        seen: list[tuple[str, float]] = []
        async for e in view.events():
            seen.append((e.type, time.monotonic() - t0))
        kinds = [k for k, _ in seen]
        assert kinds == ["queued", "started", "host_started", "host_finished", "finished"], seen
        # `host_started` (sent before the stream began) was stored on the stream's mark,
        # well within the hold's bound.
        assert dict(seen)["host_started"] < HOLD_MAX / 2, seen
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await api.shutdown(drain=False)


async def test_a_running_jobs_results_reach_other_processes_within_the_hold_bound(
    postgres_base: str,
) -> None:
    """What a worker holds of a job nobody streams is stored within HOLD_MAX, not only with
    the job's end: another process reading the running job sees its first host's result
    while the second host still runs."""
    url = create_database(postgres_base)
    api = Executor(workers=0, store=url, queue_size=4)
    worker = spawn_worker(url, "--workers", "1")
    try:
        # forks 1: h1 ends after 2 s, h2 after 4 s.
        tpl = Template("naps", connection="local", command=["sleep", "2"], forks=1)
        await api.templates.create(tpl)
        job = await api.submit("naps", hosts=["h1", "h2"])
        await until(lambda: _running(api, job.id), within=30)
        t0 = time.monotonic()

        async def first_result() -> bool:
            return len((await api.get(job.id)).results) >= 1

        await until(first_result, within=10)
        seen_after = time.monotonic() - t0
        still = await api.get(job.id)
        assert still.status == "running", (seen_after, still.status)
        assert seen_after < 2 + HOLD_MAX + 0.5, seen_after
        done = await job.wait(timeout=30)
        assert done.status == "successful" and [r.host for r in done.results] == ["h1", "h2"]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await api.shutdown(drain=False)


async def _running(api: Executor, job_id: str) -> bool:
    return (await api.get(job_id)).status == "running"
