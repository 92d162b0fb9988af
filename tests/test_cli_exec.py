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
import pytest
from conftest import FIXTURES, SshHosts


def cli(
    *args: str, path_prefix: Path | None = None, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="160")
    if path is not None:
        env["PATH"] = path
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
    assert "Target:  local://" in out.stdout and "control failures" in out.stdout
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
    assert bad.returncode == 2 and "hosts" in bad.stderr and not bad.stdout


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
    # Per host the playbook's header and one line per task, as for a profile's controls.
    assert "Playbook: ping\nTarget:   " in down.stdout and "\n  ✔  ping\n" in down.stdout, down.stdout
    assert "Task Summary: " in down.stdout and "Test Summary: " in down.stdout


# --- what `inspec exec` users expect: the cli reporter, options, exit codes -----------------

FLEET = FIXTURES / "fleet-profile"
ESC = "\x1b["
FAIL = "\N{MULTIPLICATION SIGN}"  # InSpec's failure mark


def cli_pty(*args: str, cols: int = 80, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Runs the command with its stdout on a pseudo-terminal of `cols` columns, as a person
    at a terminal does; returns (exit code, what the terminal showed, stderr)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ansible_inspec_rs", "exec", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**environ, "TERM": "xterm-256color", **(env or {})},
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, b"".join(chunks).decode().replace("\r\n", "\n"), err.decode()


def write_inventory(path: Path, local: list[str], down: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [f"{h} ansible_connection=local" for h in local]
    lines += [f"{h} ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody" for h in down]
    path.write_text("[all_hosts]\n" + "\n".join(lines) + "\n")
    return path


def test_cli_report_on_a_terminal() -> None:
    code, out, err = cli_pty(str(FLEET), "-t", "local://")
    assert code == 1, out + err
    plain = __import__("re").sub(r"\x1b\[[0-9;]*m", "", out)
    # InSpec's header, control lines with their titles, failing results with the message.
    assert "Profile: Fleet Baseline (fleet-baseline)\nVersion: 1.2.3\nTarget:  local://\n" in plain, plain
    assert "  ✔  fb-01: The password file exists\n" in plain
    assert f"  {FAIL}  fb-02: The compliance marker file exists\n     {FAIL}  " in plain
    assert f"  {FAIL}  fb-03: The greeting is polite (1 failed)\n" in plain
    assert 'expected: "goodbye\\n"' in plain and 'got: "hello\\n"' in plain
    assert (
        "  ↺  fb-04: Windows only\n     ↺  Skipped control due to only_if condition: this control only"
        in plain
    )
    assert "Profile Summary: 2 successful controls, 2 control failures, 1 control skipped\n" in plain
    assert "Test Summary: 3 successful, 2 failures, 1 skipped\n" in plain
    # Colours on a terminal: InSpec's red for failures, green for passes.
    assert f"\x1b[38;5;9m  {FAIL}  fb-02" in out and "\x1b[38;5;41m  ✔  fb-01" in out
    assert err == ""


def test_no_color_and_pipes() -> None:
    _, out, _ = cli_pty(str(FLEET), "-t", "local://", "--no-color")
    assert ESC not in out and f"  {FAIL}  fb-02: The compliance marker file exists" in out
    _, out, _ = cli_pty(str(FLEET), "-t", "local://", env={"NO_COLOR": "1"})
    assert ESC not in out
    piped = cli(str(FLEET), "-t", "local://")
    assert piped.returncode == 1 and ESC not in piped.stdout
    # One line per control, never cut into table cells, whatever the width.
    assert f"  {FAIL}  fb-02: The compliance marker file exists\n" in piped.stdout
    assert piped.stderr == ""


def test_exit_codes_unreachable_wins(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "hosts.ini", ["web01"], ["down01"])
    out = cli(str(FLEET), "-i", str(inventory), "--connect-timeout", "5")
    assert out.returncode == 2, out.stdout + out.stderr  # a host unchecked outranks a failure
    assert "Target: down01\nStatus: unreachable\n" in out.stdout and "  ERR  unreachable: ssh: " in out.stdout
    assert "Host Summary: 2 hosts (1 failed, 1 unreachable)" in out.stdout
    inspec_codes = cli(str(FLEET), "-i", str(inventory), "--connect-timeout", "5", "--inspec-exit-codes")
    assert inspec_codes.returncode == 1
    assert cli(str(FLEET), "-t", "local://", "--inspec-exit-codes").returncode == 100


def write_profile(folder: Path, controls: str) -> Path:
    """A one-file profile named after `folder`."""
    (folder / "controls").mkdir(parents=True)
    (folder / "inspec.yml").write_text(f"name: {folder.name}\nversion: 0.1.0\n")
    (folder / "controls" / "c.rb").write_text(controls)
    return folder


def test_inspec_exit_code_for_skips_only(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "skips",
        "control 'only-win' do\n  only_if('not Windows') { false }\n"
        "  describe file('C:/') do\n    it { should exist }\n  end\nend\n",
    )
    assert cli(str(profile), "-t", "local://").returncode == 0
    skipped = cli(str(profile), "-t", "local://", "--inspec-exit-codes")
    assert skipped.returncode == 101, skipped.stdout + skipped.stderr
    assert "0 successful controls, 0 control failures, 1 control skipped" in skipped.stdout


def test_inputs_from_flags_and_files(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path / "inputs",
        "control 'in-01' do\n  describe command('echo hello') do\n"
        "    its('stdout') { should match input('pattern') }\n"
        "    its('exit_status') { should eq input('code') }\n  end\nend\n",
    )
    inputs = tmp_path / "inputs.yml"
    inputs.write_text("code: 0\npattern: nomatch\n")  # code is a number in YAML
    ok = cli(str(profile), "-t", "local://", "--input-file", str(inputs), "--input", "pattern=hel+o")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = cli(str(profile), "-t", "local://", "--input-file", str(inputs))
    assert bad.returncode == 1 and "nomatch" in bad.stdout
    wrong = cli(str(profile), "-t", "local://", "--input", "no-equals-sign")
    assert wrong.returncode == 2 and "NAME=VALUE" in wrong.stderr


def test_reporter_json_is_stdout_and_version() -> None:
    out = cli(str(FLEET), "-t", "local://", "--reporter", "json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["profiles"][0]["name"] == "fleet-baseline"
    both = cli(str(FLEET), "-t", "local://", "--reporter", "json", "junit")
    assert both.returncode == 2 and "only one report" in both.stderr
    version = cli("--version")
    from ansible_inspec_rs import __version__

    assert version.returncode == 0 and version.stdout.strip() == f"ansible-inspec-rs {__version__}"


def test_problems_found_before_the_job_runs(tmp_path: Path) -> None:
    missing = cli(str(tmp_path / "no-such-profile"), "-t", "local://")
    assert missing.returncode == 2 and not missing.stdout
    assert missing.stderr == f"ansible-inspec-rs exec: profile {tmp_path / 'no-such-profile'} not found\n"
    no_inspec = cli(
        str(FLEET), "-t", "local://", "--runner", "inspec", path_prefix=None, path="/usr/bin:/bin"
    )
    assert no_inspec.returncode == 2 and "InSpec is not installed" in no_inspec.stderr
    assert "Traceback" not in no_inspec.stderr and not no_inspec.stdout
    unwritable = cli(str(FLEET), "-t", "local://", "--reporter", f"html:{tmp_path / 'no-dir' / 'r.html'}")
    assert unwritable.returncode == 2 and "does not exist" in unwritable.stderr and not unwritable.stdout
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    if os.geteuid() != 0:  # root writes anywhere: the permission case only means something to others
        denied = cli(str(FLEET), "-t", "local://", "--reporter", f"json:{tmp_path / 'ro' / 'r.json'}")
        assert denied.returncode == 2 and "permission denied" in denied.stderr


def slow_profile(folder: Path) -> tuple[Path, str]:
    """A profile whose one check sleeps 47 s, and the marker that finds its process."""
    import time

    marker = f"{time.time_ns() % 10**9}"
    profile = write_profile(
        folder,
        f"control 'slow' do\n  describe command('sleep 47.{marker}') do\n"
        "    its('exit_status') { should eq 0 }\n  end\nend\n",
    )
    return profile, marker


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    import signal
    import time

    profile, marker = slow_profile(tmp_path / "slow")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ansible_inspec_rs",
            "exec",
            str(profile),
            "-t",
            "local://",
            "--show-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith("profile slow: 1 host")  # --show-progress
    deadline = time.monotonic() + 30
    while not sleeping(marker):
        assert time.monotonic() < deadline, "the check never started"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert err == "ansible-inspec-rs exec: interrupted; the job was canceled\n"
    assert not sleeping(marker), "the check's process was stopped"


def sleeping(marker: str) -> bool:
    out = subprocess.run(["pgrep", "-f", f"sleep 47.{marker}"], capture_output=True, text=True)
    return out.returncode == 0


def test_console_script_dependencies_are_declared() -> None:
    """Every third-party module the commands import is a declared dependency (the server's
    in the server extra)."""
    import ast
    import importlib.metadata
    import tomllib

    from helpers import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {d.split(">")[0].split("[")[0].split("=")[0].strip().lower() for d in project["dependencies"]}
    server = {
        d.split(">")[0].split("[")[0].strip().lower() for d in project["optional-dependencies"]["server"]
    }
    distributions = importlib.metadata.packages_distributions()
    package = REPO / "python" / "ansible_inspec_rs"
    for source in [package / "cli.py", *sorted((package / "commands").glob("*.py"))]:
        for node in ast.walk(ast.parse(source.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("ansible_inspec_rs", "__future__"):
                    continue
                dists = {d.lower() for d in distributions.get(top, [top])}
                allowed = declared | (server if source.stem in ("serve", "worker") else set())
                assert dists & allowed, f"{source.name} imports {top} ({dists}), not declared"


def test_controls_run_and_report_only_those_under_a_pipe(tmp_path: Path) -> None:
    """`--controls` as `inspec exec --controls`: ids and /regex/ entries; the others neither run
    (the failing one would make the exit code 1) nor appear (stdout is a pipe here)."""
    profile = tmp_path / "profile"
    (profile / "controls").mkdir(parents=True)
    (profile / "inspec.yml").write_text("name: picked\nversion: 1.0.0\n")
    (profile / "controls" / "c.rb").write_text(
        "control 'keep-1' do\n  title 'Kept by id'\n  describe file('/') do\n"
        "    it { should be_directory }\n  end\nend\n"
        "control 'keep-2' do\n  title 'Kept by regex'\n  describe file('/') do\n"
        "    it { should exist }\n  end\nend\n"
        "control 'drop-1' do\n  title 'Left out'\n  describe file('/nonexistent-airs') do\n"
        "    it { should exist }\n  end\nend\n"
    )
    out = cli(str(profile), "-t", "local://", "--controls", "keep-1", "/^keep-[2-9]$/")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Kept by id" in out.stdout and "Kept by regex" in out.stdout
    assert "Left out" not in out.stdout and "drop-1" not in out.stdout
    assert "2 successful controls" in out.stdout and "\x1b[" not in out.stdout
    every = cli(str(profile), "-t", "local://")
    assert every.returncode == 1 and "Left out" in every.stdout
    bad = cli(str(profile), "-t", "local://", "--controls", "/(unclosed/")
    assert bad.returncode == 2 and not bad.stdout
    assert "controls" in bad.stderr and "not a valid regex" in bad.stderr


def stat_nice(stat: str) -> int:
    """The nice value in a /proc/PID/stat line (field 19; the name in field 2 may hold spaces)."""
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_nice_is_the_checks_nice_value(tmp_path: Path) -> None:
    """`--nice 15`: a check reads its own /proc/self/stat at nice 15; without it, the core's
    default (10); out of range, the core's ValidationError naming the field, before any job."""
    written = tmp_path / "stat"
    profile = write_profile(
        tmp_path / "nice",
        f"control 'nice' do\n  describe command('cat /proc/self/stat > {written}') do\n"
        "    its('exit_status') { should eq 0 }\n  end\nend\n",
    )
    out = cli(str(profile), "-t", "local://", "--nice", "15")
    assert out.returncode == 0, out.stdout + out.stderr
    assert stat_nice(written.read_text()) == 15
    assert cli(str(profile), "-t", "local://").returncode == 0
    assert stat_nice(written.read_text()) == 10
    written.unlink()
    for bad in ("20", "-1"):
        refused = cli(str(profile), "-t", "local://", "--nice", bad)
        assert refused.returncode == 2 and not refused.stdout and not written.exists()
        assert refused.stderr == "ansible-inspec-rs exec: nice: must be from 0 to 19\n", refused.stderr


ONE_CONTROL = "control 'c' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n"


def test_input_files_are_read_by_the_cores_rule(tmp_path: Path) -> None:
    """``--input-file`` is read by the core's rule for files users name (src/fsread.rs, through
    ``_core.read_user_file``): one limit, the same as inventories' and profiles'."""
    from ansible_inspec_rs import _core, errors

    limit = _core.USER_FILE_MAX_BYTES
    assert limit == 16 * 1024 * 1024
    big = tmp_path / "big.yml"
    with big.open("wb") as f:  # sparse: one byte past the limit
        f.truncate(limit + 1)
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    with pytest.raises(errors.ValidationError) as e:
        _core.read_user_file(big, field="--input-file")
    assert e.value.field == "--input-file" and e.value.rule == f"{big}: is larger than {limit} bytes"
    with pytest.raises(errors.ValidationError, match="is a FIFO, not a regular file"):
        _core.read_user_file(str(fifo))
    ok = tmp_path / "ok.yml"
    ok.write_bytes(b"a: 1\n")
    assert _core.read_user_file(ok) == b"a: 1\n"
    profile = write_profile(tmp_path / "p", ONE_CONTROL)
    missing = tmp_path / "nope.yml"
    for path, why in ((big, f"is larger than {limit} bytes"), (fifo, "is a FIFO"), (missing, "No such file")):
        out = cli(str(profile), "-t", "local://", "--input-file", str(path))
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith(f"ansible-inspec-rs exec: --input-file {path}: "), out.stderr
        assert why in out.stderr and "Traceback" not in out.stderr
