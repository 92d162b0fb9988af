"""Jobs against real hosts: sshd in network namespaces (tests/hosts/setup.sh), the system
ssh client, real ansible-playbook. Three reachable hosts and one that refuses connections."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_inspec_rs import Template, errors
from conftest import FIXTURES, SshHosts


def by_host(job: object) -> dict[str, object]:
    return {r.host: r for r in job.results}  # type: ignore[attr-defined]


async def test_command_runs_on_each_host_over_ssh(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    inventory = ssh_hosts.inventory(tmp_path / "hosts.ini")
    # $SSH_CONNECTION is set by the remote sshd: "client port server-address server-port".
    template = Template(
        "where",
        command=["sh", "-c", "echo $SSH_CONNECTION"],
        inventory=str(inventory),
        retries=1,
        retry_backoff=0.01,
        connect_timeout=5,
    )
    async with ssh_hosts.executor() as ex:
        job = await ex.submit(template)  # no hosts: the inventory's
        assert job.hosts == [h.name for h in ssh_hosts.hosts]
        await job
        events = [e.to_dict() async for e in job.events()]
    results = {r.host: r for r in job.results}
    for h in ssh_hosts.up:
        r = results[h.name]
        assert (r.status, r.attempts) == ("passed", 1), (r.stderr, r.message)
        assert r.stdout.split()[2:] == [h.address, str(h.port)]
    down = results[ssh_hosts.down.name]
    assert (down.status, down.exit_code, down.attempts) == ("unreachable", 255, 2)
    assert "refused" in (down.message or "")
    assert [e["host"] for e in events if e["type"] == "host_retry"] == [ssh_hosts.down.name]
    assert job.status == "error"  # a host could not be checked


async def test_arguments_reach_the_remote_program_unchanged(ssh_hosts: SshHosts) -> None:
    nasty = ["it's", "$(id)", "a  b", "`uname`", "; exit 3", "*", "", "\\", '"q"']
    host = ssh_hosts.up[0]
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        job = await (await ex.submit(Template("args", command=["printf", "%s|\\n", *nasty]), [host.uri]))
    r = job.results[0]
    assert r.status == "passed", r.stderr
    assert r.stdout.splitlines() == [f"{a}|" for a in nasty]


async def test_one_connection_per_host_when_multiplexed(ssh_hosts: SshHosts) -> None:
    hosts = [h.uri for h in ssh_hosts.up]
    t = Template("three", command=["true"], forks=3)
    counts = {}
    for multiplex in (True, False):
        before = [h.accepted() for h in ssh_hosts.up]
        async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key, ssh_multiplex=multiplex) as ex:
            for _ in range(3):
                job = await (await ex.submit(t, hosts))
                assert job.status == "successful", [r.stderr for r in job.results]
        await asyncio.sleep(0.2)  # sshd writes its log line after the login
        counts[multiplex] = [h.accepted() - b for h, b in zip(ssh_hosts.up, before, strict=True)]
    # Three jobs, one TCP connection per host with ControlMaster; one per command without.
    assert counts[True] == [1, 1, 1]
    assert counts[False] == [3, 3, 3]


async def test_limit_patterns_select_hosts(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    inventory = str(ssh_hosts.inventory(tmp_path / "hosts.ini"))
    names = [h.name for h in ssh_hosts.hosts]
    async with ssh_hosts.executor() as ex:
        for limit, want in [
            ("web", names[:2]),
            ("web:db", names[:3]),
            ("h*:!down", names[:3]),
            ("all:&web:!h1", names[1:2]),
        ]:
            job = await ex.submit(Template("sel", command=["true"], inventory=inventory, limit=limit))
            assert job.hosts == want, limit
            assert (await job).status == "successful"
        with pytest.raises(errors.ValidationError) as info:
            await ex.submit(Template("none", command=["true"], inventory=inventory, limit="nosuch"))
        assert info.value.field == "hosts"  # a selection of no host at all
        with pytest.raises(errors.ValidationError) as info:
            await ex.submit(Template("bad", command=["true"], inventory=str(tmp_path / "missing.ini")))
        assert info.value.field == "inventory"


PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: who runs
      command: id -u
      changed_when: false
      check_mode: false
    - name: leave a marker
      copy:
        dest: "{{ marker_dir }}/{{ inventory_hostname }}"
        content: "{{ ansible_host }}"
      tags: [write]
    - name: refuse databases
      fail:
        msg: "db hosts are not allowed"
      when: "'db' in group_names"
    - name: never
      debug:
        msg: "not shown"
      when: false
"""


