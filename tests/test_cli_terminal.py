"""The command line as a user meets it: in a pseudo-terminal (``--help`` of every subcommand,
Ctrl-C typed at the terminal), and with bad arguments, which end with exit code 2 and one
message naming the argument, never a traceback."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_inspec_rs.cli import COMMANDS
from helpers import REPO, server_env
from test_cli_exec import ONE_CONTROL, sleeping, slow_profile, write_profile


def read_until_exit(
    fd: int, pid: int, timeout: float, send: tuple[str, bytes] | None = None
) -> tuple[str, int]:
    """Everything the child writes to its terminal, and its exit status. ``send``: when this
    text has appeared, type these bytes at the terminal."""
    out = b""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"still running after {timeout} s:\n{out.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            out += chunk
            if send is not None and send[0].encode() in out:
                os.write(fd, send[1])
                send = None
    _, status = os.waitpid(pid, 0)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def in_terminal(*args: str, timeout: float = 60, send: tuple[str, bytes] | None = None) -> tuple[str, int]:
    """``python -m ansible_inspec_rs ARGS`` with a pseudo-terminal as its controlling terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        env = dict(server_env(), COLUMNS="100", TERM="xterm")
        os.execve(sys.executable, [sys.executable, "-m", "ansible_inspec_rs", *args], env)
    try:
        return read_until_exit(fd, pid, timeout, send)
    finally:
        os.close(fd)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_of_every_subcommand_in_a_terminal(command: str) -> None:
    out, code = in_terminal(command, "--help")
    assert code == 0, out
    assert f"usage: ansible-inspec-rs {command}" in out, out
    assert "Traceback" not in out


def test_ctrl_c_typed_at_the_terminal_cancels_the_job(tmp_path: Path) -> None:
    profile, marker = slow_profile(tmp_path / "slow")
    # The terminal's line discipline turns ^C into SIGINT for the foreground process group.
    out, code = in_terminal(
        "exec", str(profile), "-t", "local://", "--show-progress", send=("1 host(s)", b"\x03"), timeout=60
    )
    assert code == 130, out
    assert "interrupted; the job was canceled" in out, out
    assert "Traceback" not in out, out
    assert not sleeping(marker), "the check's process was stopped"


def bad_cases(tmp: Path) -> list[tuple[list[str], dict[str, str], str]]:
    """(argv, environment, what the message must name)."""
    profile = write_profile(
        tmp / "p", "control 'c' do\n  describe file('/') do\n    it { should exist }\n  end\nend\n"
    )
    (tmp / "binary.yml").write_bytes(b"a: \xd0\xff\n")
    (tmp / "intkey.yml").write_text("1: 2\n")
    exec_ = ["exec", str(profile), "-t", "local://"]
    return [
        (["serve", "--port", "99999"], {}, "--port"),
        (["serve", "--workers", "-1"], {}, "--workers"),
        (["serve", "--queue-size", "0"], {}, "--queue-size"),
        (["serve", "--log-level", "loud"], {}, "--log-level"),
        (["serve", "--store", "bogus://x"], {}, "store"),
        (["serve", "--env-file", str(tmp / "missing.env")], {}, "--env-file"),
        (["serve"], {"PORT": "eighty"}, "ANSIBLE_INSPEC_RS_PORT"),
        (["serve"], {"NICE": "50"}, "nice"),
        (["worker", "--store", f"sqlite:///{tmp}/w.db", "--metrics-port", "99999"], {}, "--metrics-port"),
        ([*exec_, "--input-file", "/dev/zero"], {}, "--input-file"),
        ([*exec_, "--input-file", str(tmp / "binary.yml")], {}, "--input-file"),
        ([*exec_, "--input-file", str(tmp / "intkey.yml")], {}, "--input-file"),
        ([*exec_, "-e", "{bad"], {}, "--extra-vars"),
    ]


def test_bad_arguments_exit_2_naming_the_argument(tmp_path: Path) -> None:
    failures = []
    for argv, settings, named in bad_cases(tmp_path):
        out = subprocess.run(
            [sys.executable, "-m", "ansible_inspec_rs", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=server_env(data_dir=str(tmp_path / "data"), **settings),
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 2 or named not in out.stderr or "Traceback" in out.stderr:
            failures.append((argv, settings, out.returncode, out.stderr[-600:]))
    assert not failures, failures


@pytest.mark.parametrize("command", ["parse", "exec"])
def test_a_reader_that_left_ends_the_command_quietly(command: str, tmp_path: Path) -> None:
    """``ansible-inspec-rs ... | head``: when the reader of standard output has gone, the
    command ends with the shell's code for SIGPIPE (141), without a traceback."""
    profile = write_profile(tmp_path / "p", ONE_CONTROL)
    argv = {
        "parse": ["parse", str(REPO / "examples/profiles/linux-baseline"), "--json"],
        "exec": ["exec", str(profile), "-t", "local://", "--reporter", "json"],
    }[command]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before a byte was written
    try:
        out = subprocess.run(
            [sys.executable, "-m", "ansible_inspec_rs", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=server_env(),
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(write_end)
    assert out.returncode == 141, out.stderr
    assert "Traceback" not in out.stderr and "BrokenPipeError" not in out.stderr, out.stderr


def test_ctrl_c_in_any_command_exits_130_without_a_traceback() -> None:
    """Ctrl-C typed while ``demo`` runs its jobs (no handler of its own): the shell's code for
    SIGINT, not a KeyboardInterrupt traceback."""
    out, code = in_terminal("demo", timeout=60, send=("job ", b"\x03"))
    assert code == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
