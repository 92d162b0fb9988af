"""Prometheus metrics of one app, in the app's own CollectorRegistry (never the global one).

- ``ansible_inspec_jobs{status}``, ``ansible_inspec_queue_pending`` / ``_running``: jobs in the
  store by status, for the whole cluster: on the server read from the store at scrape time
  (``executor.job_stats()``: one query, reused for 2 s), with ``ansible_inspec_job_attempts``,
  ``ansible_inspec_jobs_requeued``, ``ansible_inspec_queue_oldest_pending_seconds``,
  ``ansible_inspec_live_workers`` and ``ansible_inspec_store_up`` (0: the store did not answer;
  the job gauges are then this process's last counts); a worker's ``--metrics-port`` serves
  its own counts (``executor.stats()``, refreshed from the store every heartbeat);
  ``ansible_inspec_workers``: this process's workers;
- ``ansible_inspec_host_checks_total{status}`` and ``ansible_inspec_job_duration_seconds``:
  observed when a job submitted through this server finishes;
- ``ansible_inspec_http_requests_total{method,route,status}`` and
  ``ansible_inspec_http_request_duration_seconds{method,route}``;
- what this process's workers did (``ansible_inspec_worker_*``: claims, queue wait,
  recoveries, lost leases, store errors, lease age), also served by
  ``ansible-inspec-rs worker --metrics-port``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ansible_inspec_rs import _core, errors
from ansible_inspec_rs.status import JobStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Tracked jobs the sweep reads per look (see ServerMetrics._sweep).
_SWEEP_BATCH = 32

_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


# Executor.stats() counter -> (metric name without _total, help).
_WORKER_COUNTERS = {
    "claimed": ("ansible_inspec_worker_claimed", "Jobs this process's workers claimed (each attempt)"),
    "queue_wait_seconds": (
        "ansible_inspec_worker_queue_wait_seconds",
        "Seconds the claimed jobs waited in the queue, summed (divide by claimed for the mean)",
    ),
    "requeued": ("ansible_inspec_worker_requeued", "Jobs of dead workers this process re-queued"),
    "interrupted": ("ansible_inspec_worker_interrupted", "Jobs of dead workers this process ended as error"),
    "lease_lost": (
        "ansible_inspec_worker_lease_lost_jobs",
        "Running jobs stopped because this process could not renew its lease",
    ),
    "store_errors": ("ansible_inspec_worker_store_errors", "Failed store operations of the worker loop"),
}


# Executor.job_stats() entry -> (metric name, help): the store's, for the whole cluster.
_CLUSTER_GAUGES = {
    "attempts": ("ansible_inspec_job_attempts", "Attempts of the jobs in the store (each claim counts)"),
    "requeued": ("ansible_inspec_jobs_requeued", "Re-queues of the jobs in the store (a worker died)"),
    "oldest_pending_seconds": (
        "ansible_inspec_queue_oldest_pending_seconds",
        "Age of the oldest pending job (0: none pending)",
    ),
    "live_workers": ("ansible_inspec_live_workers", "Executors holding a live lease on the store"),
}


class ExecutorCollector(Collector):
    """Reads the executor's live counters at scrape time (``stats()`` is synchronous and cheap)
    and, when ``cluster`` gives them, the store's counts read just before (see
    ``ServerMetrics.render``)."""

    def __init__(
        self,
        executor: Callable[[], _core.Executor | None],
        cluster: Callable[[], dict[str, float] | None] | None = None,
    ) -> None:
        self._executor = executor
        self._cluster = cluster

    def collect(self) -> Iterable[Metric]:
        ex = self._executor()
        if ex is None:
            return
        stats = ex.stats()
        cluster = self._cluster() if self._cluster is not None else None
        local = stats.get("jobs_by_status") or {}
        by_status: dict[str, float] = {str(k): float(v) for k, v in local.items()}
        if cluster is not None:
            by_status = {status: cluster.get(status, 0.0) for status in JobStatus}
        jobs = GaugeMetricFamily("ansible_inspec_jobs", "Jobs in the store by status", labels=["status"])
        for status in sorted(set(JobStatus) | set(by_status)):
            jobs.add_metric([status], by_status.get(status, 0.0))
        yield jobs
        yield GaugeMetricFamily(
            "ansible_inspec_queue_pending", "Jobs waiting for a worker", value=by_status.get("pending", 0.0)
        )
        running = by_status.get("running", 0.0)
        yield GaugeMetricFamily("ansible_inspec_queue_running", "Jobs running now", value=running)
        if self._cluster is not None:
            up = float(cluster is not None)
            yield GaugeMetricFamily("ansible_inspec_store_up", "1: the store answered the scrape", value=up)
        if cluster is not None:
            for key, (name, doc) in _CLUSTER_GAUGES.items():
                yield GaugeMetricFamily(name, doc, value=cluster.get(key, 0.0))
        yield GaugeMetricFamily(
            "ansible_inspec_workers", "Executor workers", value=float(stats.get("workers", 0))
        )
        for key, (name, doc) in _WORKER_COUNTERS.items():
            yield CounterMetricFamily(name, doc, value=float(stats.get(key, 0)))
        yield GaugeMetricFamily(
            "ansible_inspec_worker_lease_age_seconds",
            "Seconds since this process last renewed its lease on the store",
            value=float(stats.get("lease_age_seconds", 0)),
        )


def serve_worker_metrics(executor: Callable[[], _core.Executor | None], host: str, port: int) -> WSGIServer:
    """``worker --metrics-port``: Prometheus' own threaded HTTP server, on a registry of the
    worker's executor only. Stop it with ``shutdown()``."""
    registry = CollectorRegistry()
    registry.register(ExecutorCollector(executor))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


