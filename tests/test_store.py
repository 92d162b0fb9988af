"""Durable stores against real databases (SQLite files, a PostgreSQL server started by the
tests) and real worker processes killed with SIGKILL."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from ansible_inspec_rs import Executor, Template, errors
from conftest import eventually, marker_seconds, processes_with_arg, spawn_worker
from helpers import free_port, scrape

FAST = {"heartbeat_interval": 0.2, "stale_after": 1.0, "poll_interval": 0.5}


async def test_everything_survives_a_restart(store_url: str) -> None:
    ex = Executor(workers=2, store=store_url)
    assert ex.storage_backend == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    await ex.templates.create(
        Template("echo", connection="local", command=["sh", "-c", "echo hi {host}; test {host} != b"])
    )
    await ex.templates.create(
        Template("later", profile="dev-sec/linux-baseline", supermarket=True, description="kept")
    )
    job = await ex.submit("echo", hosts=["a", "b"], extra_vars={"k": [1, "two"]})
    first = await job.wait(timeout=30)
    assert first.status == "failed"
    await ex.shutdown()

    again = Executor(workers=1, store=store_url)
    try:
        assert [t.name for t in await again.templates.list()] == ["echo", "later"]
        assert (await again.templates.get("later")).description == "kept"
        stored = await again.get(job.id)
        assert stored.status == "failed" and stored.extra_vars == {"k": [1, "two"]}
        assert [(r.host, r.status, r.stdout) for r in stored.results] == [
            ("a", "passed", "hi a\n"),
            ("b", "failed", "hi b\n"),
        ]
        assert stored.finished_at is not None and stored.started_at is not None
        events = [e.to_dict() async for e in stored.events()]
        types = [e["type"] for e in events]
        assert types[0] == "queued" and types[1] == "started" and types[-1] == "finished"
        assert {(e["host"], e["line"]) for e in events if e["type"] == "host_output"} == {
            ("a", "hi a"),
            ("b", "hi b"),
        }
        assert [e["seq"] for e in events] == sorted({e["seq"] for e in events})
        assert await again.count(status="failed") == 1
        assert again.stats()["jobs_by_status"]["failed"] == 1
        with pytest.raises(errors.TemplateExists):
            await again.templates.create(Template("echo", connection="local", command=["true"]))
        await again.delete(job.id)
        with pytest.raises(errors.JobNotFound):
            await again.get(job.id)
    finally:
        await again.shutdown()


async def test_awaited_jobs_show_what_the_store_holds(store_url: str) -> None:
    """A job submitted on a durable store is a view that follows the run here. Once awaited,
    in turn or all at once, it says what the store says: never the `pending` it was handed
    out as (jobs that ended before they were awaited did, and a read could see an old WAL
    snapshot), and the same times to the microsecond."""
    async with Executor(workers=4, queue_size=100, store=store_url) as ex:
        await ex.templates.create(Template("t", connection="local", command=["true"], forks=3))
        hosts = [f"h{i}" for i in range(6)]
        for rounds in range(3):
            jobs = [await ex.submit("t", hosts=hosts) for _ in range(12)]
            ended = await asyncio.gather(*jobs) if rounds % 2 else [await j for j in jobs]
            for job, done in zip(jobs, ended, strict=True):
                stored = await ex.get(job.id)
                for seen in (job, done):
                    assert (seen.status, len(seen.results)) == ("successful", 6), rounds
                    assert (seen.started_at, seen.finished_at) == (
                        stored.started_at,
                        stored.finished_at,
                    )


async def test_pending_jobs_survive_and_run_after_restart(store_url: str) -> None:
    submitter = Executor(workers=0, store=store_url)
    await submitter.templates.create(Template("t", connection="local", command=["true"]))
    ids = [(await submitter.submit("t", hosts=["a"])).id for _ in range(5)]
    await submitter.shutdown()

    runner = Executor(workers=2, store=store_url)
    try:
        for job_id in ids:
            assert (await (await runner.get(job_id)).wait(timeout=30)).status == "successful"
    finally:
        await runner.shutdown()


@pytest.mark.parametrize("policy", ["requeue", "fail"])
async def test_a_killed_worker_loses_no_job(store_url: str, policy: str) -> None:
    marker = marker_seconds(2)  # a 2-3 s sleep, findable by its argument
    ex = Executor(workers=0, store=store_url, recovery=policy, **FAST)  # type: ignore[arg-type]
    await ex.templates.create(Template("long", connection="local", command=["sleep", marker]))
    await ex.templates.create(Template("quick", connection="local", command=["true"]))
    templates_before = [t.to_dict() for t in await ex.templates.list()]
    long = await ex.submit("long", hosts=["a"])
    quick = [await ex.submit("quick", hosts=["a"]) for _ in range(3)]

    first = spawn_worker(store_url, "--workers", "1", "--recovery", policy)
    second = None
    try:
        # Killed while its check runs (the attempt's `started` event is stored by then).
        await eventually(lambda: bool(processes_with_arg(marker)), within=30)
        assert (await ex.get(long.id)).status == "running"
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert (await ex.get(quick[0].id)).status == "pending"  # the dead worker held one job

        port = free_port()
        second = spawn_worker(store_url, "--workers", "2", "--recovery", policy, "--metrics-port", str(port))
        recovered = await (await ex.get(long.id)).wait(timeout=60)
        for q in quick:
            assert (await (await ex.get(q.id)).wait(timeout=60)).status == "successful"
        events = [e async for e in recovered.events()]
        starts = [e.type for e in events].count("started")
        # The stored history ends with the job's end, whoever stored it (issue 19).
        end = events[-1].to_dict()
        assert end["type"] == "finished" and end["status"] == recovered.status, end
        body = recovered.to_dict()
        if policy == "requeue":
            assert recovered.status == "successful"
            assert starts == 2  # ran again, as attempt 2
            # The job says which attempt and which executor ran it last.
            assert body["attempt"] == 2 and body["worker"], body
        else:
            assert recovered.status == "error"
            assert "interrupted" in (recovered.error or "")
            assert starts == 1
        assert [t.to_dict() for t in await ex.templates.list()] == templates_before
        # The recovery is counted by whichever live process made it (the API executor or
        # the second worker), and the second worker's claims show in its metrics.
        assert second.poll() is None, second.stderr.read() if second.stderr else ""
        worker = scrape(port)
        counter = "requeued" if policy == "requeue" else "interrupted"
        assert ex.stats()[counter] + worker[f"ansible_inspec_worker_{counter}_total"] == 1, worker
        assert worker["ansible_inspec_worker_claimed_total"] >= 1 + (policy == "requeue"), worker
        assert worker["ansible_inspec_worker_queue_wait_seconds_total"] > 0, worker
        assert 0 <= worker["ansible_inspec_worker_lease_age_seconds"] < 5, worker
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait()
        await ex.shutdown()
        # A SIGKILLed worker's checks die with it (tests/test_server_sigkill.py).
        await eventually(lambda: not processes_with_arg(marker), within=10)


async def test_ten_thousand_concurrent_submissions(store_url: str) -> None:
    ex = Executor(workers=0, store=store_url, queue_size=20_000)
    try:
        await ex.templates.create(Template("t", connection="local", command=["true"]))

        async def submit_many(n: int) -> list[str]:
            return [(await ex.submit("t", hosts=["h"])).id for _ in range(n)]

        batches = await asyncio.gather(*(submit_many(200) for _ in range(50)))
        ids = [i for b in batches for i in b]
        assert len(ids) == len(set(ids)) == 10_000
        assert await ex.count() == 10_000
        assert await ex.count(status="pending") == 10_000
        listed = await ex.list(limit=10_000)
        assert {j.id for j in listed} == set(ids)
    finally:
        await ex.shutdown(drain=False)


async def test_two_workers_run_each_job_exactly_once(postgres_base: str, tmp_path: Path) -> None:
    from pgserver import create_database

    url = create_database(postgres_base)
    log = tmp_path / "executions"
    ex = Executor(workers=0, store=url, queue_size=5000, **FAST)  # type: ignore[arg-type]
    await ex.templates.create(
        Template("append", connection="local", command=["sh", "-c", f"echo {{host}} >> {log}"])
    )
    workers = [spawn_worker(url, "--workers", "4") for _ in range(2)]
    try:
        jobs = [await ex.submit("append", hosts=[f"job{i}"]) for i in range(1000)]
        for j in jobs:
            assert (await j.wait(timeout=120)).status == "successful"
        lines = log.read_text().split()
        assert len(lines) == 1000
        assert set(lines) == {f"job{i}" for i in range(1000)}
        claimed_by = {(await ex.get(j.id)).to_dict()["status"] for j in jobs[:10]}
        assert claimed_by == {"successful"}
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait()
        await ex.shutdown()


async def test_cancel_reaches_the_worker_running_the_job(postgres_base: str) -> None:
    from pgserver import create_database

    url = create_database(postgres_base)
    marker = marker_seconds()
    ex = Executor(workers=0, store=url, **FAST)  # type: ignore[arg-type]
    await ex.templates.create(Template("long", connection="local", command=["sleep", marker]))
    worker = spawn_worker(url, "--workers", "1")
    try:
        job = await ex.submit("long", hosts=["a"])
        await eventually(lambda: bool(processes_with_arg(marker)))
        assert await job.cancel() is True
        done = await job.wait(timeout=30)
        assert done.status == "canceled"
        await eventually(lambda: not processes_with_arg(marker), within=10)
        assert worker.poll() is None  # the worker itself keeps serving
    finally:
        worker.terminate()
        worker.wait()
        await ex.shutdown()


async def test_worker_reports_a_bad_store_clearly(tmp_path: Path) -> None:
    proc = spawn_worker("mysql://u:secret@db/x")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"unsupported store URL" in err and b"secret" not in err
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(errors.StoreError, match=f"{not_a_dir} is not a directory"):
        Executor(store=f"sqlite://{not_a_dir}/x.db")


def test_worker_metrics_port_taken_is_refused_before_it_claims(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = spawn_worker(f"sqlite:///{tmp_path}/jobs.db", "--metrics-port", str(port))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"--metrics-port" in err and b"in use" in err, err
    assert not (tmp_path / "jobs.db").exists()  # it never opened the store
