"""What a request must be before anything reads it: the Host it names, the browser origin it
comes from, its credential, the size of its body.

``GateMiddleware`` (outermost in ``create_app``) asks ``RequestGate`` in this order:

1. ``Host``: without a credential configured, only loopback names (``localhost``, ``127.0.0.1``,
   ``[::1]``, any port) and ``allowed_hosts`` are answered (400 otherwise), so a DNS-rebinding
   page cannot reach a server that trusts everyone. With a credential, any Host unless
   ``allowed_hosts`` is set.
2. Browser origin: a state-changing request (not GET/HEAD/OPTIONS) or a WebSocket handshake whose
   ``Origin`` is neither the server's own nor in ``cors_origins`` (or that says
   ``Sec-Fetch-Site: cross-site``) is refused (403): a cross-site form or script cannot launch
   anything, with or without a cookie. A CORS preflight from an allowed origin is answered here.
3. Credential: every path but the open ones (health, docs, and /metrics when it is open) needs
   one (401) — checked before a single byte of the body is read.
4. Body: at most ``max_body_bytes``, declared or received (413), within ``request_timeout``
   seconds (408: a client trickling its body holds no connection for long); then handed on in
   one piece.

Role checks stay with the routes (``auth.require``), which reuse the principal found here.
Apps that only include ``ansible_inspec_rs.fastapi.router`` have no middleware; its route class
asks the same gate (``admit_request``).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ansible_inspec_rs.server.auth import PRINCIPAL_KEY, Authenticator, AuthError, Principal
from ansible_inspec_rs.server.body import BodyTooLarge, ClientGone, has_body, read_body, replay
from ansible_inspec_rs.server.docs import ASSETS_PATH
from ansible_inspec_rs.server.settings import Settings, is_loopback

GATE_STATE_KEY = "ansible_inspec_gate"
GATED_KEY = "ansible_inspec_gated"  # set on a scope the gate has admitted

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths answered without a credential (relative to the app's root_path).
OPEN_PATHS = frozenset({"/health", "/", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
METRICS_PATH = "/metrics"
# Static files of the offline /docs page, open like the page itself.
OPEN_PREFIXES = (ASSETS_PATH + "/",)

CORS_METHODS = "GET, POST, PUT, DELETE"
CORS_HEADERS = "Authorization, Content-Type, Last-Event-ID"
CORS_EXPOSED = "Retry-After, WWW-Authenticate"
CORS_MAX_AGE = "600"
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


@dataclass(frozen=True)
class Answer:
    """What the gate says instead of the app: a refusal, or a CORS preflight's answer."""

    status: int
    detail: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        if self.detail is None:
            return Response(status_code=self.status, headers=dict(self.headers))
        body = json.dumps({"detail": self.detail})
        return Response(body, self.status, dict(self.headers), media_type="application/json")


@dataclass(frozen=True)
class Admission:
    """An admitted request: who sent it (None on an open path) and its allowed foreign origin."""

    principal: Principal | None
    cors_origin: str | None = None


def _origin_key(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _host_name(host: str) -> str:
    """``[::1]:8080`` -> ``::1``; ``Example.COM.:80`` -> ``example.com``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rpartition(":")[0].rstrip(".") if ":" in host else host.rstrip(".")


class RequestGate:
    """The rules above, built once from the settings and the app's Authenticator."""

    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        self.auth = authenticator
        self.max_body_bytes = settings.max_body_bytes
        self.request_timeout = settings.request_timeout
        self.allowed_hosts = frozenset(_host_name(h) if h != "*" else h for h in settings.allowed_hosts)
        self.check_host = not settings.auth_enabled or bool(self.allowed_hosts)
        self.cors_origins = frozenset(_origin_key(o) for o in settings.cors_origins)
        self.open_paths = OPEN_PATHS if settings.metrics_need_auth else OPEN_PATHS | {METRICS_PATH}

    # --- the rules ------------------------------------------------------------------------------

    def host_allowed(self, host: str | None) -> bool:
        if host is None:
            return False
        return self._host_allowed(host)

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one gate per app; a few Host values)
    def _host_allowed(self, host: str) -> bool:
        # Parsing the name (ipaddress) costs more than the rest of the gate: remember the answer.
        name = _host_name(host)
        return is_loopback(name) or "*" in self.allowed_hosts or name in self.allowed_hosts

    def origin_allowed(self, origin: str) -> bool:
        return _origin_key(origin) in self.cors_origins

    def foreign_origin(self, headers: Headers) -> str | None:
        """The request's origin when it is neither this server's own nor an allowed one."""
        origin = headers.get("origin")
        if origin is None:
            # Browsers send Origin on every cross-site unsafe request; this is belt and braces.
            return "cross-site" if headers.get("sec-fetch-site") == "cross-site" else None
        if self.origin_allowed(origin):
            return None
        parts = urlsplit(origin.strip().lower())
        own = headers.get("host", "").strip().lower()
        netloc = parts.netloc
        default_port = _DEFAULT_PORTS.get(parts.scheme)
        if netloc and (netloc == own or (default_port is not None and f"{netloc}:{default_port}" == own)):
            return None
        return origin

    def needs_credential(self, scope: Scope) -> bool:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        return path not in self.open_paths and not path.startswith(OPEN_PREFIXES)

    def admit(self, scope: Scope, *, open_paths: bool = True) -> Answer | Admission:
        """Host, origin, CORS preflight and credential; never reads the body. ``open_paths=False``
        asks for a credential everywhere (the embedded router has no open paths)."""
        headers = Headers(scope=scope)
        if self.check_host and not self.host_allowed(headers.get("host")):
            return Answer(400, "Invalid Host header: answered are loopback names and ALLOWED_HOSTS")
        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        origin = headers.get("origin")
        if method == "OPTIONS" and origin is not None and "access-control-request-method" in headers:
            return self.preflight(origin)
        if method not in SAFE_METHODS:
            foreign = self.foreign_origin(headers)
            if foreign is not None:
                return Answer(403, f"Cross-origin request from {foreign[:200]!r} refused")
        cors_origin = origin if origin is not None and self.origin_allowed(origin) else None
        if open_paths and not self.needs_credential(scope):
            return Admission(None, cors_origin)
        try:
            principal = self.auth.authenticate(HTTPConnection(scope))
        except AuthError as exc:
            return Answer(401, str(exc), (("WWW-Authenticate", "Bearer"), *self.cors_headers(cors_origin)))
        return Admission(principal, cors_origin)

    def preflight(self, origin: str) -> Answer:
        if not self.origin_allowed(origin):
            return Answer(403, f"Origin {origin[:200]!r} is not allowed (cors_origins)")
        return Answer(
            204,
            None,
            (
                *self.cors_headers(origin),
                ("Access-Control-Allow-Methods", CORS_METHODS),
                ("Access-Control-Allow-Headers", CORS_HEADERS),
                ("Access-Control-Max-Age", CORS_MAX_AGE),
            ),
        )

    @staticmethod
    def cors_headers(origin: str | None) -> Iterable[tuple[str, str]]:
        if origin is None:
            return ()
        return (
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", CORS_EXPOSED),
            ("Vary", "Origin"),
        )


