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
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import httpx  # noqa: E402
from pgserver import create_database, postgres_server, xact_commits  # noqa: E402
from store_scaleout import api_server, cpu_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with postgres_server() as base, tempfile.TemporaryDirectory() as tmp:
        url = create_database(base)
        with api_server(url, Path(tmp), args.jobs + 10) as (api, server):
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


if __name__ == "__main__":
    main()
