"""Load benchmark of the REST server on loopback (``make bench``).

Starts ``ansible-inspec-rs serve`` on a free 127.0.0.1 port and drives it from a second process:
``wrk`` (installed with apt-get when missing and possible) or, without it, a keep-alive HTTP/1.1
load generator on raw asyncio sockets (slower: on 2 cores it can be the bottleneck itself).
Every loop is bounded in requests and seconds and targets 127.0.0.1 only.

Measures (each scenario repeated, medians printed):
  A. GET /api/v1/jobs/{id} requests/s                      target >= 2,000 req/s
  B. submit + status (POST /api/v1/jobs, then GET it) requests/s
  C. /health latency p50/p99 while a job checks 2,000 hosts (command `true`, forks 50)
     (target p99 <= 10 ms)
  D. the same while scenario A's saturating load runs too (informational: /health then queues
     behind the in-flight requests of 16 connections)
The templates run `true` on the server's own machine (`connection: local`; bare host names
would mean SSH). `--quick`: tiny sizes, one round, for `make test` (its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
MAX_REQUESTS = 200_000  # per load run, whatever the duration
HOSTS = 2000


# --- load generator (runs in its own process: ``server.py --loadgen MODE``) -------------------


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\n\r\n".encode()


def _post(path: str, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def loadgen(args: argparse.Namespace) -> dict[str, Any]:
    assert args.host == LOOPBACK, "the load generator only targets 127.0.0.1"
    deadline = time.perf_counter() + args.duration
    budget = [min(args.max_requests, MAX_REQUESTS)]
    latencies: list[float] = []
    errors = [0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(args.host, args.port)
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                if args.mode == "get":
                    budget[0] -= 1
                    t0 = time.perf_counter()
                    status, _ = await _request(reader, writer, _get(args.path))
                    latencies.append(time.perf_counter() - t0)
                    errors[0] += status != 200
                elif args.mode == "submit":
                    budget[0] -= 2
                    payload = {"template_name": args.template, "hosts": ["local://"]}
                    t0 = time.perf_counter()
                    status, body = await _request(reader, writer, _post("/api/v1/jobs", payload))
                    latencies.append(time.perf_counter() - t0)
                    if status != 202:
                        errors[0] += 1
                        continue
                    job_id = json.loads(body)["job_id"]
                    t0 = time.perf_counter()
                    status, _ = await _request(reader, writer, _get(f"/api/v1/jobs/{job_id}"))
                    latencies.append(time.perf_counter() - t0)
                    errors[0] += status != 200
                else:  # "probe": one request every interval, for latency
                    budget[0] -= 1
                    t0 = time.perf_counter()
                    status, _ = await _request(reader, writer, _get(args.path))
                    latencies.append(time.perf_counter() - t0)
                    errors[0] += status != 200
                    await asyncio.sleep(args.interval)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors[0],
        "seconds": elapsed,
        "rps": n / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * latencies[n // 2] if n else None,
        "p99_ms": 1000 * latencies[min(n - 1, int(n * 0.99))] if n else None,
    }


WRK_SUBMIT_SCRIPT = """
local pending = {}
request = function()
  local path = table.remove(pending)
  if path then return wrk.format("GET", path) end
  return wrk.format("POST", "/api/v1/jobs", {["Content-Type"] = "application/json"},
    '{"template_name": "%s", "hosts": ["local://"]}')
end
response = function(status, headers, body)
  local id = body:match('"job_id":"([^"]+)"')
  if id then table.insert(pending, "/api/v1/jobs/" .. id) end
