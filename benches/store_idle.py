"""What 400 pending jobs cost an idle API process on PostgreSQL (issue 19, targets: the API
process < 5 % of a core, PostgreSQL < 50 transactions/s).

Starts a throwaway PostgreSQL (tests/pgserver.py) and `ansible-inspec-rs serve` with
WORKERS=0 (API only: nothing runs the jobs), submits --jobs jobs over HTTP, lets it settle,
then measures for --seconds: the database's committed transactions per second
(`pg_stat_database.xact_commit`) and the server process's CPU (utime + stime from
/proc/PID/stat) as a fraction of one core.

    .venv/bin/python benches/store_idle.py [--jobs 400] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import httpx  # noqa: E402
from helpers import free_port, server_env  # noqa: E402
from pgserver import create_database, postgres_server, xact_commits  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with postgres_server() as base, tempfile.TemporaryDirectory() as tmp:
        url = create_database(base)
        port = free_port()
        env = server_env(store_url=url, workers="0", queue_size=str(args.jobs + 10), data_dir=tmp)
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "ansible_inspec_rs", "serve", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            api = f"http://127.0.0.1:{port}"
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
            with httpx.Client(base_url=api, timeout=30) as client:
                tpl = {"name": "idle", "command": ["true"], "connection": "local"}
                client.post("/api/v1/templates", json=tpl).raise_for_status()
                for _ in range(args.jobs):
                    r = client.post("/api/v1/jobs", json={"template_name": "idle", "hosts": ["h"]})
                    r.raise_for_status()
            time.sleep(3.0)  # settle
            c0, cpu0, t0 = xact_commits(url), cpu_seconds(server.pid), time.monotonic()
            time.sleep(args.seconds)
            c1, cpu1, t1 = xact_commits(url), cpu_seconds(server.pid), time.monotonic()
            wall = t1 - t0
            # The two psql reads are transactions too (about 1 each): not subtracted.
            print(
                f"{args.jobs} pending jobs, {wall:.1f} s: PostgreSQL {(c1 - c0) / wall:.1f} commits/s, "
                f"API process {100 * (cpu1 - cpu0) / wall:.1f} % of a core"
            )
        finally:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
