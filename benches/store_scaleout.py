"""Scale-out on PostgreSQL as an operator runs it (issue 19): one API-only server (`serve`
with WORKERS=0) and 1 or 2 `worker` processes, all real processes on a throwaway PostgreSQL
(tests/pgserver.py). Reports, per worker count:

- throughput: host checks per second, from the store's own timestamps (first start to last
  end), of --jobs jobs x --hosts hosts whose check is `sleep --sleep` (not spawn-bound),
  queued through the API (4 clients) while the idle workers are paused, then run;
- CPU per process over the run (utime + stime, children included: the checks a worker
  spawns are its work; PostgreSQL: the postmaster and every backend but the bench's own
  session, through which it polls), per 1,000 host checks,
  and coordination overhead = (API + PostgreSQL) / workers, without and with what the API
  and PostgreSQL spent accepting the jobs, and how much of it the same processes cost per
  second when idle (measured right after the run: leases, store probes, timers);
- PostgreSQL transactions per second (`pg_stat_database.xact_commit`) and statements per job
  (pg_stat_statements over the run, the bench's own polling left out), the most frequent
  listed with their calls per job and execution time (planning + executing, ms per job), so
  that PostgreSQL's CPU splits into its statements' work and the rest (connections,
  commits, notices);
- the machine's load and busy cores over the run (the machine may be shared: read the
  ratio against them).

Then the LISTEN/NOTIFY start latency: jobs submitted one at a time to an idle worker, the
median of (claimed at - submitted at) from the store. Targets: scale-out 2 vs 1 >= 1.7x
(or CPU per process showing the cores are the limit), overhead < 10 %, latency <= 5 ms.

    .venv/bin/python benches/store_scaleout.py [--jobs 400] [--hosts 3] [--sleep 0.2]
        [--workers 8] [--latency-jobs 40] [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import httpx  # noqa: E402
from helpers import free_port, server_env  # noqa: E402
from pgserver import create_database, postgres_server  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = True) -> float:
    """utime + stime (+ cutime + cstime: reaped children) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def postgres_cpu(
    postmaster: int, leave_out: int = 0, roles: dict[int, str] | None = None
) -> dict[str, float]:
    """The cluster's CPU so far by kind of process: client connections by `roles` (backend
    pid: what its client uses it for, see `backend_roles`; "backends" when not known), each
    background process by its title (walwriter, checkpointer, autovacuum launcher…), and
    "reaped": the postmaster itself with the processes that ended (short-lived autovacuum
    workers, closed connections). `leave_out`: the bench's own session."""
    kinds = {"reaped": cpu_seconds(postmaster)}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            title = (stat.parent / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) != postmaster or int(stat.parent.name) == leave_out:
            continue
        # Background processes are titled "postgres: NAME"; a connection "postgres: USER DB HOST…".
        kind = title.removeprefix("postgres: ").strip()
        if " " in kind and not kind.startswith(("autovacuum", "logical replication")):
            kind = (roles or {}).get(int(stat.parent.name), "backends")
        kinds[kind] = kinds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return kinds


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU by kind between two `postgres_cpu` readings (a process gone in between counts in
    "reaped" after, so kinds can go negative alone; the total is exact)."""
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in sorted({*before, *after})}


def postmaster_pid(url: str) -> int:
    port = url.rsplit("/", 1)[0].rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", "--", f"-p {port} "], capture_output=True, text=True, check=True)
    return int(found.stdout.split()[0])


def busy_cores() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def psql(url: str, sql: str) -> str:
    base, name = url.rsplit("/", 1)
    host, port = base.rsplit("@", 1)[1].split(":")
    cmd = ["psql", "-h", host, "-p", port, "-U", "airs", "-d", name, "-Atc", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


class Session:
    """One psql session for the bench's own queries while a run is measured: a psql per
    query started a backend each time, whose CPU (about 6 ms each, twice a second) the
    postmaster reaped into PostgreSQL's count. This session's backend (`pid`) is left out."""

    def __init__(self, url: str) -> None:
        base, name = url.rsplit("/", 1)
        host, port = base.rsplit("@", 1)[1].split(":")
        cmd = ["psql", "-h", host, "-p", port, "-U", "airs", "-d", name, "-Atq"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.query("SELECT pg_backend_pid()"))

    def query(self, sql: str) -> str:
        """The one-line answer of a one-row, one-column query."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(sql + ";\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


