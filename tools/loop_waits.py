"""Who held the cores while our event loop waited for one (issue 17's loop-lag diagnosis).

Runs one `benches/executor.py` round of ours under `perf sched record` (root or
perf_event_paranoid <= 0), then, for every time the loop's thread waited more than `--min-ms`
on a run queue after waking, sums what ran on both cores meanwhile: other processes of the
machine, our check processes, our own other threads (runtime, check starters), the benchmark's
bystander. The benchmark itself says how long the loop waited; this says who it waited for.

    .venv/bin/python tools/loop_waits.py [--jobs 40 --hosts 50] [--min-ms 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benches" / "executor.py"
FORK = re.compile(r"(\d+)/\d+\s+[\d.]+: sched:sched_process_fork: .* child_pid=(\d+)")
TASK = re.compile(r"(.*)\[(\d+)(?:/(\d+))?\]$")
CORES = 2


def record(folder: Path, jobs: int, hosts: int) -> tuple[Path, int, dict[str, float]]:
    data, pid = folder / "sched.data", folder / "pid"
    bench = f"{sys.executable} {BENCH} --variant ours --jobs {jobs} --hosts {hosts} --noop 0"
    cmd = [
        "perf",
        "sched",
        "record",
        "-q",
        "-o",
        str(data),
        "--",
        "sh",
        "-c",
        f"echo $$ > {pid}; exec {bench}",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return data, int(pid.read_text()), json.loads(out.strip().splitlines()[-1])


def parents(data: Path) -> dict[int, int]:
    """Child pid -> the pid (thread group) that started it."""
    script = subprocess.run(
        ["perf", "script", "-i", str(data), "-F", "tid,pid,time,event,trace"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {int(m[2]): int(m[1]) for m in FORK.finditer(script)}


def attribute(data: Path, ours: int, min_ms: float) -> tuple[int, float, dict[str, float]]:
    parent = parents(data)

    def kind(tid: int, tgid: int, comm: str) -> str:
        if comm == "<idle>":
            return "idle"
        if tgid == ours:
            return "our other threads" if tid != ours else "our loop"
        p, hops = parent.get(tgid), 0
        while p is not None and hops < 8:
            if p == ours:
                return "bystander" if comm.startswith("python") else "our check processes"
            p, hops = parent.get(p), hops + 1
        return "other processes"

    timehist = subprocess.run(
        ["perf", "sched", "timehist", "-i", str(data)], check=True, capture_output=True, text=True
    ).stdout
    runs: dict[int, list[tuple[float, float, str]]] = collections.defaultdict(list)
    waits: list[tuple[float, float, int]] = []
    for line in timehist.splitlines()[3:]:
        f = line.split()
        m = TASK.match(" ".join(f[2:-3]))
        if len(f) < 6 or m is None:
            continue
        try:
            end, cpu, delay, ran = float(f[0]), int(f[1].strip("[]")), float(f[-2]), float(f[-1])
        except ValueError:  # not a switch line
            continue
        tid, tgid = int(m[2]), int(m[3] or m[2])
        start = end - ran / 1e3
        runs[cpu].append((start, end, kind(tid, tgid, m[1])))
        if tid == ours and delay > min_ms:
            waits.append((start - delay / 1e3, start, cpu))
    share: collections.Counter[str] = collections.Counter()
    for s, e, cpu in waits:
        for core, spans in runs.items():
            where = "its core" if core == cpu else "other core"
            for a, b, who in spans:
                if min(b, e) > max(a, s):
                    share[f"{who} ({where})"] += min(b, e) - max(a, s)
    waited = sum(e - s for s, e, _ in waits)
    return len(waits), waited, {k: v / (waited * CORES) for k, v in share.most_common()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=40)
    p.add_argument("--hosts", type=int, default=50)
    p.add_argument("--min-ms", type=float, default=1.0, help="waits longer than this count (default 1)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data, ours, bench = record(Path(folder), args.jobs, args.hosts)
        count, waited, share = attribute(data, ours, args.min_ms)
    print(f"worst loop lag {bench['lag'] * 1e3:.1f} ms (bystander {bench['bystander_lag'] * 1e3:.1f} ms)")
    print(f"the loop's thread waited {count} times > {args.min_ms:g} ms for a core, {waited * 1e3:.1f} ms")
    print("meanwhile the two cores ran:")
    for who, part in share.items():
        print(f"  {part:6.1%}  {who}")


if __name__ == "__main__":
    main()
