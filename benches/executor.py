"""Executor benchmark (`make bench`): the same work through four executors, side by side.

Work: J jobs x H hosts x the `true` command, forks 5, workers 8. Variants:
  ours     this Executor (Rust/tokio)
  asyncio  the textbook pattern: asyncio.Queue worker pool, gather over
           create_subprocess_exec under a semaphore
  threads  thread per job, subprocess.run per host (the upstream project's shape)
  xargs    `xargs -P 16` spawning the same count: this machine's spawn ceiling
Each variant runs in its own process (so peak RSS is its own), --repeat times, interleaved;
medians are printed with ratios. Checks/s and the worst event-loop lag (a 5 ms ticker) are
measured over the work itself: set-up (building the Executor, storing its template) is outside.
The same ticker in a bystander process (plain asyncio, none of our code) runs over the same
window: its worst lag is what the machine's scheduling alone gives a loop meanwhile.
A second mode submits 100,000 no-op jobs (empty host list, `allow_empty=True`) through the
public API: jobs/s and memory per completed job (`--noop 0` skips it).
`--quick`: tiny sizes, one round, for `make test` (a smoke run; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

FORKS = 5
WORKERS = 8


Work = Callable[[], Awaitable[None]]
# Runs a variant's work inside the measured window (the ticker runs, the clock runs).
Measure = Callable[[Work], Awaitable[None]]


async def with_ticker(work: Work) -> tuple[float, float]:
    """Runs `work` while a 5 ms ticker measures event-loop lag; returns (seconds, worst lag)."""
    worst = 0.0

    async def ticker() -> None:
        nonlocal worst
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - t - 0.005)

    tick = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.02)
    t0 = time.perf_counter()
    try:
        await work()
    finally:
        tick.cancel()
    return time.perf_counter() - t0, worst


class Bystander:
    """The 5 ms ticker in a separate process (this file with --bystander) until stopped."""

    def __enter__(self) -> Bystander:
        argv = [sys.executable, __file__, "--bystander"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # ticking
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate("stop\n", timeout=30)
        self.worst = float(out.strip().splitlines()[-1])


def bystander() -> None:
    """Ticks until a line arrives on stdin, then prints the worst lag in seconds."""

    async def main() -> float:
        loop = asyncio.get_running_loop()
        stop = loop.run_in_executor(None, sys.stdin.readline)
        print("ticking", flush=True)

        async def work() -> None:
            await stop

        return (await with_ticker(work))[1]

    print(asyncio.run(main()), flush=True)


async def ours(jobs: int, hosts: int, measure: Measure) -> None:
    """Built (and its template stored) before the window opens: the targets are about the
    checks; `Executor(...)` is a synchronous constructor that opens the store."""
    from ansible_inspec_rs import Executor, Template

    async with Executor(workers=WORKERS, queue_size=max(jobs, 1)) as ex:
        await ex.templates.create(Template("true", connection="local", command=["true"], forks=FORKS))
        host_list = [f"h{i}" for i in range(hosts)]

        async def run() -> None:
            submitted = [await ex.submit("true", hosts=host_list) for _ in range(jobs)]
            for job in submitted:
                done = await job
                assert done.status == "successful", done.status

        await measure(run)


async def asyncio_pattern(jobs: int, hosts: int) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for j in range(jobs):
        queue.put_nowait(j)

    async def check(sem: asyncio.Semaphore) -> None:
        async with sem:
            proc = await asyncio.create_subprocess_exec("true")
            assert await proc.wait() == 0

    async def worker() -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sem = asyncio.Semaphore(FORKS)
            await asyncio.gather(*(check(sem) for _ in range(hosts)))

    await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def threads(jobs: int, hosts: int) -> None:
    def one_job() -> None:
        with ThreadPoolExecutor(FORKS) as pool:
            codes = list(pool.map(lambda _: subprocess.run(["true"]).returncode, range(hosts)))
        assert codes == [0] * hosts

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(WORKERS) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, one_job) for _ in range(jobs)))


async def xargs(jobs: int, hosts: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        "xargs", "-P", "16", "-n", "1", "true", stdin=asyncio.subprocess.PIPE
    )
    await proc.communicate(("x\n" * (jobs * hosts)).encode())
    assert proc.returncode == 0


def without_setup(
    work: Callable[[int, int], Awaitable[None]],
) -> Callable[[int, int, Measure], Awaitable[None]]:
    async def variant(jobs: int, hosts: int, measure: Measure) -> None:
        await measure(lambda: work(jobs, hosts))

    return variant


VARIANTS: dict[str, Callable[[int, int, Measure], Awaitable[None]]] = {
    "ours": ours,
    "asyncio": without_setup(asyncio_pattern),
    "threads": without_setup(threads),
    "xargs": without_setup(xargs),
}


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (resource.getpagesize() // 1024)


async def noop(count: int, wave: int = 1000) -> dict[str, float]:
    """Submits and awaits `count` no-op jobs in waves of `wave`: jobs/s, and the memory the
    executor retains per completed job (RSS growth; live handles of one wave at most)."""
    from ansible_inspec_rs import Executor, Template

    async with Executor(workers=WORKERS, queue_size=max(wave, 1)) as ex:
        await ex.templates.create(Template("noop", connection="local", command=["true"]))
        before = rss_kib()
        t0 = time.perf_counter()
        done = 0
        while done < count:
            n = min(wave, count - done)
            submitted = [await ex.submit("noop", allow_empty=True) for _ in range(n)]
            for job in submitted:
                await job
            assert submitted[-1].status == "successful"
            done += n
        elapsed = time.perf_counter() - t0
        after = rss_kib()
        assert await ex.count() == count  # every completed job is still held by the store
    return {"jobs_per_s": count / elapsed, "bytes_per_job": (after - before) * 1024 / count}


def child(args: argparse.Namespace) -> None:
    if args.variant == "noop":
        result: dict[str, Any] = asyncio.run(noop(args.noop))
    else:
        variant = VARIANTS[args.variant]

        async def main() -> dict[str, float]:
            window: dict[str, float] = {}

            async def measure(work: Work) -> None:
                with Bystander() as other:
                    window["seconds"], window["lag"] = await with_ticker(work)
                window["bystander_lag"] = other.worst

            await variant(args.jobs, args.hosts, measure)
            return window

        result = asyncio.run(main())
        result["checks_per_s"] = args.jobs * args.hosts / result["seconds"]
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(variant: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--variant", variant, "--jobs", str(args.jobs)]
    cmd += ["--hosts", str(args.hosts), "--noop", str(args.noop)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    parsed: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return parsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=40)
    p.add_argument("--hosts", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--noop", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run for `make test`)")
    p.add_argument("--variant", help=argparse.SUPPRESS)
    p.add_argument("--bystander", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.bystander:
        bystander()
        return
    if args.quick:
        args.jobs, args.hosts, args.repeat, args.noop = 2, 3, 1, min(args.noop, 200)
    if args.variant:
        child(args)
        return

    checks = args.jobs * args.hosts
    print(f"executor benchmark: {args.jobs} jobs x {args.hosts} hosts x `true` = {checks} checks,")
    print(f"forks {FORKS}, workers {WORKERS}, {args.repeat} interleaved rounds, medians\n")
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for r in range(args.repeat):
        for v in VARIANTS:
            runs[v].append(run_child(v, args))
            print(f"  round {r + 1}: {v:8s} {runs[v][-1]['checks_per_s']:8.0f} checks/s", flush=True)

    def med(v: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[v])

    head = f"{'variant':10s}{'checks/s':>10s}{'ours ÷ it':>11s}{'peak RSS':>11s}{'worst lag':>11s}"
    print(f"\n{head}{'bystander':>11s}")
    for v in VARIANTS:
        ratio = med("ours", "checks_per_s") / med(v, "checks_per_s")
        lag = "n/a" if v == "xargs" else f"{med(v, 'lag') * 1000:.1f} ms"
        other = f"{med(v, 'bystander_lag') * 1000:.1f} ms"
        print(
            f"{v:10s}{med(v, 'checks_per_s'):10.0f}{ratio:10.2f}x{med(v, 'peak_rss_mib'):8.1f} MiB"
            f"{lag:>11s}{other:>11s}"
        )
    print("\ntargets: ours >= 0.9 x xargs, >= 1.4 x asyncio, worst lag <= 5 ms")
    print("(bystander: the worst lag of the same ticker in a separate process meanwhile: the floor")
    print(" this machine's scheduling sets for any loop while the work saturates it)")

    if args.noop <= 0:
        return
    noops = [run_child("noop", args) for _ in range(args.repeat)]
    jps = statistics.median(n["jobs_per_s"] for n in noops)
    bpj = statistics.median(n["bytes_per_job"] for n in noops)
    print(f"\nno-op dispatch: {args.noop} jobs with no hosts, submitted and awaited through the API")
    print(f"  {jps:,.0f} jobs/s (target >= 25,000), {bpj:,.0f} bytes per completed job (target <= 2,048)")


if __name__ == "__main__":
    main()