# Each client connection by what it last ran: a LISTEN connection only hears notices (its
# CPU is PostgreSQL waking it for every commit that notifies); the others run statements.
ROLES = (
    "SELECT string_agg(pid || '=' || CASE WHEN query ILIKE 'listen%' OR query ILIKE 'unlisten%'"
    " THEN 'listening connections' ELSE 'statement connections' END, ',') FROM pg_stat_activity"
    " WHERE datname = current_database() AND backend_type = 'client backend'"
)


def backend_roles(session: Session) -> dict[int, str]:
    """Backend pid -> "listening connections" or "statement connections" (see ROLES)."""
    found = session.query(ROLES)
    return {int(pid): role for pid, role in (kv.split("=", 1) for kv in found.split(",") if kv)}


# Seconds the API and PostgreSQL are measured idle after a run.
IDLE_SECONDS = 5.0

XACT_COMMITS = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


@contextmanager
def api_server(url: str, tmp: Path, queue: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = server_env(store_url=url, workers="0", queue_size=str(queue), data_dir=str(tmp))
    log = tmp / f"server-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "ansible_inspec_rs", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(api + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield api, server
    finally:
        server.terminate()
        server.wait(20)


@contextmanager
def worker_processes(url: str, n: int, workers: int, tmp: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", url, "--workers", str(workers)]
    procs = []
    for i in range(n):
        with (tmp / f"worker-{i}.log").open("wb") as log:
            procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT))
    try:
        # Started when each says so (its executor claims from then on).
        deadline = time.monotonic() + 60
        for i, p in enumerate(procs):
            while b"running" not in (tmp / f"worker-{i}.log").read_bytes():
                if p.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"worker did not start:\n{(tmp / f'worker-{i}.log').read_text()}")
                time.sleep(0.1)
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)


