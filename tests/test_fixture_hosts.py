"""Recorded host states (`fixture://DIR`, tests/fixtures/hosts) through the real CLI and the
Executor: profiles for other distributions evaluated here, and `supports` skipping a profile
as InSpec does. The states are written from documentation and default files (see each
README), not recorded from live hosts: no Debian/Ubuntu/RHEL machine is reachable here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
from ansible_inspec_rs import Executor, HostStatus, JobStatus, Template
from conftest import FIXTURES

HOSTS = {name: f"fixture://{FIXTURES / 'hosts' / name}" for name in ("debian12", "ubuntu2004", "rhel8")}
PROFILES = FIXTURES / "fixture-profiles"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ansible_inspec_rs", "exec", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="160"),
    )


def exec_json(profile: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = tmp_path / "report.json"
    targets = [a for h in HOSTS.values() for a in ("-t", h)]
    out = cli(str(PROFILES / profile), *targets, "--reporter", "cli", f"json:{report}")
    return out, json.loads(report.read_text())


def by_host(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = {v: k for k, v in HOSTS.items()}
    return {names[p["platform"]["target_id"]]: p for p in doc["profiles"]}


def test_exec_evaluates_a_profile_on_each_recorded_host(tmp_path: Path) -> None:
    out, doc = exec_json("linux-checks", tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr  # the hosts fail some checks
    profiles = by_host(doc)
    assert sorted(profiles) == sorted(HOSTS)
    status = {
        h: {c["id"]: {r["status"] for r in c["results"]} for c in p["controls"]} for h, p in profiles.items()
    }
    for h, p in profiles.items():
        assert (p["status"], p["status_message"]) == ("loaded", ""), h
        assert len(p["controls"]) == 31, h
    # The os resource reads each state's own os-release: debian, ubuntu (debian family), redhat.
    assert [status[h]["os-debian-family"] for h in ("debian12", "ubuntu2004", "rhel8")] == [
        {"passed"},
        {"passed"},
        {"failed"},
    ]
    # RHEL ships /etc/shadow root:root 0000; cmp shows the mode in octal.
    shadow = next(c for c in profiles["rhel8"]["controls"] if c["id"] == "shadow-owned-by-root-group-shadow")
    mode = next(r for r in shadow["results"] if "mode" in r["code_desc"])
    assert mode["message"] == "\nexpected: 0640\n     got: 00\n\n(compared using `cmp` matcher)\n"
    assert status["ubuntu2004"]["telnet-not-installed"] == {"failed"}
    assert status["ubuntu2004"]["auditd-log-format"] == {"skipped"}


def test_a_profile_for_another_platform_is_skipped_with_inspecs_message(tmp_path: Path) -> None:
    out, doc = exec_json("ubuntu-focal", tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    profiles = by_host(doc)
    for h, release in (("debian12", "debian/12.11"), ("rhel8", "redhat/8.10")):
        message = f"Skipping profile: 'ubuntu-focal' on unsupported platform: '{release}'."
        assert profiles[h]["status"] == "skipped", h
        assert profiles[h]["status_message"] == message
        assert profiles[h]["controls"] == []
    assert "Skipping profile: 'ubuntu-focal'" in out.stdout  # the cli table (wrapped) says why
    ubuntu = profiles["ubuntu2004"]
    assert ubuntu["status"] == "loaded"
    assert [c["results"][0]["status"] for c in ubuntu["controls"]] == ["passed"]
    assert doc["statistics"]["controls"]["total"] == 1


def test_exec_runs_a_profiles_custom_resources_on_each_recorded_host(tmp_path: Path) -> None:
    out, doc = exec_json("custom-resources", tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr  # some resources fail, as in InSpec
    profiles = by_host(doc)
    status = {
        h: {c["id"]: {r["status"] for r in c["results"]} for c in p["controls"]} for h, p in profiles.items()
    }
    hosts = ("debian12", "ubuntu2004", "rhel8")
    # The library's own `virtualization` replaces the built-in one and reads systemd-detect-virt.
    assert [status[h]["library-overrides-built-in"] for h in hosts] == [{"passed"}] * 3
    # RHEL's login.defs sets UMASK 077 (its other checks pass); the others 022.
    login = [status[h]["custom-resource-login-defs"] for h in hosts]
    assert login == [{"passed"}, {"passed"}, {"passed", "failed"}]
    # ResourceSkipped raised in initialize skips the describe, off the Debian family only.
    assert [status[h]["resource-skipped-off-debian"] for h in hosts] == [{"passed"}, {"passed"}, {"skipped"}]
    skipped = next(c for c in profiles["rhel8"]["controls"] if c["id"] == "skip-resource")
    assert skipped["results"][0]["skip_message"] == "No such file: /etc/no-such-file"


async def test_executor_skips_the_host_and_keeps_the_reason(ex: Executor) -> None:
    await ex.templates.create(Template("focal", profile=str(PROFILES / "ubuntu-focal")))
    report = await (await ex.submit("focal", hosts=[HOSTS["debian12"], HOSTS["ubuntu2004"]]))
    assert report.status == JobStatus.SUCCESSFUL
    debian, ubuntu = report.results
    assert debian.status == HostStatus.SKIPPED
    assert debian.message == "Skipping profile: 'ubuntu-focal' on unsupported platform: 'debian/12.11'."
    assert debian.controls == []
    assert ubuntu.status == HostStatus.PASSED


async def test_fixture_hosts_run_no_commands_or_playbooks(ex: Executor, tmp_path: Path) -> None:
    await ex.templates.create(Template("echo", command=["echo", "{host}"]))
    report = await (await ex.submit("echo", hosts=[HOSTS["debian12"]]))
    (r,) = report.results
    assert r.status == HostStatus.ERROR
    assert r.message is not None and "native runner only" in r.message


async def test_a_missing_state_is_an_unreachable_host(ex: Executor, tmp_path: Path) -> None:
    await ex.templates.create(Template("checks", profile=str(PROFILES / "linux-checks")))
    report = await (await ex.submit("checks", hosts=[f"fixture://{tmp_path / 'nothing'}"]))
    (r,) = report.results
    assert r.status == HostStatus.UNREACHABLE
    assert r.message is not None and "host.yml" in r.message


def test_the_report_names_each_hosts_platform_and_the_profiles_header(tmp_path: Path) -> None:
    _, doc = exec_json("linux-checks", tmp_path)
    jsonschema.Draft4Validator(json.loads((FIXTURES / "exec-json.schema.json").read_text())).validate(doc)
    profiles = by_host(doc)
    # The os resource's name and release of each state, as InSpec's report.
    assert {h: (p["platform"]["name"], p["platform"]["release"]) for h, p in profiles.items()} == {
        "debian12": ("debian", "12.11"),
        "ubuntu2004": ("ubuntu", "20.04"),
        "rhel8": ("redhat", "8.10"),
    }
    p = profiles["debian12"]
    assert (p["maintainer"], p["license"], p["copyright"]) == (
        "ansible-inspec-rs tests",
        "Apache-2.0",
        "ansible-inspec-rs tests",
    )
    assert p["supports"] == [{"platform-family": "debian"}, {"platform-family": "redhat"}]
    # Three platforms in one job: the top level names none of them, and every host.
    assert doc["platform"]["name"] == "ansible-inspec-rs"
    assert doc["platform"]["target_id"] == ",".join(HOSTS.values())
