"""`ansible-inspec-rs exec` as a user runs it: a real process, real reports, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from conftest import FIXTURES, SshHosts


def cli(*args: str, path_prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="160")
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "ansible_inspec_rs", "exec", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_profile_with_reports_and_exit_codes(tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # the FAKE inspec, replaying a real recorded report
    tools.mkdir()
    shutil.copy(FIXTURES / "fake-inspec", tools / "inspec")
    shutil.copy(FIXTURES / "inspec-json-example.json", tools / "replay.json")
    profile = tmp_path / "profile"
    profile.mkdir()
    out = cli(
        str(profile),
        "--runner",
        "inspec",
        "-t",
        "local://",
        "--reporter",
        "cli",
        f"json:{tmp_path / 'r.json'}",
        f"junit:{tmp_path / 'r.xml'}",
        f"html:{tmp_path / 'r.html'}",
        path_prefix=tools,
    )
    assert out.returncode == 1, out.stderr  # the recorded report has failures
    assert "local://" in out.stdout and "failed" in out.stdout
    doc = json.loads((tmp_path / "r.json").read_text())
    jsonschema.Draft4Validator(json.loads((FIXTURES / "exec-json.schema.json").read_text())).validate(doc)
    assert ET.parse(tmp_path / "r.xml").getroot().get("failures") == "2"
    assert "<!DOCTYPE html>" in (tmp_path / "r.html").read_text()
    # json:- writes the report alone on stdout.
    out = cli(str(profile), "--runner=inspec", "-t", "local://", "--reporter", "json:-", path_prefix=tools)
    assert json.loads(out.stdout)["profiles"][0]["name"] == "aws-s3-baseline"


def test_errors_exit_2(tmp_path: Path) -> None:
    assert cli(str(tmp_path)).returncode == 2  # neither -i nor -t
    assert cli(str(tmp_path), "-i", str(tmp_path / "missing.ini")).returncode == 2
    bad = cli(str(tmp_path), "--target=-oProxyCommand=x")
    assert bad.returncode == 2 and "hosts" in bad.stdout


def test_playbook_over_inventory(ssh_hosts: SshHosts, tmp_path: Path) -> None:
    playbook = tmp_path / "ping.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n")
    inventory = ssh_hosts.inventory(tmp_path / "hosts.ini")
    args = ["-i", str(inventory), "--host-key-checking", "accept-new", "--known-hosts", ssh_hosts.known_hosts]
    ok = cli(str(playbook), *args, "--limit", "web", "--reporter", f"junit:{tmp_path / 'j.xml'}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    suites = ET.parse(tmp_path / "j.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [h.name for h in ssh_hosts.up[:2]]
    down = cli(str(playbook), *args, "--limit", "db:down", "--forks", "2")
    assert down.returncode == 2, down.stdout  # the unreachable host is an error
    assert "unreachable" in down.stdout
