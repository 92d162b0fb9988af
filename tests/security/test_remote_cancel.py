"""Cancel and timeout stop `command` templates on the remote host too (issue 18, item 11),
against the sshd test hosts (tests/hosts/setup.sh). The hosts share this machine's process
table (network namespaces only), so `pgrep` sees their processes."""

from __future__ import annotations

import asyncio
import secrets
import subprocess

import pytest
from ansible_inspec_rs import Template
from conftest import SshHosts


def remote_sleep() -> tuple[list[str], str]:
    """A `sleep` whose exact command line no other process has (the local ssh client's
    argv holds it quoted, so `^…$` matches the remote process only)."""
    seconds = f"300.{secrets.randbelow(10**6):06d}"
    return ["sleep", seconds], f"^sleep {seconds}$"


def running(pattern: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()


async def until(predicate: object, within: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("multiplex", [True, False])
async def test_cancel_stops_the_remote_command(ssh_hosts: SshHosts, multiplex: bool) -> None:
    argv, pattern = remote_sleep()
    host = ssh_hosts.up[0]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key, ssh_multiplex=multiplex) as ex:
        job = await ex.submit(Template("sleeper", command=argv, timeout=60), [host.uri])
        assert await until(lambda: running(pattern), 20), "the remote command never started"
        assert await job.cancel()
        await job.wait(timeout=20)
        assert job.status == "canceled"
        assert await until(lambda: not running(pattern), 5), f"left running: {running(pattern)}"


async def test_timeout_stops_the_remote_command(ssh_hosts: SshHosts) -> None:
    argv, pattern = remote_sleep()
    host = ssh_hosts.up[1]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await ex.submit(Template("slow", command=argv, timeout=2), [host.uri])
        assert await until(lambda: running(pattern), 20), "the remote command never started"
        await job.wait(timeout=30)
        assert job.status == "timeout"
        assert await until(lambda: not running(pattern), 5), f"left running: {running(pattern)}"


async def test_remote_stdout_stderr_and_exit_code_stay_apart(ssh_hosts: SshHosts) -> None:
    host = ssh_hosts.up[2]
    script = "read x; echo out; echo err >&2; exit 3"  # stdin is /dev/null: read fails at once
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await (await ex.submit(Template("apart", command=["sh", "-c", script], timeout=20), [host.uri]))
    r = job.results[0]
    assert (r.status, r.exit_code, r.stdout) == ("failed", 3, "out\n"), r.stderr
    assert r.stderr.strip().splitlines()[-1] == "err"