async def test_ansible_playbook_over_the_inventory(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(PLAYBOOK)
    markers = tmp_path / "markers"
    markers.mkdir()
    inventory = ssh_hosts.inventory(tmp_path / "hosts.ini")
    template = Template(
        "site",
        playbook=str(playbook),
        inventory=str(inventory),
        extra_vars={"marker_dir": str(markers)},
        retries=1,
        retry_backoff=0.01,
        connect_timeout=5,
        timeout=240,
    )
    before = [h.accepted() for h in ssh_hosts.up]
    async with ssh_hosts.executor() as ex:
        job = await (await ex.submit(template))
        check = await (
            await ex.submit(
                Template(
                    "site-check",
                    playbook=str(playbook),
                    inventory=str(inventory),
                    limit="web",
                    job_type="check",
                    skip_tags=["write"],
                    extra_vars={"marker_dir": str(tmp_path / "nowhere")},
                )
            )
        )
    results = {r.host: r for r in job.results}
    web1, web2, db = (results[h.name] for h in ssh_hosts.up)
    for r in (web1, web2):
        assert r.status == "passed", (r.message, r.stderr[-2000:])
        assert [t["status"] for t in r.tasks] == ["ok", "changed", "skipped", "skipped"]
    assert db.status == "failed"
    assert db.message == "refuse databases: db hosts are not allowed"
    down = results[ssh_hosts.down.name]
    assert (down.status, down.attempts) == ("unreachable", 2)
    # The play really ran on each reachable host (the marker holds its address).
    assert {p.name: p.read_text() for p in markers.iterdir()} == {h.name: h.address for h in ssh_hosts.up}
    assert job.status == "failed"
    # One TCP connection per host for both runs: ansible's ControlPersist connections live
    # in the executor's runtime directory, so the check run reused them.
    after = [h.accepted() for h in ssh_hosts.up]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    # --check, --skip-tags and --limit: only web hosts, the write task not run at all.
    assert [r.host for r in check.results] == [h.name for h in ssh_hosts.up[:2]]
    for r in check.results:
        assert r.status == "passed", r.message
        assert [(t["task"], t["status"]) for t in r.tasks] == [
            ("who runs", "ok"),
            ("refuse databases", "skipped"),
            ("never", "skipped"),
        ]
    assert not (tmp_path / "nowhere").exists()


def fake_inspec(directory: Path) -> Path:
    """Installs the FAKE inspec (tests/fixtures/fake-inspec) with the recorded report it replays."""
    directory.mkdir()
    shutil.copy(FIXTURES / "fake-inspec", directory / "inspec")
    shutil.copy(FIXTURES / "inspec-json-example.json", directory / "replay.json")
    return directory


async def test_inspec_profile_per_host(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    tools = fake_inspec(tmp_path / "bin")
    profile = tmp_path / "my profile"  # a space: the path must stay one argv item
    profile.mkdir()
    inventory = ssh_hosts.inventory(tmp_path / "hosts.ini")
    template = Template(
        "baseline",
        profile=str(profile),
        runner="inspec",
        inventory=str(inventory),
        extra_vars={"min_len": 14, "admins": ["a", "b"]},
        retries=1,
        retry_backoff=0.01,
    )
    async with ssh_hosts.executor(tool_path=[str(tools)]) as ex:
        job = await (await ex.submit(template))
    calls = [json.loads(line) for line in (tools / "argv.jsonl").read_text().splitlines()]
    results = {r.host: r for r in job.results}
    for h in ssh_hosts.up:
        r = results[h.name]
        assert r.status == "failed"  # the recorded report has failing controls
        assert [c["id"] for c in r.controls] == ["s3-buckets-no-public-access", "s3-objects-no-public-access"]
        assert [c["status"] for c in r.controls] == ["failed", "failed"]
        assert [x["status"] for x in r.controls[0]["results"]] == ["passed", "passed", "failed"]
        assert sum(len(c["results"]) for c in r.controls) == 6
        argv = next(c["argv"] for c in calls if f"ssh://root@{h.address}:{h.port}" in c["argv"])
        assert argv[:4] == ["exec", str(profile), "-t", f"ssh://root@{h.address}:{h.port}"]
        assert argv[argv.index("-i") + 1] == ssh_hosts.key
        assert "--chef-license=accept-silent" in argv
        assert argv[argv.index("--reporter") + 1].startswith("json:")
    assert json.loads(calls[0]["inputs"]) == {"min_len": 14, "admins": ["a", "b"]}
    down = results[ssh_hosts.down.name]
    assert (down.status, down.attempts) == ("unreachable", 2)
    assert job.status == "failed"
    report = json.loads(job.report("json"))
    assert [p["platform"]["target_id"] for p in report["profiles"]] == job.hosts


@pytest.fixture
def stranger_key(tmp_path: Path) -> Path:
    """A key the hosts do not authorize."""
    key = tmp_path / "id_stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


async def test_a_refused_key_is_an_error_saying_keys_only(ssh_hosts: SshHosts, stranger_key: Path) -> None:
    stranger = stranger_key
    t = Template("k", command=["true"], retries=2, retry_backoff=0.01)
    async with ssh_hosts.executor(ssh_identity_file=str(stranger)) as ex:
        job = await (await ex.submit(t, [ssh_hosts.up[0].uri]))
    r = job.results[0]
    assert (r.status, r.attempts, r.exit_code) == ("error", 1, 255)
    assert "passwords are not supported" in (r.message or "")
    assert "Permission denied" in (r.message or "")
