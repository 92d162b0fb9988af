"""Helpers of the end-to-end tests: start real servers, drive them with httpx."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ansible_inspec_rs.server.auth import issue_jwt

REPO = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "static-admin-" + secrets.token_hex(12)
JWT_SECRET = "jwt-secret-" + secrets.token_hex(32)
TERMINAL = {"successful", "failed", "error", "timeout", "canceled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """The samples a Prometheus endpoint on 127.0.0.1:`port` serves, by name (labels dropped,
    so only for unlabelled metrics)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def server_env(**settings: str) -> dict[str, str]:
    """The test environment without any ANSIBLE_INSPEC_RS_ variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_INSPEC_RS_")}
    env.update({f"ANSIBLE_INSPEC_RS_{k.upper()}": v for k, v in settings.items()})
    return env


def start_server(log_dir: Path, *args: str, cwd: Path = REPO, **settings: str) -> LiveServer:
    """Starts ``python -m ansible_inspec_rs serve`` (in ``cwd``) and waits until /health answers."""
    port = free_port()
    # The server's default store (SQLite in its data directory), private to this server.
    settings.setdefault("data_dir", str(log_dir / f"data-{port}"))
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ansible_inspec_rs", "serve", "--port", str(port), *args],
            cwd=cwd,
            env=server_env(**settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer /health in 30 s:\n{server.log()}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwt_for(*roles: str, **kwargs: Any) -> str:
    return issue_jwt(JWT_SECRET, username=f"user-{'-'.join(roles) or 'none'}", roles=list(roles), **kwargs)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_template(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    # Made-up host names (h1, web1, ...): checks run here with {host} substituted.
    body = {"name": unique(), "connection": "local", **fields}
    if not any(k in body for k in ("profile", "playbook", "command")):
        body["command"] = ["true"]
    r = client.post("/api/v1/templates", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def submit(client: httpx.Client, template: str, hosts: list[str], **extra: Any) -> str:
    r = client.post("/api/v1/jobs", json={"template_name": template, "hosts": hosts, **extra})
    assert r.status_code == 202, r.text
    job_id: str = r.json()["job_id"]
    return job_id


def wait_job(client: httpx.Client, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["status"] in TERMINAL:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
        time.sleep(0.05)


def wait_status(client: httpx.Client, job_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] == status:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job['status']}, never {status}")
        time.sleep(0.05)
