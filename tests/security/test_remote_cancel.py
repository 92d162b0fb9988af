"""Cancel and timeout stop `command` templates on the remote host too (issue 18, item 11),
against the sshd test hosts (tests/hosts/setup.sh). The hosts share this machine's process
table (network namespaces only), so the remote processes can be looked for in /proc: the local
ssh client holds the marker only inside its quoted remote command line, never as an argument
of its own."""

from __future__ import annotations

import pytest
from ansible_inspec_rs import Template
from conftest import SshHosts, eventually, marker_seconds, processes_with_arg


@pytest.mark.parametrize("multiplex", [True, False])
async def test_cancel_stops_the_remote_command(ssh_hosts: SshHosts, multiplex: bool) -> None:
    marker = marker_seconds(300)
    host = ssh_hosts.up[0]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key, ssh_multiplex=multiplex) as ex:
        job = await ex.submit(Template("sleeper", command=["sleep", marker], timeout=60), [host.uri])
        await eventually(lambda: bool(processes_with_arg(marker)), 20)  # it runs remotely
        assert await job.cancel()
        await job.wait(timeout=20)
        assert job.status == "canceled"
        await eventually(lambda: not processes_with_arg(marker), 5)  # and nothing is left


async def test_timeout_stops_the_remote_command(ssh_hosts: SshHosts) -> None:
    marker = marker_seconds(300)
    host = ssh_hosts.up[1]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await ex.submit(Template("slow", command=["sleep", marker], timeout=2), [host.uri])
        await eventually(lambda: bool(processes_with_arg(marker)), 20)
        await job.wait(timeout=30)
        assert job.status == "timeout"
        await eventually(lambda: not processes_with_arg(marker), 5)


async def test_remote_stdout_stderr_and_exit_code_stay_apart(ssh_hosts: SshHosts) -> None:
    host = ssh_hosts.up[2]
    script = "read x; echo out; echo err >&2; exit 3"  # stdin is /dev/null: read fails at once
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await (await ex.submit(Template("apart", command=["sh", "-c", script], timeout=20), [host.uri]))
    r = job.results[0]
    assert (r.status, r.exit_code, r.stdout) == ("failed", 3, "out\n"), r.stderr
    assert r.stderr.strip().splitlines()[-1] == "err"
