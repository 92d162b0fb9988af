"""The real controls of ../shared/profiles/linux-baseline and ssh-baseline, evaluated natively,
checked against facts read here independently:
- ssh-baseline over an sshd_config directory the test prepares (the profile's own input
  `sshd_custom_path` points at it): a hardened file passes sshd-04..08, a weak one fails
  exactly the controls it breaks; the same on an SSH test host as on local://;
- linux-baseline on this machine: every `Kernel Parameter X value is expected to eq N` result
  agrees with /proc/sys/X, and every ownership check of a file agrees with os.stat.
Skipped, with the reason, when ../shared/profiles is absent."""

from __future__ import annotations

import grp
import os
import pwd
import re
from pathlib import Path
from typing import Any

import pytest
from ansible_inspec_rs import Executor, Template
from conftest import REPO, SshHosts

SHARED = REPO.parent / "shared" / "profiles"
pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/profiles (the real third-party profiles) is absent"
)

HARDENED = "Port 22\nAddressFamily inet\nPermitRootLogin no\nPasswordAuthentication no\n"
WEAK = "Port 2222\nAddressFamily inet\nPermitRootLogin yes\n"


def sshd_dir(base: Path, text: str, mode: int) -> Path:
    d = base / "ssh"
    d.mkdir(parents=True)
    d.chmod(0o755)
    cfg = d / "sshd_config"
    cfg.write_text(text)
    cfg.chmod(mode)
    return d


def statuses(controls: list[dict[str, Any]], ids: list[str]) -> dict[str, str]:
    by_id = {c["id"]: c["status"] for c in controls}
    return {i: by_id[i] for i in ids}


async def run(profile: str, host: str, inputs: dict[str, Any], ex: Executor) -> list[dict[str, Any]]:
    t = Template("real", profile=str(SHARED / profile), extra_vars=inputs, timeout=600)
    job = await (await ex.submit(t, [host]))
    (r,) = job.results
    assert r.status in ("passed", "failed"), (r.status, r.message)
    return r.controls


SSHD_IDS = ["sshd-04", "sshd-05", "sshd-06", "sshd-07", "sshd-08"]


async def test_ssh_baseline_over_a_prepared_config(tmp_path: Path) -> None:
    good = sshd_dir(tmp_path / "good", HARDENED, 0o600)
    bad = sshd_dir(tmp_path / "bad", WEAK, 0o644)
    async with Executor() as ex:
        hardened = await run("ssh-baseline", "local://", {"sshd_custom_path": str(good)}, ex)
        weak = await run("ssh-baseline", "local://", {"sshd_custom_path": str(bad)}, ex)
    assert statuses(hardened, SSHD_IDS) == dict.fromkeys(SSHD_IDS, "passed")
    assert statuses(weak, SSHD_IDS) == {
        "sshd-04": "passed",
        "sshd-05": "failed",  # readable by group and others
        "sshd-06": "failed",  # PermitRootLogin yes
        "sshd-07": "failed",  # Port 2222
        "sshd-08": "passed",
    }
    # Every control produced results or an explicit skip; none was silently dropped.
    assert len(hardened) == 71 and all(c["results"] for c in hardened)


async def test_ssh_baseline_same_over_ssh(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    bad = sshd_dir(tmp_path / "bad", WEAK, 0o644)
    inputs = {"sshd_custom_path": str(bad)}
    async with Executor() as ex:
        local = await run("ssh-baseline", "local://", inputs, ex)
    async with ssh_hosts.executor(ssh_identity_file=ssh_hosts.key) as ex:
        remote = await run("ssh-baseline", ssh_hosts.up[0].uri, inputs, ex)
    # The hosts share this machine's filesystem: file and config facts must agree exactly.
    assert statuses(remote, SSHD_IDS) == statuses(local, SSHD_IDS)


KERNEL = re.compile(r"^Kernel Parameter (\S+) value is expected to eq (-?\d+)$")
OWNED = re.compile(r'^File (\S+) is expected to be owned by "([^"]+)"$')
GROUPED = re.compile(r'^File (\S+) is expected to be grouped into "([^"]+)"$')


def agreeing_results(controls: list[dict[str, Any]]) -> int:
    """Checks each kernel-parameter and file-ownership result against this machine; returns
    how many were checked."""
    checked = 0
    for c in controls:
        for r in c["results"]:
            if r["status"] == "skipped":
                continue
            desc = r["code_desc"]
            if m := KERNEL.match(desc):
                path = Path("/proc/sys") / m[1].replace(".", "/")
                if not path.exists():
                    continue
                actual = path.read_text().split()
                expected = "passed" if actual == [m[2]] else "failed"
                assert r["status"] == expected, (c["id"], desc, actual)
                checked += 1
            elif (m := OWNED.match(desc)) and os.path.lexists(m[1]):
                owner = pwd.getpwuid(os.stat(m[1]).st_uid).pw_name
                assert r["status"] == ("passed" if owner == m[2] else "failed"), (c["id"], desc)
                checked += 1
            elif (m := GROUPED.match(desc)) and os.path.lexists(m[1]):
                group = grp.getgrgid(os.stat(m[1]).st_gid).gr_name
                assert r["status"] == ("passed" if group == m[2] else "failed"), (c["id"], desc)
                checked += 1
    return checked


async def test_linux_baseline_agrees_with_independent_facts() -> None:
    async with Executor() as ex:
        controls = await run("linux-baseline", "local://", {}, ex)
    assert len(controls) == 59
    checked = agreeing_results(controls)
    sysctl = [c for c in controls if c["id"].startswith("sysctl-")]
    if in_container():
        # The profile skips its kernel checks inside containers (`only_if { !container_execution }`).
        assert all(c["status"] == "skipped" for c in sysctl), [c["id"] for c in sysctl]
        assert checked >= 5, checked
    else:
        assert checked >= 40, checked


def in_container() -> bool:
    """InSpec's `virtualization.system` is docker or lxc: its own markers, read here."""
    if Path("/.dockerenv").exists() or Path("/.dockerinit").exists():
        return True
    cgroup = Path("/proc/1/cgroup").read_text(errors="replace")
    return "docker" in cgroup or "lxc" in cgroup