def gate_of(app: Any) -> RequestGate | None:
    gate: RequestGate | None = getattr(getattr(app, "state", None), GATE_STATE_KEY, None)
    return gate


NOT_CONFIGURED = Answer(503, "authentication is not configured (is executor_lifespan part of the app?)")


async def _refuse(scope: Scope, receive: Receive, send: Send, answer: Answer) -> None:
    if scope["type"] == "websocket":
        # Closing before accepting answers the handshake with 403.
        await send({"type": "websocket.close", "code": 1008, "reason": (answer.detail or "")[:120]})
        return
    await _refusal_response(scope, answer)(scope, receive, send)


class GateMiddleware:
    """Pure ASGI: the gate's rules before the app (and FastAPI) sees the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        gate = gate_of(scope.get("app"))
        admission = gate.admit(scope) if gate is not None else NOT_CONFIGURED
        if isinstance(admission, Answer):
            await _refuse(scope, receive, send, admission)
            return
        assert gate is not None
        scope[GATED_KEY] = True
        if admission.principal is not None:
            scope[PRINCIPAL_KEY] = admission.principal
        if scope["type"] == "http" and has_body(scope):
            try:
                body = await _read_body(gate, scope, receive)
            except BodyTooLarge:
                await _refuse(scope, receive, send, too_large(gate))
                return
            except TimeoutError:
                await _refuse(scope, receive, send, too_slow(gate))
                return
            except ClientGone:
                return
            receive = replay(body, receive)
        if admission.cors_origin is not None:
            send = _with_headers(send, gate.cors_headers(admission.cors_origin))
        await self.app(scope, receive, send)


def too_large(gate: RequestGate) -> Answer:
    return Answer(413, f"Request body larger than {gate.max_body_bytes} bytes (max_body_bytes)")


def too_slow(gate: RequestGate) -> Answer:
    return Answer(408, f"Request body not received within {gate.request_timeout:g} s (request_timeout)")


async def _read_body(gate: RequestGate, scope: Scope, receive: Receive) -> bytes:
    """The body within the gate's size and time limits (BodyTooLarge, TimeoutError)."""
    async with asyncio.timeout(gate.request_timeout):
        return await read_body(scope, receive, gate.max_body_bytes)


def _with_headers(send: Send, extra: Iterable[tuple[str, str]]) -> Send:
    raw = [(k.lower().encode(), v.encode()) for k, v in extra]

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *raw]}
        await send(message)

    return send_with_headers


async def admit_request(request: Request) -> Request | Response:
    """For a route outside ``GateMiddleware`` (an app that includes the public router): the same
    rules, a credential on every route, and the body read within the limit. Returns the request
    to hand on (its body replayed) or the refusal."""
    scope = request.scope
    if scope.get(GATED_KEY):
        return request
    gate = gate_of(request.app)
    admission = gate.admit(scope, open_paths=False) if gate is not None else NOT_CONFIGURED
    if isinstance(admission, Answer):
        return _refusal_response(scope, admission)
    assert gate is not None
    scope[GATED_KEY] = True
    scope[PRINCIPAL_KEY] = admission.principal
    if not has_body(scope):
        return request
    try:
        body = await _read_body(gate, scope, request.receive)
    except BodyTooLarge:
        return _refusal_response(scope, too_large(gate))
    except TimeoutError:
        return _refusal_response(scope, too_slow(gate))
    except ClientGone:
        return _refusal_response(scope, Answer(400, "The client disconnected before its body arrived"))
    return Request(scope, replay(body, request.receive))


def _refusal_response(scope: Scope, answer: Answer) -> Response:
    response = answer.response()
    if has_body(scope):
        # The body stays unread: end the connection rather than read (or mis-frame) the rest.
        response.headers["Connection"] = "close"
    return response