end
"""


class LoadRun:
    """A load generator running in its own process (wrk, or this file with --loadgen)."""

    def __init__(self, argv: list[str], kind: str) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)

    def result(self) -> dict[str, Any]:
        out, _ = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, f"load generator failed ({self.proc.returncode})"
        if self.kind == "python":
            data: dict[str, Any] = json.loads(out)
            return data
        return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, Any]:
    def ms(label: str) -> float | None:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": requests,
        "errors": int(errors.group(1)) if errors else 0,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
    }


def have_wrk(allow_install: bool) -> bool:
    if shutil.which("wrk"):
        return True
    if not allow_install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print("installing wrk with apt-get …", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "timeout": 300}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, **quiet).returncode:  # type: ignore[call-overload]
        subprocess.run(["apt-get", "update", "-q"], check=False, **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, **quiet)  # type: ignore[call-overload]
    return shutil.which("wrk") is not None


USE_WRK = False


def run_loadgen(port: int, mode: str, **options: Any) -> LoadRun:
    if USE_WRK and mode in ("get", "submit"):
        duration, connections = options.get("duration", 4.0), options.get("connections", 16)
        # wrk takes whole seconds only.
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
        if mode == "submit":
            script = Path(f"/tmp/ansible-inspec-rs-bench-{os.getpid()}.lua")
            script.write_text(WRK_SUBMIT_SCRIPT.replace("%s", options.get("template", "bench-true")))
            argv += ["-s", str(script)]
        path = options.get("path", "/api/v1/jobs") if mode == "get" else "/api/v1/jobs"
        return LoadRun([*argv, f"http://{LOOPBACK}:{port}{path}"], "wrk")
    argv = [sys.executable, __file__, "--loadgen", mode, "--port", str(port)]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return LoadRun(argv, "python")


def result_of(run: LoadRun) -> dict[str, Any]:
    return run.result()


# --- the benchmark ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_INSPEC_RS_")}
    # A fresh store per run: templates and jobs of an earlier run must not be reused.
    env["ANSIBLE_INSPEC_RS_DATA_DIR"] = data_dir
    argv = [sys.executable, "-m", "ansible_inspec_rs", "serve", "--host", LOOPBACK, "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--workers", str(workers), "--log-level", "warning"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{LOOPBACK}:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def wait_idle(client: httpx.Client, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = client.get("/health").json()["queue"]
        if queue["pending"] == 0 and queue["running"] == 0:
            return
        time.sleep(0.1)
    raise SystemExit("the executor did not drain in time")


def big_job(client: httpx.Client, count: int) -> str:
    hosts = [f"h{i}" for i in range(1, count + 1)]
    r = client.post("/api/v1/jobs", json={"template_name": "bench-true-wide", "hosts": hosts})
    r.raise_for_status()
    job_id: str = r.json()["job_id"]
    while client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "pending":
        time.sleep(0.01)
    return job_id


def median(values: list[float]) -> float:
    return statistics.median(values)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, proc: LoadRun) -> dict[str, Any]:
    """The load generator's result plus the server's CPU use while it ran."""
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    result = result_of(proc)
    cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - t0
    result["server_cpu"] = cpu / wall if wall else 0.0
    result["per_cpu_second"] = result["requests"] / cpu if cpu else 0.0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per load run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="executor workers of the server")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--hosts", type=int, default=HOSTS, help="hosts of the job /health is probed under")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke for `make test`)")
    args = parser.parse_args()
    probe_seconds = 2.0
    if args.quick:
        args.duration, args.repeats, args.connections, args.hosts, probe_seconds = 1, 1, 2, 20, 0.3
    global USE_WRK
    USE_WRK = not args.no_wrk and have_wrk(allow_install=not args.quick)

    port = free_port()
    data_dir = tempfile.TemporaryDirectory(prefix="airs-serverbench-")
    server = start_server(port, args.workers, data_dir.name)
    url = f"http://{LOOPBACK}:{port}"
    try:
        with httpx.Client(base_url=url, timeout=30) as c:
            for name, forks in (("bench-true", 5), ("bench-true-wide", 50)):
                body = {"name": name, "command": ["true"], "forks": forks, "connection": "local"}
                c.post("/api/v1/templates", json=body).raise_for_status()
            job_id = c.post(
                "/api/v1/jobs", json={"template_name": "bench-true", "hosts": ["local://"]}
            ).json()["job_id"]
            wait_idle(c)
            get_path = f"/api/v1/jobs/{job_id}"
            common = {"duration": args.duration, "connections": args.connections}

            get_runs, submit_runs, health_idle, health_loaded = [], [], [], []
            load_before = os.getloadavg()[0]
            for _ in range(args.repeats):
                a = measured(server.pid, run_loadgen(port, "get", path=get_path, **common))
                assert a["errors"] == 0, a
                get_runs.append(a)

                b = run_loadgen(port, "submit", template="bench-true", max_requests=4000, **common)
                b_result = measured(server.pid, b)
                assert b_result["errors"] == 0, b_result
                submit_runs.append(b_result)
                wait_idle(c)

                big_job(c, args.hosts)
                probe = run_loadgen(
                    port, "probe", path="/health", duration=probe_seconds, connections=1, interval=0.005
                )
                health_idle.append(result_of(probe))
                wait_idle(c)

                big_job(c, args.hosts)
                load = run_loadgen(port, "get", path=get_path, **common)
                probe = run_loadgen(
                    port, "probe", path="/health", duration=probe_seconds, connections=1, interval=0.005
                )
                health_loaded.append(result_of(probe))
                result_of(load)
                wait_idle(c)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        data_dir.cleanup()

    def lat(runs: list[dict[str, Any]], key: str) -> float:
        return median([r[key] for r in runs])

    def rate(runs: list[dict[str, Any]]) -> str:
        return (
            f"{lat(runs, 'rps'):,.0f} req/s (server CPU {100 * lat(runs, 'server_cpu'):.0f}%, "
            f"{lat(runs, 'per_cpu_second'):,.0f} req per server CPU-second)"
        )

    rows = [
        ("GET /api/v1/jobs/{id}", rate(get_runs), "target >= 2,000 req/s"),
        ("submit + status (POST /jobs, GET /jobs/{id})", rate(submit_runs), ""),
        (
            f"/health while {args.hosts:,} host checks run",
            f"p50 {lat(health_idle, 'p50_ms'):.2f} ms, p99 {lat(health_idle, 'p99_ms'):.2f} ms",
            "target p99 <= 10 ms",
        ),
        (
            f"/health while {args.hosts:,} host checks + GET load run",
            f"p50 {lat(health_loaded, 'p50_ms'):.2f} ms, p99 {lat(health_loaded, 'p99_ms'):.2f} ms",
            "(saturating GET load: queueing)",
        ),
    ]
    print(
        f"server benchmark: loopback, {os.cpu_count()} cores (load average {load_before:.1f} at start), "
        f"{args.connections} keep-alive connections ({'wrk' if USE_WRK else 'Python load generator'}), "
        f"{args.duration:g} s per run, "
        f"medians of {args.repeats} runs"
    )
    for name, value, target in rows:
        print(f"  {name:<48} {value:<70} {target}")
    print(
        "  (req per server CPU-second = what one free core would serve; on a shared machine the\n"
        "   server gets only part of a core, which caps req/s and stretches latency)"
    )
    return 0


if __name__ == "__main__":
    if "--loadgen" in sys.argv:
        lg = argparse.ArgumentParser()
        lg.add_argument("--loadgen", dest="mode", choices=["get", "submit", "probe"])
        lg.add_argument("--host", default=LOOPBACK)
        lg.add_argument("--port", type=int, required=True)
        lg.add_argument("--path", default="/health")
        lg.add_argument("--template", default="bench-true")
        lg.add_argument("--duration", type=float, default=4.0)
        lg.add_argument("--connections", type=int, default=16)
        lg.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
        lg.add_argument("--interval", type=float, default=0.005)
        print(json.dumps(asyncio.run(loadgen(lg.parse_args()))))
        sys.exit(0)
    sys.exit(main())
