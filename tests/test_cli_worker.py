"""`ansible-inspec-rs worker --nice`: a real worker process on a SQLite store runs a command
check that reads its own /proc/self/stat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ansible_inspec_rs import Executor, Template
from conftest import spawn_worker
from test_cli_exec import stat_nice


async def test_worker_runs_checks_at_its_nice_value(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'jobs.db'}"
    async with Executor(workers=0, store=store) as ex:  # submits only
        await ex.templates.create(Template("stat", connection="local", command=["cat", "/proc/self/stat"]))
        job = await ex.submit("stat", hosts=["local://"])
        worker = spawn_worker(store, "--workers", "1", "--nice", "15")
        try:
            done = await job.wait(timeout=60)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert done.status == "successful", done.to_dict()
    assert stat_nice(done.results[0].stdout) == 15


def test_worker_refuses_a_nice_value_out_of_range(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", f"sqlite:///{tmp_path / 'j.db'}"]
    out = subprocess.run([*cmd, "--nice", "20"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "cannot start: nice: must be from 0 to 19" in out.stderr, out.stderr
