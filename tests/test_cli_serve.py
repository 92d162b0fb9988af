"""``ansible-inspec-rs serve`` as a stranger starts it from a fresh folder: the banner names the
address it really listens on (``--port 0`` picks one) and appears only once it listens; a seed
file the executor refuses is one line naming the file, the template and the field, exit code
2, never a traceback after a banner that said the server was serving; SIGTERM (systemd's stop)
and Ctrl-C cancel the running jobs and exit 0."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import marker_seconds, processes_with_arg
from helpers import REPO, server_env, start_server, submit

SERVE = [sys.executable, "-m", "ansible_inspec_rs", "serve"]


def test_port_0_prints_the_port_it_listens_on(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*SERVE, "--port", "0"],
        cwd=tmp_path,
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()  # the banner's first line
        match = re.search(r"serving on http://127\.0\.0\.1:(\d+) ", line)
        assert match, line
        port = int(match.group(1))
        assert port != 0, line
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_an_address_in_use_prints_no_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [*SERVE, "--port", str(port)], cwd=tmp_path, env=server_env(), capture_output=True, timeout=60
        )
    assert out.returncode != 0
    assert b"serving on" not in out.stdout, out.stdout
    assert b"address already in use" in out.stderr, out.stderr


def test_a_refused_seed_template_is_one_line_naming_it(tmp_path: Path) -> None:
    # The example seed file from another folder: its profile is outside the default root (.).
    seed = REPO / "examples" / "templates.json"
    started = time.monotonic()
    out = subprocess.run(
        [*SERVE, "--port", "0", "--seed", str(seed)],
        cwd=tmp_path,
        env=server_env(),
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 2, out
    assert b"serving on" not in out.stdout, out.stdout
    lines = out.stderr.decode().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, lines
    assert "Traceback" not in out.stderr.decode(), lines
    assert str(seed) in errors[0] and "'linux-baseline'" in errors[0], errors
    assert "profile" in errors[0] and "PROFILE_ROOTS" in errors[0], errors
    assert time.monotonic() - started < 30

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "command": ["true"], "forks": 0}]))
    out = subprocess.run(
        [*SERVE, "--port", "0", "--seed", str(bad)],
        cwd=tmp_path,
        env=server_env(),
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 2, out
    assert out.stderr.decode().startswith("error: seed file") or "\nerror: seed file" in out.stderr.decode()
    assert "'x'" in out.stderr.decode() and "forks" in out.stderr.decode(), out.stderr

    bad.write_text("{not json")
    out = subprocess.run(
        [*SERVE, "--port", "0", "--seed", str(bad)],
        cwd=tmp_path,
        env=server_env(),
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 2 and b"Traceback" not in out.stderr, out
    assert f"error: seed file {bad}".encode() in out.stderr, out.stderr


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_running_jobs_and_exits_0(tmp_path: Path, stop: signal.Signals) -> None:
    # uvicorn raises a stop signal again once it has shut down: under the default SIGTERM
    # handler that ended the process before the executor stopped, and the job stayed `running`.
    marker = marker_seconds(300)
    data = str(tmp_path / "data")
    live = start_server(tmp_path, workers="1", data_dir=data)
    with httpx.Client(base_url=live.url, timeout=10) as client:
        r = client.post(
            "/api/v1/templates", json={"name": "long", "command": ["sleep", marker], "timeout": 3600}
        )
        assert r.status_code == 201, r.text
        job_id = submit(client, "long", ["local://"])
        deadline = time.monotonic() + 30
        while not processes_with_arg(marker):
            assert time.monotonic() < deadline, live.log()
            time.sleep(0.05)
    live.proc.send_signal(stop)
    assert live.proc.wait(30) == 0, live.log()
    assert not processes_with_arg(marker)
    again = start_server(tmp_path, workers="0", data_dir=data)  # the same store, nothing runs
    try:
        with httpx.Client(base_url=again.url, timeout=10) as client:
            assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "canceled"
    finally:
        again.stop()


def test_without_httptools_a_server_without_credentials_does_not_start(tmp_path: Path) -> None:
    # Only the guarded httptools protocol tells who is connecting: without it, a server that
    # treats every request as an admin's must not answer the machine's other users.
    fake = tmp_path / "site" / "httptools"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no httptools here')\n")
    env = {**server_env(), "PYTHONPATH": str(fake.parent)}
    out = subprocess.run([*SERVE, "--port", "0"], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert out.returncode == 2, out
    assert b"httptools" in out.stderr and b"serving on" not in out.stdout, out


async def test_the_idle_server_ticks_once_a_second_and_stops_at_once_on_a_signal() -> None:
    """uvicorn's main loop wakes every 0.1 s to look for a stop; ours ticks once a second (an
    idle API process's own CPU is most of what it costs a PostgreSQL cluster between jobs,
    issue 19) and still stops at once when a stop signal arrives."""
    import asyncio

    import uvicorn
    from ansible_inspec_rs.commands.serve import _server_class

    server = _server_class()(uvicorn.Config(app=lambda *_: None), lambda _port: None)
    ticks = 0
    on_tick = server.on_tick

    async def counting(counter: int) -> bool:
        nonlocal ticks
        ticks += 1
        return await on_tick(counter)

    server.on_tick = counting  # type: ignore[method-assign]
    loop = asyncio.create_task(server.main_loop())
    await asyncio.sleep(2.5)
    assert 2 <= ticks <= 4, ticks  # uvicorn's own loop: about 25
    t0 = time.monotonic()
    server.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(loop, 2)
    assert time.monotonic() - t0 < 0.5
