"""Store overhead benchmark (`make bench`): the same jobs through the memory, SQLite and
PostgreSQL stores, and PostgreSQL shared by one vs two worker processes.

Workloads: no-op jobs (no hosts: pure dispatch + store writes), `true` jobs (J x H spawns,
forks 5, workers 8), and for scale-out jobs whose check sleeps (not spawn-bound).
PostgreSQL is a throwaway server started here (tests/pgserver.py). Medians of --repeat rounds,
each round running every store (or worker count) in turn.
`--quick`: tiny sizes, one round, for `make test` (a smoke run; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ansible_inspec_rs import Executor, Template
from pgserver import create_database, postgres_server


async def run_jobs(store: str | None, jobs: int, hosts: int) -> float:
    """Jobs per second through `Executor(store=...)`."""
    async with Executor(workers=8, queue_size=max(jobs, 1), store=store) as ex:
        await ex.templates.create(Template("t", connection="local", command=["true"], forks=5))
        host_list = [f"h{i}" for i in range(hosts)]
        t0 = time.perf_counter()
        # The noop workload checks no host (allow_empty): the store's cost per job, alone.
        submitted = [await ex.submit("t", hosts=host_list, allow_empty=True) for _ in range(jobs)]
        for j in submitted:
            done = await j
            why = f"{store or 'memory'}: job {done.id} {done.status}: {done.error}"
            assert done.status == "successful", why
        return jobs / (time.perf_counter() - t0)


async def scale_out(url: str, processes: int, jobs: int, sleep: float) -> float:
    """Jobs per second when `processes` worker processes (8 workers each) share the queue.

    The workers start first (and idle); then every job is queued at once, faster than the
    workers take them, and the rate is read from the store's own timestamps (first start
    to last end): the submitter's waiting and the workers' start-up are not measured.
    """
    ex = Executor(workers=0, store=url, queue_size=jobs + 1)
    await ex.templates.create(Template("sleep", connection="local", command=["sleep", str(sleep)]))
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", url, "--workers", "8"]
    workers = [
        await asyncio.create_subprocess_exec(*cmd, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(processes)
    ]
    try:
        await asyncio.sleep(2.0)  # let them connect and listen
        for chunk in range(0, jobs, 50):
            await asyncio.gather(
                *(ex.submit("sleep", hosts=["h"]) for _ in range(chunk, min(chunk + 50, jobs)))
            )
        deadline = time.monotonic() + 300
        while await ex.count(status="successful") < jobs:
            assert time.monotonic() < deadline, "the workers did not finish in 300 s"
            assert await ex.count(status="error") == 0
            await asyncio.sleep(0.1)
        done = await ex.list()
        first = min(j.started_at for j in done if j.started_at)
        last = max(j.finished_at for j in done if j.finished_at)
        return jobs / (last - first).total_seconds()
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            await w.wait()
        await ex.shutdown()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--noop", type=int, default=5000)
    p.add_argument("--jobs", type=int, default=20)
    p.add_argument("--hosts", type=int, default=50)
    p.add_argument("--scale-jobs", type=int, default=400)
    p.add_argument("--sleep", type=float, default=0.2)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run for `make test`)")
    args = p.parse_args()
    if args.quick:
        args.repeat, args.noop, args.jobs, args.hosts, args.scale_jobs, args.sleep = 1, 50, 2, 3, 8, 0.05
    tmp = Path(tempfile.mkdtemp(prefix="airs-bench-"))
    with postgres_server() as pg:
        stores = ("memory", "sqlite", "postgresql")
        # Rounds interleave the stores, so load that drifts during the run hits them alike;
        # each store's cost is also taken per round, against that round's memory run.
        runs: dict[str, dict[str, list[float]]] = {n: {"noop": [], "true": []} for n in stores}
        workloads = (("noop", args.noop, 0), ("true", args.jobs, args.hosts))
        for workload, jobs, hosts in workloads:
            for r in range(args.repeat):
                for name in stores:
                    store = {
                        "memory": None,
                        "sqlite": f"sqlite://{tmp}/{workload}-{r}.db",
                        "postgresql": create_database(pg),
                    }[name]
                    runs[name][workload].append(asyncio.run(run_jobs(store, jobs, hosts)))
            for name in stores:
                unit = "jobs/s" if workload == "noop" else "host checks/s"
                rate = statistics.median(runs[name][workload]) * (1 if workload == "noop" else hosts)
                print(f"  {name:10s} {workload:5s} {rate:10,.0f} {unit}", flush=True)
        print("\nstore cost against memory (1 - store/memory), median over rounds of the paired runs:")
        for name in ("sqlite", "postgresql"):
            for workload, _, _ in workloads:
                pairs = zip(runs[name][workload], runs["memory"][workload], strict=True)
                cost = statistics.median(1 - s / m for s, m in pairs)
                print(f"  {name:10s} {workload:5s} {cost * 100:6.1f} %")
        print("  target: sqlite costs <= 20 % on the `true` workload")

        scale: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for processes in scale:
                url = create_database(pg)
                scale[processes].append(asyncio.run(scale_out(url, processes, args.scale_jobs, args.sleep)))
        one, two = (statistics.median(scale[n]) for n in (1, 2))
        print(f"\nscale-out on PostgreSQL, {args.scale_jobs} jobs of `sleep {args.sleep}`:")
        print(
            f"  1 worker process: {one:6.1f} jobs/s; 2 worker processes: {two:6.1f} jobs/s;"
            f" ratio {two / one:.2f}x"
        )
        print("  target: >= 1.7x")


if __name__ == "__main__":
    main()
