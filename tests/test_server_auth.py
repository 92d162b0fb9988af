"""Authentication and roles on the real server; secure-by-default start-up rules."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from ansible_inspec_rs.server import Settings, create_app
from helpers import (
    ADMIN_TOKEN,
    JWT_SECRET,
    REPO,
    LiveServer,
    bearer,
    jwt_for,
    make_template,
    server_env,
    start_server,
    unique,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

PROTECTED = [
    ("GET", "/api/v1"),
    ("GET", "/api/v1/templates"),
    ("GET", "/api/v1/job-templates"),
    ("GET", "/api/v1/jobs"),
    ("GET", "/api/v1/statistics"),
    ("POST", "/api/v1/jobs"),
    ("GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000/events"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_missing_or_bad_credential_is_401(anon: httpx.Client, method: str, path: str) -> None:
    r = anon.request(method, path)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    for headers in (bearer("wrong-token"), {"Authorization": f"Basic {ADMIN_TOKEN}"}, bearer("a.b.c")):
        assert anon.request(method, path, headers=headers).status_code == 401


def test_open_routes(anon: httpx.Client) -> None:
    assert anon.get("/health").status_code == 200
    assert anon.get("/", follow_redirects=False).status_code in (302, 307)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert anon.get(path).status_code == 200, path


def test_static_token_is_admin(admin: httpx.Client) -> None:
    tpl = make_template(admin)
    assert admin.delete(f"/api/v1/templates/{tpl['name']}").status_code == 204


def test_roles(client_as: Callable[[str], httpx.Client], admin: httpx.Client) -> None:
    viewer, operator, boss = client_as("viewer"), client_as("operator"), client_as("admin")
    tpl = make_template(admin, target="a")
    body = {"name": unique(), "command": ["true"]}

    assert viewer.get("/api/v1/templates").status_code == 200
    r = viewer.post("/api/v1/templates", json=body)
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    assert viewer.post("/api/v1/jobs", json={"template_name": tpl["name"], "hosts": ["a"]}).status_code == 403
    assert viewer.post(f"/api/v1/job-templates/{tpl['id']}/launch").status_code == 403

    assert operator.post("/api/v1/templates", json=body).status_code == 201
    assert operator.post(f"/api/v1/job-templates/{tpl['id']}/launch").status_code == 201
    r = operator.delete(f"/api/v1/templates/{body['name']}")
    assert r.status_code == 403 and "admin" in r.json()["detail"]

    assert boss.delete(f"/api/v1/templates/{body['name']}").status_code == 204
    assert client_as("nobody").get("/api/v1/templates").status_code == 403


def test_jwt_in_cookie(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, cookies={"ansible_inspec_token": jwt_for("viewer")}) as c:
        assert c.get("/api/v1/templates").status_code == 200
        assert c.post("/api/v1/templates", json={"name": unique(), "command": ["true"]}).status_code == 403


def test_bad_jwts_are_401(anon: httpx.Client) -> None:
    now = int(time.time())
    claims = {"user_id": 1, "username": "u", "roles": ["admin"]}
    bad = [
        jwt_for("admin", expires_in=-60),  # expired
        jwt.encode({**claims, "exp": now + 60}, "x" * 64, algorithm="HS256"),
        jwt.encode(claims, JWT_SECRET, algorithm="HS256"),  # no exp
        jwt.encode({**claims, "exp": now + 60}, JWT_SECRET, algorithm="HS512"),  # not HS256
        jwt_for("admin")[:-4] + "AAAA",  # tampered signature
    ]
    for token in bad:
        assert anon.get("/api/v1/templates", headers=bearer(token)).status_code == 401


def test_websocket_needs_a_credential(server: LiveServer, admin: httpx.Client) -> None:
    ws_url = server.url.replace("http", "ws") + "/api/v1/jobs/00000000-0000-4000-8000-000000000000/ws"
    with pytest.raises(InvalidStatus):
        connect(ws_url, open_timeout=5).close()
    # A known credential gets through (the job does not exist: closed with 4404).
    with connect(ws_url + f"?token={ADMIN_TOKEN}", open_timeout=5) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == 4404


@pytest.mark.parametrize("metrics_auth", [True, None])
async def test_metrics_auth_setting(metrics_auth: bool | None) -> None:
    """With metrics_auth, or unset while a credential exists, the /metrics route asks for a viewer
    (in-process app, real executor); metrics_auth=false opens it."""
    settings = Settings(_env_file=None, api_tokens=["t0ken-for-metrics"], metrics_auth=metrics_auth)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            assert (await c.get("/metrics")).status_code == 401
            assert (await c.get("/metrics", headers=bearer("t0ken-for-metrics"))).status_code == 200
            assert (await c.get("/health")).status_code == 200
    opened = create_app(Settings(_env_file=None, api_tokens=["t0ken-for-metrics"], metrics_auth=False))
    async with opened.router.lifespan_context(opened):
        transport = httpx.ASGITransport(app=opened)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            assert (await c.get("/metrics")).status_code == 200


def test_refuses_public_bind_without_credentials() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_inspec_rs", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=REPO,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "refusing to serve 0.0.0.0 without credentials" in proc.stderr
    assert "--insecure-no-auth" in proc.stderr


def test_loopback_without_credentials_warns_and_serves(tmp_path: Path) -> None:
    live = start_server(tmp_path)
    try:
        assert "NO AUTHENTICATION" in live.log()
        with httpx.Client(base_url=live.url, timeout=10) as c:
            assert c.get("/api/v1/templates").status_code == 200
            r = c.post("/api/v1/templates", json={"name": unique(), "command": ["true"]})
            assert r.status_code == 201
    finally:
        live.stop()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_INSPEC_RS_API_TOKENS", "tok-alpha-123, tok-beta-456,")
    monkeypatch.setenv("ANSIBLE_INSPEC_RS_PORT", "9123")
    monkeypatch.setenv("ANSIBLE_INSPEC_RS_PROFILE_ROOTS", "/srv/profiles,/opt/p")
    monkeypatch.setenv("ANSIBLE_INSPEC_RS_STORE_URL", "sqlite:///data/jobs.db")
    s = Settings(_env_file=None)
    assert [t.get_secret_value() for t in s.api_tokens] == ["tok-alpha-123", "tok-beta-456"]
    assert s.port == 9123 and s.host == "127.0.0.1"
    assert [str(p) for p in s.profile_roots] == ["/srv/profiles", "/opt/p"]
    assert s.store_url == "sqlite:///data/jobs.db"
    assert s.auth_enabled
    assert "tok-alpha-123" not in repr(s) and "tok-beta-456" not in str(s)
    monkeypatch.delenv("ANSIBLE_INSPEC_RS_API_TOKENS")
    assert not Settings(_env_file=None).auth_enabled


def test_settings_from_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ANSIBLE_INSPEC_RS_JWT_SECRET", "ANSIBLE_INSPEC_RS_WORKERS", "ANSIBLE_INSPEC_RS_API_TOKENS"):
        monkeypatch.delenv(key, raising=False)
    env = tmp_path / ".env"
    env.write_text("ANSIBLE_INSPEC_RS_JWT_SECRET=from-the-dotenv-file\nANSIBLE_INSPEC_RS_WORKERS=3\n")
    s = Settings(_env_file=env)
    assert s.workers == 3 and s.jwt_secret is not None
    assert s.jwt_secret.get_secret_value() == "from-the-dotenv-file" and s.auth_enabled


def test_bind_rules() -> None:
    from ansible_inspec_rs.commands.serve import bind_refusal

    def settings(host: str, **kw: object) -> Settings:
        fields: dict[str, object] = {"api_tokens": [], "jwt_secret": None, **kw}
        return Settings(_env_file=None, host=host, **fields)  # type: ignore[arg-type]

    for loopback in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert bind_refusal(settings(loopback)) is None, loopback
    for public in ("0.0.0.0", "::", "10.1.2.3", "example.org"):
        assert bind_refusal(settings(public)) is not None, public
        assert bind_refusal(settings(public, insecure_no_auth=True)) is None
        assert bind_refusal(settings(public, api_tokens=["a-token"])) is None
        assert bind_refusal(settings(public, jwt_secret="a-secret")) is None
