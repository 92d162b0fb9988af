"""`ansible-inspec-rs worker`: runs jobs from a shared store, without the HTTP server.

Several workers (on one or several machines) can point at one PostgreSQL store; each
claims jobs atomically, heartbeats, and recovers the running jobs of workers that died.
SIGTERM or Ctrl-C stops it: jobs it is running are canceled (their checks killed).
With ``--metrics-port`` it serves Prometheus metrics (claims, queue wait, recoveries, lost
leases, store errors, lease age; see ``ansible_inspec_rs.server.metrics``) over HTTP.
Log lines go to stderr (``--log-format json``: one JSON object per line, with ``time``,
``level``, ``event``, ``worker`` and ``message``): start, jobs of dead workers re-queued or
ended, a lease lost or renewed, store errors, writes of a stale attempt refused, stop, and (JSON
only: a line per job) each claim. They name jobs and workers, never the store URL or
credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from ansible_inspec_rs.commands import policy, priority
from ansible_inspec_rs.commands.args import port

if TYPE_CHECKING:
    from ansible_inspec_rs import Executor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", required=True, help="sqlite:///path/file.db or postgresql://user@host/db")
    parser.add_argument("--workers", type=int, default=8, help="jobs run at once (default 8)")
    parser.add_argument("--queue-size", type=int, default=10_000, help="pending jobs at most (default 10000)")
    parser.add_argument(
        "--recovery",
        choices=["requeue", "fail"],
        default="requeue",
        help="what happens to jobs of a worker that died (default requeue)",
    )
    add = parser.add_argument
    add("--max-attempts", type=int, default=3, help="attempts per job with requeue (default 3)")
    add("--heartbeat", type=float, default=5.0, help="heartbeat interval in seconds (default 5)")
    add("--stale-after", type=float, default=30.0, help="a silent worker is dead after this, seconds (30)")
    add("--poll", type=float, default=5.0, help="idle look at the queue every this many seconds (default 5)")
    add("--metrics-port", type=port, help="serve Prometheus metrics on this port (needs the server extra)")
    add("--metrics-host", default="127.0.0.1", help="address for --metrics-port (default 127.0.0.1)")
    add("--log-format", choices=["text", "json"], default="text", help="stderr log lines (default text)")
    # Jobs are held to the worker's own policy when they run: give it the server's.
    policy.add_arguments(parser)
    priority.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from ansible_inspec_rs import Executor, _core
    from ansible_inspec_rs.errors import AnsibleInspecError, StoreError

    _core.set_log_format(args.log_format)

    # Metrics listen before any job runs (and a taken port stops the worker before it claims).
    running: list[Executor] = []
    metrics = None
    if args.metrics_port is not None:
        try:
            from ansible_inspec_rs.server.metrics import serve_worker_metrics

            current = lambda: running[0] if running else None  # noqa: E731
            metrics = serve_worker_metrics(current, args.metrics_host, args.metrics_port)
        except ImportError as e:
            print(
                f"ansible-inspec-rs worker: --metrics-port needs the server extra ({e.name} is "
                "missing): pip install 'ansible-inspec-rs[server]'",
                file=sys.stderr,
            )
            return 2
        except OSError as e:
            print(f"ansible-inspec-rs worker: --metrics-port: {e}", file=sys.stderr)
            return 2
    try:
        ex = Executor(
            workers=args.workers,
            queue_size=args.queue_size,
            store=args.store,
            recovery=args.recovery,
            max_attempts=args.max_attempts,
            heartbeat_interval=args.heartbeat,
            stale_after=args.stale_after,
            poll_interval=args.poll,
            **policy.executor_kwargs(args),
            **priority.executor_kwargs(args),
        )
    except AnsibleInspecError as e:
        _core.log("store_error" if isinstance(e, StoreError) else "error", f"cannot start: {e}")
        if metrics is not None:
            metrics.shutdown()
        return 2
    running.append(ex)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    served = f"; metrics on http://{args.metrics_host}:{args.metrics_port}/metrics" if metrics else ""
    started = f"running {args.workers} workers on the {ex.storage_backend} store{served}"
    started += "; Ctrl-C or SIGTERM stops it"
    _core.log("start", started, ex.worker_id)
    await stop.wait()
    _core.log("stopping", "stopping: canceling the jobs this worker runs", ex.worker_id)
    await ex.shutdown(drain=False)
    _core.log("stop", "stopped", ex.worker_id)
    if metrics is not None:
        metrics.shutdown()
    return 0
