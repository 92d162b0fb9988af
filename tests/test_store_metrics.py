"""/metrics of an API-only server on PostgreSQL (issue 19, item 5): the job counts come from
the store for the whole cluster (jobs submitted and run by other processes too), read in one
query that scrapes share for 2 s, and a store that does not answer is reported, not waited on."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from ansible_inspec_rs import Executor, Template
from conftest import spawn_worker, until
from helpers import LiveServer, start_server
from pgserver import create_database, outage, postgres_server
from prometheus_client.parser import text_string_to_metric_families


def samples(live: LiveServer) -> dict[str, float]:
    """`name` or `name{label=value}` -> value, from the server's /metrics."""
    text = httpx.get(live.url + "/metrics", timeout=30).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def test_api_metrics_count_the_whole_clusters_jobs_from_the_store(
    postgres_base: str, tmp_path: Path
) -> None:
    url = create_database(postgres_base)
    live = start_server(tmp_path, store_url=url, workers="0")
    # Another API process: its submissions never pass through the server under test.
    other = Executor(workers=0, store=url)
    worker = None
    try:
        await other.templates.create(Template("t", connection="local", command=["true"]))
        for _ in range(5):
            await other.submit("t", hosts=["h"])
        await asyncio.sleep(0.2)
        first = time.monotonic()
        m = samples(live)
        assert m["ansible_inspec_jobs{status=pending}"] == 5, m
        assert m["ansible_inspec_queue_pending"] == 5 and m["ansible_inspec_queue_running"] == 0, m
        assert m["ansible_inspec_store_up"] == 1, m
        assert m["ansible_inspec_queue_oldest_pending_seconds"] > 0, m
        assert m["ansible_inspec_job_attempts"] == 0 and m["ansible_inspec_jobs_requeued"] == 0, m
        assert m["ansible_inspec_live_workers"] == 2, m  # the server's executor and `other`

        # One read serves every scrape for 2 s: a job submitted meanwhile shows after that.
        await other.submit("t", hosts=["h"])
        again = samples(live)
        if time.monotonic() - first < 1.5:
            assert again["ansible_inspec_jobs{status=pending}"] == 5, again
        await asyncio.sleep(2.1)
        assert samples(live)["ansible_inspec_jobs{status=pending}"] == 6

        # A worker process runs them all; the server counts their ends and attempts.
        worker = spawn_worker(url, "--workers", "2")

        async def all_done() -> bool:
            return bool(samples(live)["ansible_inspec_jobs{status=successful}"] == 6)

        await until(all_done, 60)
        m = samples(live)
        assert m["ansible_inspec_queue_pending"] == 0 and m["ansible_inspec_job_attempts"] == 6, m
        assert m["ansible_inspec_queue_oldest_pending_seconds"] == 0, m
        assert m["ansible_inspec_live_workers"] == 3, m

        # Jobs submitted through the server: counted at their end from what the worker's
        # `finished` notice tells (status, duration, hosts by status).
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
            for _ in range(2):
                job = {"template_name": "t", "hosts": ["h1", "h2"]}
                (await client.post("/api/v1/jobs", json=job)).raise_for_status()

        async def counted() -> bool:
            return samples(live).get("ansible_inspec_host_checks_total{status=passed}") == 4

        await until(counted, 60)
        m = samples(live)
        assert m["ansible_inspec_jobs_finished_total{status=successful}"] == 2, m
        assert m["ansible_inspec_job_duration_seconds_count"] == 2, m
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        live.stop()
        await other.shutdown()


async def test_api_metrics_answer_during_a_database_outage(tmp_path: Path) -> None:
    with postgres_server() as base:
        url = create_database(base)
        live = start_server(tmp_path, store_url=url, workers="0")
        try:
            assert samples(live)["ansible_inspec_store_up"] == 1
            await asyncio.sleep(2.1)  # past the cached read
            with outage(base):
                t0 = time.monotonic()
                m = samples(live)
                assert m["ansible_inspec_store_up"] == 0, m
                assert time.monotonic() - t0 < 5, "the scrape waited on the store"
                assert "ansible_inspec_jobs{status=pending}" in m, m
            await asyncio.sleep(2.1)
            assert samples(live)["ansible_inspec_store_up"] == 1
        finally:
            live.stop()
