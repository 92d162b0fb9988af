"""PostgreSQL's work per job (issue 19, coordination overhead): a real PostgreSQL server with
pg_stat_statements, an API-only executor and a real worker process. A first attempt's worker
reads no history back, its claim stores its `started` event, and its end goes with its
`finished` event and notice in one statement: no statement of its own for either."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator

import pytest
from ansible_inspec_rs import Executor, Template
from conftest import spawn_worker
from pgserver import create_database, postgres_server

JOBS = 20
# Statements per job, submission to end, API and worker together (see the test): about 9
# (admission 4: BEGIN, the lock, one insert, COMMIT; claim 1; end 1; results and events about
# 1.3, batched across jobs; the worker's start-up spread over the jobs); about 11 before the
# admission was one statement and batches waited 5 ms for more, about 16.5 before the claim
# stored `started` and the end stored `finished` with its notice.
BOUND = 10


@pytest.fixture(scope="module")
def stats_base() -> Iterator[str]:
    with postgres_server("shared_preload_libraries=pg_stat_statements") as base:
        yield base


def psql(url: str, sql: str) -> str:
    base, name = url.rsplit("/", 1)
    host, port = base.rsplit("@", 1)[1].split(":")
    cmd = ["psql", "-h", host, "-p", port, "-U", "airs", "-d", name, "-Atc", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def statements(url: str) -> dict[str, int]:
    """This database's statements since the last reset: query text -> calls."""
    rows = psql(
        url,
        "SELECT calls || ' ' || regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND query NOT LIKE '%pg_stat_statements%'",
    )
    return {q: int(n) for n, q in (r.split(" ", 1) for r in rows.splitlines())}


async def test_a_first_attempt_costs_no_history_read_and_no_separate_notice(stats_base: str) -> None:
    url = create_database(stats_base)
    psql(url, "CREATE EXTENSION pg_stat_statements")
    api = Executor(workers=0, store=url, queue_size=JOBS + 1)
    worker = spawn_worker(url, "--workers", "4", "--heartbeat", "5", "--stale-after", "30")
    try:
        await api.templates.create(Template("quick", connection="local", command=["true"], forks=2))
        psql(url, "SELECT pg_stat_statements_reset()")
        jobs = [await api.submit("quick", hosts=["a", "b"]) for _ in range(JOBS)]
        done = [await job.wait(timeout=60) for job in jobs]
        assert [j.status for j in done] == ["successful"] * JOBS
        counts = statements(url)
        calls = lambda start: sum(n for q, n in counts.items() if q.startswith(start))  # noqa: E731
        assert calls("SELECT body FROM events") == 0, counts  # no history read back
        assert calls("SELECT pg_notify") == 0, counts  # notices go with their writes
        # The claim carries `started`, the end carries `finished`: besides them, events
        # are only the hosts' (batched by the worker's event writer).
        assert calls("WITH ended AS (UPDATE jobs SET status = $1") == JOBS, counts  # one end per job
        # A batch of events or results is one statement text whatever its size (its rows go as
        # one JSON array): prepared and planned once, not once per batch size.
        for insert in ("WITH fenced AS (SELECT v.job_id, v.seq", "INSERT INTO host_results"):
            shapes = [q for q in counts if q.startswith(insert)]
            assert len(shapes) == 1, shapes
        # Admission is one statement (the job, its `queued` event and notice) in the lock.
        assert calls("WITH job AS (INSERT INTO jobs") == JOBS, counts
        # The test's own reads (a waiting view reads its job when told it ended) left out.
        reads = ("SELECT id, template_id,", "SELECT body FROM host_results")
        per_job = sum(n for q, n in counts.items() if not q.startswith(reads)) / JOBS
        assert per_job <= BOUND, f"{per_job:.1f} statements per job: {counts}"
        for job in done:
            kinds = [e.type async for e in job.events()]
            assert kinds[:2] == ["queued", "started"] and kinds[-1] == "finished", kinds
            assert sorted(kinds[2:-1]) == ["host_finished"] * 2 + ["host_started"] * 2, kinds
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
        await api.shutdown(drain=False)
