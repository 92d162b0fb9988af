"""Issue 18: ``ansible_inspec_rs.fastapi.router`` in a host app authenticates as ``serve`` does.

The module docstring's example is written to a fresh folder and run by uvicorn, then called
with httpx: credentials are required (before any body is read), the body limit holds, the host
app's /docs offer the bearer scheme, and without a credential the app refuses to start."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from ansible_inspec_rs import fastapi as embedded
from helpers import ADMIN_TOKEN, JWT_SECRET, bearer, free_port, jwt_for, server_env

EVIL = "http://evil.example"


@dataclass
class HostApp:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def write_example(folder: Path) -> None:
    doc = embedded.__doc__ or ""
    match = re.search(r"```python\n(.*?)```", doc, re.S)
    assert match, "the docstring has a python example"
    (folder / "host_app.py").write_text(match.group(1))


def start_host_app(folder: Path, **settings: str) -> HostApp:
    port = free_port()
    log = folder / f"uvicorn-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "host_app:app", "--port", str(port)],
            cwd=folder,
            env=server_env(**settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return HostApp(f"http://127.0.0.1:{port}", proc, log)


def wait_ready(app: HostApp) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert app.proc.poll() is None, app.log.read_text()
        try:
            httpx.get(app.url + "/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(app.log.read_text())


@pytest.fixture(scope="module")
def host_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostApp]:
    folder = tmp_path_factory.mktemp("fresh-folder")
    write_example(folder)
    app = start_host_app(
        folder,
        api_tokens=ADMIN_TOKEN,
        jwt_secret=JWT_SECRET,
        max_body_bytes="4096",
        allow_commands="true",  # the example seeds a command template, run on local://
        allow_local="true",
    )
    wait_ready(app)
    yield app
    app.proc.terminate()
    app.proc.wait(15)


def test_docstring_example_runs_and_needs_credentials(host_app: HostApp) -> None:
    with httpx.Client(base_url=host_app.url, timeout=10) as anon:
        for path in ("/compliance/templates", "/compliance/jobs", "/compliance/statistics", "/my/summary"):
            r = anon.get(path)
            assert r.status_code == 401, (path, r.text)
        r = anon.post("/compliance/jobs", json={"template_name": "hello", "hosts": ["local://"]})
        assert r.status_code == 401
        viewer = bearer(jwt_for("viewer"))
        assert anon.get("/compliance/templates/hello", headers=viewer).json()["command"] == ["echo", "hello"]
        assert anon.get("/my/summary", headers=viewer).json()["workers"] >= 1
        r = anon.post(
            "/compliance/jobs", json={"template_name": "hello", "hosts": ["local://"]}, headers=viewer
        )
        assert r.status_code == 403  # JWT roles as in serve
        admin = bearer(ADMIN_TOKEN)
        r = anon.post(
            "/compliance/jobs", json={"template_name": "hello", "hosts": ["local://"]}, headers=admin
        )
        assert r.status_code == 202, r.text
        r = anon.post(
            "/compliance/templates",
            json={"name": "x", "command": ["true"]},
            headers={**admin, "Origin": EVIL},
        )
        assert r.status_code == 403


def test_body_limit_and_strict_json_in_the_host_app(host_app: HostApp) -> None:
    with httpx.Client(base_url=host_app.url, timeout=10, headers=bearer(ADMIN_TOKEN)) as c:
        r = c.post("/compliance/templates", json={"name": "big", "command": ["true"], "d": "x" * 5000})
        assert r.status_code == 413, r.text
        r = c.post(
            "/compliance/templates",
            json={"name": "big", "command": ["true"], "d": "x" * 5000},
            headers={"Authorization": ""},
        )
        assert r.status_code == 401  # credentials first, body never read
        r = c.post(
            "/compliance/templates",
            content=b'{"name": "n", "command": ["true"], "forks": NaN}',
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "forks"]
        r = c.post(
            "/compliance/templates",
            content=b'{"name": "\\ud800", "command": ["true"]}',
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422 and "name" in r.json()["detail"][0]["loc"]


def test_host_app_docs_offer_the_bearer_scheme(host_app: HostApp) -> None:
    spec = httpx.get(host_app.url + "/openapi.json", timeout=10).json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "static API token or HS256 JWT (also the ansible_inspec_token cookie)",
    }
    for path in ("/compliance/jobs", "/compliance/templates", "/my/summary"):
        for operation in spec["paths"][path].values():
            assert operation["security"] == [{"bearerAuth": []}], path


def test_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    write_example(tmp_path)
    app = start_host_app(tmp_path)
    assert app.proc.wait(30) != 0
    assert "refusing to start: no credential is configured" in app.log.read_text()

    opted_out = start_host_app(tmp_path, insecure_no_auth="true")
    try:
        wait_ready(opted_out)
        with httpx.Client(base_url=opted_out.url, timeout=10) as c:
            assert c.get("/compliance/templates").status_code == 200
            # Without credentials: loopback Host names only (no DNS rebinding).
            assert c.get("/compliance/templates", headers={"Host": "evil.example"}).status_code == 400
    finally:
        opted_out.proc.terminate()
        opted_out.proc.wait(15)
