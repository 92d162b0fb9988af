"""Job events: order, history for late subscribers, bounded buffers, end of stream."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from ansible_inspec_rs import Event, Executor, Template
from conftest import eventually


async def collect(job_events: object) -> list[Event]:
    return [e async for e in job_events]  # type: ignore[attr-defined]


async def test_live_stream_in_order_and_ends(ex: Executor) -> None:
    await ex.templates.create(
        Template("t", connection="local", command=["sh", "-c", "echo one; echo two >&2; sleep 0.2"])
    )
    job = await ex.submit("t", hosts=["a", "b"])
    events = await asyncio.wait_for(collect(job.events()), timeout=10)
    types = [e.type for e in events]
    assert types[0] == "queued" and types[1] == "started" and types[-1] == "finished"
    assert types.count("host_started") == 2 and types.count("host_finished") == 2
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    lines = {(e.host, d["stream"], d["line"]) for e in events if (d := e.to_dict())["type"] == "host_output"}
    assert lines == {(h, s, line) for h in "ab" for s, line in (("stdout", "one"), ("stderr", "two"))}
    for host in "ab":
        mine = [e.type for e in events if e.host == host]
        assert mine[0] == "host_started" and mine[-1] == "host_finished"
    assert all(e.job_id == job.id for e in events)
    assert events[-1].to_dict()["status"] == "successful"


async def test_late_subscriber_gets_history_then_live(ex: Executor) -> None:
    await ex.templates.create(
        Template("t", connection="local", command=["sh", "-c", "echo {host}; sleep 0.3; echo done"])
    )
    job = await ex.submit("t", hosts=["a"])
    early = asyncio.ensure_future(collect(job.events()))
    await eventually(lambda: job.status != "pending")
    await asyncio.sleep(0.1)
    late = await collect(job.events())  # subscribes mid-run
    after = await collect(job.events())  # subscribes after the end: history only
    first = await early
    assert [e.seq for e in late] == [e.seq for e in first] == [e.seq for e in after]
    assert [e.type for e in after][-1] == "finished"


async def test_history_is_bounded_but_every_host_outcome_is_kept() -> None:
    async with Executor(workers=1, event_history=20) as ex:
        script = "for i in range(500): print(i)"
        await ex.templates.create(
            Template("loud", connection="local", command=[sys.executable, "-c", script])
        )
        job = await (await ex.submit("loud", hosts=["a", "b"]))
        events = await collect(job.events())
    output = [e for e in events if e.type == "host_output"]
    assert len(output) <= 20
    assert [e.type for e in events].count("host_finished") == 2
    assert events[-1].type == "finished"
    assert events[-1].seq == 1 + 1 + 2 * (1 + 500 + 1) + 1  # queued, started, per host, finished


async def test_slow_consumer_is_told_what_it_missed() -> None:
    async with Executor(workers=1, event_history=0) as ex:
        script = "for i in range(5000): print(i)"
        await ex.templates.create(
            Template("loud", connection="local", command=[sys.executable, "-c", script])
        )
        job = await ex.submit("loud", hosts=["a"])
        stream = job.events()
        first = await stream.__anext__()
        await job  # let everything pile up without reading
        rest = [e async for e in stream]
    assert first.type == "queued"
    lagged = [e.to_dict() for e in rest if e.type == "lagged"]
    assert lagged and lagged[0]["missed"] > 0
    delivered = [e for e in rest if e.type != "lagged"]
    output = [e for e in delivered if e.type == "host_output"]
    assert 0 < len(output) <= 1024  # the live buffer, not all 5000 lines
    assert delivered[-1].type == "finished"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_replay_of_a_fetched_job_is_complete_and_in_order(kind: str, tmp_path: Path) -> None:
    store = None if kind == "memory" else f"sqlite://{tmp_path}/jobs.db"
    async with Executor(workers=4, store=store) as ex:
        await ex.templates.create(Template("t", connection="local", command=["sh", "-c", "echo {host}"]))
        for _ in range(40):
            job = await ex.submit("t", hosts=["a", "b"])
            await job.wait(timeout=30)
            replay = [(e.seq, e.type) async for e in (await ex.get(job.id)).events()]
            seqs = [s for s, _ in replay]
            assert seqs == list(range(1, len(seqs) + 1)), replay
            assert replay[0][1] == "queued" and replay[1][1] == "started", replay
            assert replay[-1][1] == "finished", replay
            assert [t for _, t in replay].count("host_output") == 2, replay
