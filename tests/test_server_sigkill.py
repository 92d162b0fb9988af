"""A process running checks that is killed with SIGKILL (or crashes) cannot kill its checks
itself; they must not run on as orphans. A real ``serve`` process, a real ``worker`` and a
plain Python script with an Executor, each killed with SIGKILL while a long check runs: no
process of the check (the child nor its grandchildren) is left."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from ansible_inspec_rs import Executor, Template
from conftest import marker_seconds, processes_with_arg
from helpers import start_server, submit


def wait_for(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within} s")
        time.sleep(0.05)


def kill_and_expect_no_orphans(pid: int, marker: str) -> None:
    os.kill(pid, signal.SIGKILL)
    try:
        wait_for(lambda: not processes_with_arg(marker), 5, "the killed process's checks ending")
    finally:
        for orphan in processes_with_arg(marker):  # do not leave them to other tests
            os.kill(orphan, signal.SIGKILL)


def test_a_server_killed_with_sigkill_leaves_no_check_running(tmp_path: Path) -> None:
    marker = marker_seconds(600)
    live = start_server(tmp_path, workers="2")
    try:
        with httpx.Client(base_url=live.url, timeout=10) as client:
            r = client.post(
                "/api/v1/templates",
                json={
                    "name": "long",
                    # A grandchild in the check's group, and one that left the group.
                    "command": ["sh", "-c", f"sleep {marker} & setsid sleep {marker} & sleep {marker}; wait"],
                    "timeout": 3600,
                },
            )
            assert r.status_code == 201, r.text
            submit(client, "long", ["local://"])
        wait_for(lambda: len(processes_with_arg(marker)) == 3, 30, "the check's three sleeps")
        kill_and_expect_no_orphans(live.proc.pid, marker)
        live.proc.wait(5)
    finally:
        live.stop()


def test_a_worker_killed_with_sigkill_leaves_no_check_running(tmp_path: Path) -> None:
    marker = marker_seconds(600)
    store = f"sqlite:///{tmp_path / 'jobs.db'}"

    async def queue_a_long_job() -> None:
        api = Executor(workers=0, store=store)
        command = ["sh", "-c", f"sleep {marker} & sleep {marker}; wait"]
        await api.templates.create(Template("long", connection="local", command=command))
        await api.submit("long", hosts=["h"])
        await api.shutdown()

    asyncio.run(queue_a_long_job())
    worker = subprocess.Popen(
        [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", store, "--workers", "1"],
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(processes_with_arg(marker)) == 2, 30, "the worker's check")
        kill_and_expect_no_orphans(worker.pid, marker)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()


def test_a_script_killed_with_sigkill_leaves_no_check_running(tmp_path: Path) -> None:
    # The native evaluator's local commands start through the transport, not the runner.
    marker = marker_seconds(600)
    profile = tmp_path / "profile"
    (profile / "controls").mkdir(parents=True)
    (profile / "inspec.yml").write_text("name: slow\nversion: 1.0.0\n")
    (profile / "controls" / "slow.rb").write_text(
        f"describe command('sleep {marker} & sleep {marker}; wait') do\n"
        "  its('exit_status') { should eq 0 }\nend\n"
    )
    script = textwrap.dedent(
        f"""
        import asyncio
        from ansible_inspec_rs import Executor, Template

        async def main() -> None:
            async with Executor() as ex:
                t = Template("slow", profile={str(profile)!r}, timeout=3600)
                await (await ex.submit(t, hosts=["local://"]))

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        wait_for(lambda: len(processes_with_arg(marker)) == 2, 30, "the script's check")
        kill_and_expect_no_orphans(proc.pid, marker)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
