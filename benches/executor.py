"""Executor benchmark (`make bench`): the same work through four executors, side by side.

Work: J jobs x H hosts x the `true` command, forks 5, workers 8. Variants:
  ours     this Executor (Rust/tokio)
  asyncio  the textbook pattern: asyncio.Queue worker pool, gather over
           create_subprocess_exec under a semaphore
  threads  thread per job, subprocess.run per host (the upstream project's shape)
  xargs    `xargs -P 16` spawning the same count: this machine's spawn ceiling
Each variant runs in its own process (so peak RSS is its own), --repeat times, interleaved;
medians are printed with ratios. Checks/s and event-loop lag (a 5 ms ticker) are measured over
the work itself: set-up (building the Executor, storing its template) is outside. Lag: the
median over rounds of each round's worst tick, and of each round's p99. The same ticker in a
bystander process (plain asyncio, none of our code) runs over the same window: its lag is what
the machine's scheduling alone gives a loop meanwhile, printed beside ours round by round. (It
is the benchmark's child, so it shares the session, hence the scheduler's autogroup, with our
loop and the checks: the same position as the loop it stands beside.)
For ours, the loop thread's lateness is split with the kernel's per-thread counters into
run-queue wait (ready, no core free), CPU on the loop (callbacks: our deliveries among them)
and the rest (asyncio rounds its epoll timeout up to a whole millisecond; waiting for the
GIL); our deliveries to the loop are counted, and CPU time per 1,000 checks is split into the
loop's thread, the process's other threads (runtime, check starters) and the check processes.
A second mode submits 100,000 no-op jobs (empty host list, `allow_empty=True`) through the
public API: jobs/s and memory per completed job (`--noop 0` skips it).
`--quick`: tiny sizes, one round, for `make test` (a smoke run; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


class Ticker:
    """A 5 ms ticker on the running loop. Per tick it records the lag (how late it woke) and
    what the loop's thread did meanwhile, from the kernel's per-thread counters: the time it
    waited on a run queue for a core (schedstat `run_delay`: the machine's scheduling) and the
    CPU time it ran (callbacks on the loop: our result deliveries among them). The rest of a
    tick's lag is epoll's whole-millisecond rounding of the timeout and time blocked while due
    (waiting for the GIL)."""

    PERIOD = 0.005

    def __init__(self) -> None:
        # (lag, run-queue wait, CPU on the loop thread), seconds, one per tick
        self.ticks: list[tuple[float, float, float]] = []
        self._task: asyncio.Future[None] | None = None

    async def _run(self) -> None:
        fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # this (the loop's) thread
        try:
            while True:
                t, wait, cpu = time.perf_counter(), _run_delay(fd), time.thread_time()
                await asyncio.sleep(self.PERIOD)
                lag = time.perf_counter() - t - self.PERIOD
                self.ticks.append((lag, _run_delay(fd) - wait, time.thread_time() - cpu))
        finally:
            os.close(fd)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        return lag_summary(self.ticks)


def _run_delay(fd: int) -> float:
    """The calling thread's total wait on a run queue so far (seconds)."""
    return int(os.pread(fd, 128, 0).split()[1]) / 1e9


LATE = 0.001


def lag_summary(ticks: list[tuple[float, float, float]]) -> dict[str, float]:
    """Worst and p99 lag of one window, and how the worst tick's lag splits into run-queue
    wait, loop CPU and the rest (timer rounding, the GIL)."""
    if not ticks:
        ticks = [(0.0, 0.0, 0.0)]
    lags = sorted(t[0] for t in ticks)
    late = [t for t in ticks if t[0] > LATE]
    worst = max(ticks)
    lag, wait, cpu = worst
    return {
        "lag": lag,
        "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        "worst_wait": wait,
        "worst_cpu": cpu,
        "worst_other": max(0.0, lag - wait - cpu),
        "ticks": len(ticks),
        # Over every tick later than LATE: where the lateness went (robust beside one worst tick).
        "late_lag": sum(t[0] for t in late),
        "late_wait": sum(min(t[1], t[0]) for t in late),
        "late_cpu": sum(min(t[2], t[0] - min(t[1], t[0])) for t in late),
    }


async def with_ticker(work: Work) -> tuple[float, dict[str, float]]:
    """Runs `work` while a Ticker measures event-loop lag; returns (seconds, lag summary)."""
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(0.02)
    ticker.ticks.clear()  # the ticker's own start-up is outside the window
    t0 = time.perf_counter()
    try:
        await work()
    finally:
        summary = ticker.stop()
    return time.perf_counter() - t0, summary


class Bystander:
    """The Ticker in a separate process (this file with --bystander) until stopped."""

    def __enter__(self) -> Bystander:
        argv = [sys.executable, __file__, "--bystander"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # ticking
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate("stop\n", timeout=30)
        self.summary: dict[str, float] = json.loads(out.strip().splitlines()[-1])


def bystander() -> None:
    """Ticks until a line arrives on stdin, then prints its lag summary as JSON."""

    async def main() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        stop = loop.run_in_executor(None, sys.stdin.readline)
        print("ticking", flush=True)

        async def work() -> None:
            await stop

        return (await with_ticker(work))[1]

    print(json.dumps(asyncio.run(main())), flush=True)


class Deliveries:
    """Counts our results delivered to the loop (`_aio.complete`: one loop wake-up each) and
    the loop's time inside them. Installed before the first awaitable call (`_core` looks the
    helper up once)."""

    def __init__(self) -> None:
        from ansible_inspec_rs import _aio

        self.count, self.seconds = 0, 0.0
        inner = _aio.complete

        def complete(fut: asyncio.Future[Any], failed: bool, value: Any) -> None:
            t = time.perf_counter()
            inner(fut, failed, value)
            self.seconds += time.perf_counter() - t
            self.count += 1

        _aio.complete = complete


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


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process and of its reaped children."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


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
        deliveries = Deliveries() if args.variant == "ours" else None

        async def main() -> dict[str, float]:
            window: dict[str, float] = {}

            async def measure(work: Work) -> None:
                before, loop_cpu = cpu_seconds(), time.thread_time()
                with Bystander() as other:
                    window["seconds"], lags = await with_ticker(work)
                    after, loop_cpu = cpu_seconds(), time.thread_time() - loop_cpu  # before it is reaped
                window.update(lags)
                window.update({f"bystander_{k}": v for k, v in other.summary.items()})
                # CPU in the window: the loop's thread, this process's other threads (the
                # runtime, the check starters), the reaped check processes.
                window["loop_cpu"] = loop_cpu
                window["other_threads_cpu"] = after[0] - before[0] - loop_cpu
                window["children_cpu"] = after[1] - before[1]
                if deliveries is not None:
                    window["deliveries"], window["delivery_s"] = deliveries.count, deliveries.seconds

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
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--variants", help=f"comma-separated subset of {','.join(VARIANTS)} (default: all)")
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
    if args.variants and not set(args.variants.split(",")) <= set(VARIANTS):
        p.error(f"--variants: choose from {', '.join(VARIANTS)}")
    if args.variant:
        child(args)
        return

    checks = args.jobs * args.hosts
    print(f"executor benchmark: {args.jobs} jobs x {args.hosts} hosts x `true` = {checks} checks,")
    print(f"forks {FORKS}, workers {WORKERS}, {args.repeat} interleaved rounds, medians\n")
    variants = args.variants.split(",") if args.variants else list(VARIANTS)
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    for r in range(args.repeat):
        for v in variants:
            runs[v].append(run_child(v, args))
            print(f"  round {r + 1}: {v:8s} {runs[v][-1]['checks_per_s']:8.0f} checks/s", flush=True)

    def med(v: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[v])

    head = f"{'variant':10s}{'checks/s':>10s}{'ours ÷ it':>11s}{'peak RSS':>11s}"
    print(f"\n{head}{'worst lag':>11s}{'p99 lag':>10s}  {'bystander: worst':>16s}{'p99':>9s}")
    for v in variants:
        ratio = med("ours", "checks_per_s") / med(v, "checks_per_s") if "ours" in runs else 1.0
        lag, p99 = ("n/a", "n/a") if v == "xargs" else (ms(med(v, "lag")), ms(med(v, "p99")))
        print(
            f"{v:10s}{med(v, 'checks_per_s'):10.0f}{ratio:10.2f}x{med(v, 'peak_rss_mib'):8.1f} MiB"
            f"{lag:>11s}{p99:>10s}  {ms(med(v, 'bystander_lag')):>16s}{ms(med(v, 'bystander_p99')):>9s}"
        )
    print("\ntargets: ours >= 0.9 x xargs, >= 1.4 x asyncio, worst lag <= 5 ms")
    print("(worst lag: median over rounds of each round's worst tick; p99: median of each round's p99.")
    print(" bystander: the same ticker in a separate process over the same window, running none of")
    print(" our code: the floor this machine's scheduling sets for any loop while the work runs)")
    if "ours" in runs:
        ours_runs = runs["ours"]
        excess = statistics.median(r["lag"] - r["bystander_lag"] for r in ours_runs)
        per_k = 1000 / max(args.jobs * args.hosts, 1)
        print(f"\nours, the loop's thread (medians over {len(ours_runs)} rounds):")
        print(f"  worst lag minus the bystander's in the same round: {ms(excess)}")
        print(
            f"  worst tick {ms(med('ours', 'lag'))}: run-queue wait {ms(med('ours', 'worst_wait'))}"
            f", loop CPU {ms(med('ours', 'worst_cpu'))}, other {ms(med('ours', 'worst_other'))}"
            f"   (bystander: wait {ms(med('ours', 'bystander_worst_wait'))})"
        )
        for who, prefix in (("ours", ""), ("bystander", "bystander_")):
            late = sum(r[f"{prefix}late_lag"] for r in ours_runs)
            if not late:
                print(f"  {who}: no tick later than {LATE * 1000:.0f} ms")
                continue
            wait, cpu = (sum(r[f"{prefix}{k}"] for r in ours_runs) / late for k in ("late_wait", "late_cpu"))
            print(
                f"  {who}: ticks later than {LATE * 1000:.0f} ms, {ms(late / len(ours_runs))} of lateness a"
                f" round: {wait:.0%} run-queue wait, {cpu:.0%} loop CPU, {max(0.0, 1 - wait - cpu):.0%} other"
            )
        print(
            f"  deliveries to the loop: {med('ours', 'deliveries') / max(args.jobs, 1):.2f} per job,"
            f" {med('ours', 'delivery_s') * 1e6 / max(med('ours', 'deliveries'), 1):.0f} µs each;"
            f" CPU per 1,000 checks: loop {ms(med('ours', 'loop_cpu') * per_k)},"
            f" other threads {ms(med('ours', 'other_threads_cpu') * per_k)},"
            f" check processes {ms(med('ours', 'children_cpu') * per_k)}"
        )

    if args.noop <= 0:
        return
    noops = [run_child("noop", args) for _ in range(args.repeat)]
    jps = statistics.median(n["jobs_per_s"] for n in noops)
    bpj = statistics.median(n["bytes_per_job"] for n in noops)
    print(f"\nno-op dispatch: {args.noop} jobs with no hosts, submitted and awaited through the API")
    print(f"  {jps:,.0f} jobs/s (target >= 25,000), {bpj:,.0f} bytes per completed job (target <= 2,048)")


if __name__ == "__main__":
    main()
