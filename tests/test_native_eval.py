"""Native InSpec evaluation end to end: the hand-written profile in
tests/fixtures/native-profile runs through the Executor (runner `native`, the default) over
state prepared here: files with chosen modes, owners and links, an sshd_config, a listening
port, and net.ipv4.ip_forward set inside the SSH hosts' network namespaces to the opposite
of this machine's value (so a pass proves the value was read on the remote side).
Pass/fail is asserted per control and per describe; the JSON report validates."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ansible_inspec_rs import Executor, Template
from conftest import FIXTURES, SshHosts

PROFILE = FIXTURES / "native-profile"
SCHEMA = json.loads((FIXTURES / "exec-json.schema.json").read_text())

# control id -> (control status, the statuses of its results in order)
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "file-present": ("passed", ["passed"] * 6),
    "file-world-writable": ("failed", ["failed", "failed"]),
    "file-missing": ("passed", ["passed"]),
    "owned-by-nobody": ("passed", ["passed", "passed"]),
    "directory-and-symlink": ("passed", ["passed", "passed", "passed"]),
    "sshd-config": ("failed", ["passed", "failed", "passed"]),
    "kernel-parameter": ("passed", ["passed"]),
    "packages": ("passed", ["passed", "passed"]),
    "command-output": ("passed", ["passed", "passed", "passed"]),
    "only-if-skips": ("skipped", ["skipped"]),
    "describe-one": ("passed", ["passed"]),
    "users-table": ("passed", ["passed", "passed"]),
    "listening-port": ("passed", ["passed"]),
    "loop-alpha": ("passed", ["passed"]),
    "loop-beta": ("failed", ["failed"]),
    "unsupported-resource": ("skipped", ["skipped"]),
}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("native-state")
    present = root / "present.conf"
    present.write_text("# prepared by the test\nSetting on\n")
    present.chmod(0o640)
    loose = root / "loose.conf"
    loose.write_text("anyone may write\n")
    loose.chmod(0o666)
    nobody = pwd.getpwnam("nobody")
    owned = root / "nobody.txt"
    owned.write_text("n\n")
    os.chown(owned, nobody.pw_uid, nobody.pw_gid)
    (root / "link").symlink_to(present)
    (root / "sshd_config").write_text(
        "# comment\nPermitRootLogin no\nMaxAuthTries 6\n"
        "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com\n"
        "MaxAuthTries 2\n"  # ignored: sshd takes the first value
    )
    (root / "alpha.txt").write_text("a\n")
    return root


@pytest.fixture
def listener() -> Iterator[int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def local_ip_forward() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_forward").read_text())


def check_controls(controls: list[dict[str, Any]], root: Path) -> None:
    got = {c["id"]: (c["status"], [r["status"] for r in c["results"]]) for c in controls}
    assert got == EXPECTED
    by_id = {c["id"]: c for c in controls}
    descs = [r["code_desc"] for r in by_id["file-present"]["results"]]
    assert descs[0] == f"File {root}/present.conf is expected to exist"
    assert descs[2] == f'File {root}/present.conf mode is expected to cmp == "0640"'
    assert descs[4] == f"File {root}/present.conf is expected not to be writable by others"
    mode = by_id["file-world-writable"]["results"][1]
    assert "0644" in mode["message"] and "0666" in mode["message"]
    tries = by_id["sshd-config"]["results"][1]
    assert tries["code_desc"] == "SSHD Configuration MaxAuthTries is expected to cmp <= 4"
    assert "6" in tries["message"]
    exit_status = by_id["command-output"]["results"][2]["code_desc"]
    assert exit_status == "Command: `echo hello; echo oops >&2; exit 3` exit_status is expected to eq 3"
    skipped = by_id["only-if-skips"]["results"][0]
    assert "the marker file is absent" in (skipped.get("skip_message") or "")
    unsupported = by_id["unsupported-resource"]["results"][0]["skip_message"] or ""
    assert "windows_registry_key" in unsupported and "controls/state.rb:" in unsupported
    assert by_id["file-present"]["impact"] == 0.7


async def test_local_host(state: Path, listener: int) -> None:
    inputs = {"root": str(state), "ip_forward": local_ip_forward(), "listen_port": listener}
    template = Template("native", profile=str(PROFILE), extra_vars=inputs)
    assert template.runner == "native"
    async with Executor() as ex:
        job = await (await ex.submit(template, ["local://"]))
    (result,) = job.results
    assert result.status == "failed", result.message
    assert result.to_dict()["profile"]["name"] == "native-fixture"
    check_controls(result.controls, state)
    assert job.status == "failed"
    doc = json.loads(job.report("json"))
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


async def test_ssh_hosts_read_remote_state(ssh_hosts: SshHosts, state: Path) -> None:
    if ssh_hosts.mode != "netns":
        pytest.skip("needs network namespaces: the remote ip_forward must differ from this machine's")
    remote = 1 - local_ip_forward()
    for h in ssh_hosts.up:
        assert h.netns is not None
        set_sysctl = ["ip", "netns", "exec", h.netns, "sysctl", "-qw", f"net.ipv4.ip_forward={remote}"]
        proc = await asyncio.create_subprocess_exec(*set_sysctl)
        assert await proc.wait() == 0
    # sshd listens on 22 inside each namespace; nothing does in this machine's namespace.
    inputs = {"root": str(state), "ip_forward": remote, "listen_port": ssh_hosts.up[0].port}
    template = Template("native", profile=str(PROFILE), extra_vars=inputs, retries=1, retry_backoff=0.01)
    logins = {h.name: h.accepted() for h in ssh_hosts.up}
    hosts = [h.uri for h in ssh_hosts.up] + [ssh_hosts.down.uri]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await (await ex.submit(template, hosts))
    results = {r.host: r for r in job.results}
    for h in ssh_hosts.up:
        r = results[h.uri]
        assert r.status == "failed", (r.message, r.stderr)
        check_controls(r.controls, state)
        # One multiplexed connection per host for the whole profile.
        assert h.accepted() - logins[h.name] == 1
    down = results[ssh_hosts.down.uri]
    assert (down.status, down.attempts) == ("unreachable", 2)
    assert down.controls == []


async def test_a_profile_gone_after_creation_is_a_job_error(tmp_path: Path) -> None:
    (tmp_path / "gone").mkdir()
    template = Template("p", profile=str(tmp_path / "gone"))  # a missing one is refused here
    (tmp_path / "gone").rmdir()
    async with Executor() as ex:
        job = await (await ex.submit(template, ["local://"]))
    assert job.status == "error"
    assert "profile" in (job.error or "")


async def test_auto_sends_only_blocked_controls_to_the_inspec_cli(
    state: Path, listener: int, tmp_path: Path
) -> None:
    """runner=auto with the FAKE inspec (tests/fixtures/fake-inspec, replaying a real recorded
    report): it is called once, for the statically blocked control only; natively evaluated
    controls keep their native results."""
    tools = tmp_path / "bin"
    tools.mkdir()
    shutil.copy(FIXTURES / "fake-inspec", tools / "inspec")
    shutil.copy(FIXTURES / "inspec-json-example.json", tools / "replay.json")
    inputs = {"root": str(state), "ip_forward": local_ip_forward(), "listen_port": listener}
    template = Template("auto", profile=str(PROFILE), extra_vars=inputs, runner="auto")
    async with Executor(tool_path=[str(tools)]) as ex:
        job = await (await ex.submit(template, ["local://"]))
    (call,) = [json.loads(line) for line in (tools / "argv.jsonl").read_text().splitlines()]
    argv = call["argv"]
    assert argv[argv.index("--controls") + 1 :] == ["unsupported-resource"]
    (result,) = job.results
    check_controls(result.controls, state)  # the recorded report has no such control: still skipped


async def test_auto_without_inspec_keeps_the_native_skip(state: Path, listener: int) -> None:
    inputs = {"root": str(state), "ip_forward": local_ip_forward(), "listen_port": listener}
    template = Template("auto", profile=str(PROFILE), extra_vars=inputs, runner="auto")
    async with Executor(tool_path=[]) as ex:
        job = await (await ex.submit(template, ["local://"]))
    (result,) = job.results
    check_controls(result.controls, state)