def split(n: int, parts: int) -> list[int]:
    return [n // parts + (i < n % parts) for i in range(parts)]


@dataclass
class Run:
    processes: int
    checks: int
    hosts: int
    submit_api_cpu: float
    submit_pg_cpu: float
    checks_per_s: float
    api_cpu: float
    pg_cpu: float
    worker_cpu: list[float]
    tx_per_s: float
    pg_kinds: dict[str, float]
    statements: list[tuple[int, float, str]]
    wall: float
    busy_cores: float
    load: str
    # CPU-s per second the API and PostgreSQL use with every job ended.
    idle_per_s: float

    def report(self) -> None:
        per_k = 1000 / self.checks
        workers = sum(self.worker_cpu)
        overhead = (self.api_cpu + self.pg_cpu) / workers if workers else float("nan")
        with_submit = (self.api_cpu + self.pg_cpu + self.submit_api_cpu + self.submit_pg_cpu) / workers
        each = ", ".join(f"{c / self.wall * 100:.0f} %" for c in self.worker_cpu)
        print(
            f"  {self.processes} worker process(es): {self.checks_per_s:7.1f} host checks/s"
            f" ({self.checks} checks, {self.wall:.1f} s)\n"
            f"    CPU of a core over the run: API {self.api_cpu / self.wall * 100:.0f} %,"
            f" PostgreSQL {self.pg_cpu / self.wall * 100:.0f} %, workers {each};"
            f" machine busy {self.busy_cores:.2f} of 2 cores, load {self.load}\n"
            f"    CPU-s per 1,000 host checks: API {self.api_cpu * per_k:.2f}, PostgreSQL"
            f" {self.pg_cpu * per_k:.2f}, workers {workers * per_k:.2f};"
            f" overhead (API + PostgreSQL) / workers {overhead * 100:.0f} %;"
            f" PostgreSQL {self.tx_per_s:.0f} tx/s\n"
            f"    submitting them beforehand (workers paused): API {self.submit_api_cpu * per_k:.2f},"
            f" PostgreSQL {self.submit_pg_cpu * per_k:.2f} CPU-s per 1,000 host checks;"
            f" overhead with submission {with_submit * 100:.0f} %"
        )
        idle = self.idle_per_s * self.wall
        per_job = (self.api_cpu + self.pg_cpu - idle) / workers if workers else float("nan")
        print(
            f"    idle, the API and PostgreSQL use {self.idle_per_s * 1000:.1f} CPU-ms/s (leases,"
            f" probes, timers): {idle / workers * 100:.0f} points of the overhead over this run;"
            f" the rest, per job: {per_job * 100:.0f} %"
        )
        jobs = self.checks / self.hosts
        total = sum(n for n, _, _ in self.statements)
        ms = sum(t for _, t, _ in self.statements)
        print(
            f"    PostgreSQL statements per job: {total / jobs:.1f}, executing them"
            f" {ms / jobs:.3f} ms per job of PostgreSQL's {self.pg_cpu * 1000 / jobs:.3f} CPU-ms"
            " per job (calls and ms per job:)"
        )
        kinds = sorted(self.pg_kinds.items(), key=lambda kv: -abs(kv[1]))
        print(
            "    PostgreSQL's CPU-ms per job by process: "
            + ", ".join(f"{k} {v * 1000 / jobs:.3f}" for k, v in kinds if abs(v) * 1000 / jobs >= 0.001)
        )
        for n, t, query in self.statements[:8]:
            print(f"      {n / jobs:5.2f} {t / jobs:6.3f}  {' '.join(query.split())[:100]}")


# The bench's own polling, left out of the statement counts.
POLL = "SELECT count(*) FROM jobs WHERE status NOT IN ('pending', 'running')"


def statement_counts(url: str) -> list[tuple[int, float, str]]:
    """(calls, ms planning and executing, query) of this database's statements since the last
    reset, most called first."""
    rows = psql(
        url,
        "SELECT calls || ' ' || round(CAST(total_plan_time + total_exec_time AS numeric), 3) || ' '"
        " || regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND query NOT LIKE 'SELECT count(*) FROM jobs WHERE status NOT IN%'"
        " AND query NOT LIKE 'SELECT xact_commit FROM pg_stat_database%'"
        " AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC",
    )
    return [(int(n), float(t), q) for n, t, q in (r.split(" ", 2) for r in rows.splitlines())]


def scale_run(base: str, tmp: Path, processes: int, args: argparse.Namespace) -> Run:
    url = create_database(base)
    psql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    pm = postmaster_pid(url)
    checks = args.jobs * args.hosts
    with (
        api_server(url, tmp, args.jobs + 10) as (api, server),
        worker_processes(url, processes, args.workers, tmp) as workers,
    ):
        client = httpx.Client(base_url=api, timeout=60)
        tpl = {
            "name": "sleep",
            "command": ["sleep", str(args.sleep)],
            "connection": "local",
            "forks": args.hosts,
        }
        client.post("/api/v1/templates", json=tpl).raise_for_status()
        hosts = [f"h{i}" for i in range(args.hosts)]
        time.sleep(1.0)  # idle: the workers listen
        pids = [server.pid, *(w.pid for w in workers)]

        def submit(n: int) -> None:
            with httpx.Client(base_url=api, timeout=60) as c:
                for _ in range(n):
                    c.post("/api/v1/jobs", json={"template_name": "sleep", "hosts": hosts}).raise_for_status()

        # The queue is filled first, by 4 clients, with the (idle, listening) workers paused:
        # what is measured then is the run, not how fast one client submits; the notices
        # wait in the workers' connections. Their leases (30 s) outlast the pause.
        for w in workers:
            w.send_signal(signal.SIGSTOP)
        api_s0, pg_s0 = cpu_seconds(server.pid), sum(postgres_cpu(pm).values())
        submitters = [threading.Thread(target=submit, args=(n,)) for n in split(args.jobs, 4)]
        for t in submitters:
            t.start()
        for t in submitters:
            t.join()
        submit_api, submit_pg = cpu_seconds(server.pid) - api_s0, sum(postgres_cpu(pm).values()) - pg_s0
        session = Session(url)
        session.query("SELECT pg_stat_statements_reset()")
        time.sleep(0.2)  # backends that ended before are reaped into the postmaster's count
        cpu0 = [cpu_seconds(p) for p in pids]
        tx0 = int(session.query(XACT_COMMITS))
        roles = backend_roles(session)
        pg0, busy0, t0 = postgres_cpu(pm, session.pid, roles), busy_cores(), time.monotonic()
        for w in workers:
            w.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 600
        while True:
            done = int(session.query(POLL))
            if done >= args.jobs:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {done} of {args.jobs} jobs ended in 600 s")
            time.sleep(0.5)
        cpu1 = [cpu_seconds(p) for p in pids]
        roles |= backend_roles(session)
        pg1, busy1, t1 = postgres_cpu(pm, session.pid, roles), busy_cores(), time.monotonic()
        tx1 = int(session.query(XACT_COMMITS))
        # The same processes idle (all jobs ended): what the API and PostgreSQL cost per
        # second whatever the jobs (leases, probes, recovery, timers).
        time.sleep(0.5)
        idle0 = cpu_seconds(server.pid) + sum(postgres_cpu(pm, session.pid, roles).values())
        time.sleep(IDLE_SECONDS)
        idle1 = cpu_seconds(server.pid) + sum(postgres_cpu(pm, session.pid, roles).values())
        session.close()
        load = Path("/proc/loadavg").read_text().split()[0]
        statements = statement_counts(url)
        bad = psql(url, "SELECT count(*) FROM jobs WHERE status <> 'successful'")
        if bad != "0":
            raise SystemExit(f"{bad} jobs did not succeed: see {tmp}")
        first, last = psql(url, "SELECT min(started_at) || ' ' || max(finished_at) FROM jobs").split()
        span = (ts(last) - ts(first)).total_seconds()
        client.close()
    used = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
    wall = t1 - t0
    return Run(
        processes=processes,
        checks=checks,
        hosts=args.hosts,
        submit_api_cpu=submit_api,
        submit_pg_cpu=submit_pg,
        checks_per_s=checks / span,
        api_cpu=used[0],
        pg_cpu=sum(pg1.values()) - sum(pg0.values()),
        pg_kinds=cpu_used(pg0, pg1),
        worker_cpu=used[1:],
        tx_per_s=(tx1 - tx0) / wall,
        statements=statements,
        wall=wall,
        busy_cores=(busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * (os.cpu_count() or 1),
        load=load,
        idle_per_s=(idle1 - idle0) / IDLE_SECONDS,
    )


def start_latency(base: str, tmp: Path, n: int) -> list[float]:
    """ms from submission to claim, jobs submitted one at a time to an idle worker."""
    url = create_database(base)
    with api_server(url, tmp, n + 10) as (api, _server), worker_processes(url, 1, 2, tmp):
        with httpx.Client(base_url=api, timeout=30) as client:
            tpl = {"name": "t", "command": ["true"], "connection": "local"}
            client.post("/api/v1/templates", json=tpl).raise_for_status()
            time.sleep(1.0)
            ids = []
            for _ in range(n):
                r = client.post("/api/v1/jobs", json={"template_name": "t", "hosts": ["h"]})
                r.raise_for_status()
                job_id = r.json()["job_id"]
                ids.append(job_id)
                deadline = time.monotonic() + 30
                while client.get(f"/api/v1/jobs/{job_id}").json()["status"] in ("pending", "running"):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"job {job_id} did not end in 30 s")
                    time.sleep(0.05)
                time.sleep(0.2)  # idle again: the worker waits for a notice
        rows = psql(url, "SELECT created_at || ' ' || started_at FROM jobs").splitlines()
    return [(ts(b) - ts(a)).total_seconds() * 1000 for a, b in (r.split() for r in rows)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=400)
    p.add_argument("--hosts", type=int, default=3)
    p.add_argument("--sleep", type=float, default=0.2)
    p.add_argument("--workers", type=int, default=8, help="jobs each worker process runs at once")
    p.add_argument("--repeat", type=int, default=1, help="rounds of 1 then 2 processes")
    p.add_argument("--latency-jobs", type=int, default=40)
    p.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run; numbers mean nothing)")
    args = p.parse_args()
    if args.quick:
        args.jobs, args.hosts, args.sleep, args.latency_jobs = 8, 2, 0.05, 3
    stats = ("shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_planning=on")
    with postgres_server(*stats) as base, tempfile.TemporaryDirectory(prefix="airs-scale-") as tmp:
        print(
            f"scale-out on PostgreSQL: {args.jobs} jobs x {args.hosts} hosts of `sleep {args.sleep}`,"
            f" API-only server + worker processes with --workers {args.workers}"
        )
        runs: dict[int, list[Run]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for n in runs:
                run = scale_run(base, Path(tmp), n, args)
                run.report()
                runs[n].append(run)
        one, two = (statistics.median(r.checks_per_s for r in runs[n]) for n in (1, 2))
        print(f"  2 vs 1 worker processes: {two / one:.2f}x (target >= 1.7x)")
        if args.latency_jobs < 1:
            return
        lat = start_latency(base, Path(tmp), args.latency_jobs)
        print(
            f"start latency (submitted -> claimed, idle worker, {len(lat)} jobs): median"
            f" {statistics.median(lat):.1f} ms, max {max(lat):.1f} ms (target <= 5 ms median)"
        )


if __name__ == "__main__":
    main()