class ServerMetrics:
    """The metrics of one app and the tasks that observe finishing jobs."""

    def __init__(self, executor: Callable[[], _core.Executor | None]) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "ansible_inspec_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "ansible_inspec_http_request_duration_seconds",
            "Time to answer an HTTP request (whole stream for SSE)",
            ["method", "route"],
            buckets=_HTTP_BUCKETS,
            registry=self.registry,
        )
        self.host_checks = Counter(
            "ansible_inspec_host_checks",
            "Host checks of finished jobs by host status",
            ["status"],
            registry=self.registry,
        )
        self.jobs_finished = Counter(
            "ansible_inspec_jobs_finished", "Jobs finished by status", ["status"], registry=self.registry
        )
        self.job_duration = Histogram(
            "ansible_inspec_job_duration_seconds",
            "Job run time, start to finish",
            buckets=_JOB_BUCKETS,
            registry=self.registry,
        )
        self._cluster: dict[str, float] | None = None
        self.registry.register(ExecutorCollector(executor, lambda: self._cluster))
        self._http_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._executor = executor
        # Jobs submitted here and not yet seen ending, observed by one follower of the
        # executor's job ends (never a waiter per job: a waiting view of a job run by another
        # process would read the store over and over).
        # An ordered set (dict keys): the sweep looks at the longest-unlooked-at first.
        self._tracked: dict[str, None] = {}
        self._follower: tuple[_core.Executor, asyncio.Task[None]] | None = None

    def http_series(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        """The request counter and latency histogram of one (method, route, status): looked up
        once each (``labels()`` costs as much as a small request's routing)."""
        key = (method, route, status)
        series = self._http_series.get(key)
        if series is None:
            # Bounded: the client names the method, so unknown ones share one label (as
            # unmatched paths share one route label).
            label = method if method in HTTP_METHODS else "other"
            series = (
                self.http_requests.labels(label, route, str(status)),
                self.http_latency.labels(label, route),
            )
            if label != "other":
                self._http_series[key] = series
        return series

    async def render(self) -> bytes:
        """The metrics now, with the store's counts for the whole cluster read first."""
        ex = self._executor()
        cluster = None
        if ex is not None:
            try:
                cluster = await ex.job_stats()
            except errors.StoreError:
                pass  # ansible_inspec_store_up 0; the job gauges fall back to this process's
        # Set and read with no await between: a concurrent scrape cannot swap it meanwhile.
        self._cluster = cluster
        return generate_latest(self.registry)

    def track(self, job: _core.Job) -> None:
        """Observe ``job`` when it finishes (host checks by status, duration)."""
        ex = self._executor()
        if ex is None:
            return
        self._follow(ex)  # subscribed before looking, so an end right after is not missed
        if job.done:
            self._observe(job)
        else:
            self._tracked[job.id] = None

    def _follow(self, ex: _core.Executor) -> None:
        if self._follower is not None:
            current, task = self._follower
            if current is ex and not task.done():
                return
            task.cancel()
        ends = ex.follow_ends()
        self._follower = (ex, asyncio.get_running_loop().create_task(self._observe_ends(ex, ends)))

    async def _observe_ends(self, ex: _core.Executor, ends: _core.JobEnds) -> None:
        sweep = asyncio.get_running_loop().create_task(self._sweep(ex))
        try:
            async for batch in ends:
                for end in batch:
                    if end.id not in self._tracked:
                        continue
                    del self._tracked[end.id]
                    if end.status is not None and end.hosts is not None:
                        # Told with the end (by the process that ran it): nothing to read.
                        self._count(end.status, end.seconds, end.hosts)
                    else:
                        await self._observe_id(ex, end.id)
        finally:
            sweep.cancel()

    async def _observe_id(self, ex: _core.Executor, job_id: str) -> None:
        try:
            job = await ex.get(job_id)
        except errors.JobNotFound:
            return  # deleted meanwhile
        self._observe(job)

    async def _sweep(self, ex: _core.Executor) -> None:
        """Looks now and then at tracked jobs whose end nobody announced: run by another process
        on a store that sends no notices (SQLite), or ended while PostgreSQL's listening
        connection was down. Memory stores announce every end. At most ``_SWEEP_BATCH`` jobs
        per look, those looked at longest ago first: the store's load stays the same however
        many jobs are pending (a lost end is observed late, never missed)."""
        interval = {"sqlite": 30.0, "postgresql": 60.0}.get(ex.storage_backend)
        if interval is None:
            return
        while True:
            await asyncio.sleep(interval)
            for job_id in list(itertools.islice(self._tracked, _SWEEP_BATCH)):
                self._tracked.pop(job_id, None)
                try:
                    job = await ex.get(job_id)
                except errors.JobNotFound:
                    continue
                if job.done:
                    self._observe(job)
                else:
                    self._tracked[job_id] = None  # to the back of the line

    def _observe(self, job: _core.Job) -> None:
        started, finished = job.started_at or job.created_at, job.finished_at
        seconds = None if finished is None else (finished - started).total_seconds()
        self._count(job.status, seconds, Tally(r.status for r in job.results))

    def _count(self, status: str, seconds: float | None, hosts: Mapping[str, int]) -> None:
        """One finished job: its status, duration (start, or submission, to end) and host
        results by status."""
        self.jobs_finished.labels(status).inc()
        if seconds is not None:
            self.job_duration.observe(max(0.0, seconds))
        for host_status, n in hosts.items():
            self.host_checks.labels(host_status).inc(n)

    async def aclose(self) -> None:
        if self._follower is not None:
            task = self._follower[1]
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._follower = None


def route_label(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/jobs/{job_id}``), bounded cardinality."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    # FastAPI >= 0.16x keeps the included router's prefix in its effective route context.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware counting requests by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            count, latency = self.metrics.http_series(scope["method"], route_label(scope), status)
            count.inc()
            latency.observe(time.perf_counter() - start)
