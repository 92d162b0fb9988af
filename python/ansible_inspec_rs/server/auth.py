"""Bearer authentication and role checks.

Two kinds of credential: static API tokens from the settings (compared in constant time) and
HS256 JWTs compatible with the original ansible-inspec (claims ``user_id``, ``username``,
``roles``, ``exp``), taken from ``Authorization: Bearer`` or the ``ansible_inspec_token`` cookie.
Roles are ordered ``viewer`` < ``operator`` < ``admin``. With no credential configured every
request is let through as an anonymous admin (the serve command then binds to loopback only).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import HTTPException, WebSocketException, status
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from ansible_inspec_rs.server.settings import Role, Settings

ROLE_RANK: dict[str, int] = {"viewer": 1, "operator": 2, "admin": 3}
AUTH_STATE_KEY = "ansible_inspec_auth"


@dataclass(frozen=True)
class Principal:
    """Who made the request."""

    name: str
    roles: tuple[str, ...]
    kind: str  # "token", "jwt" or "anonymous"
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return max((ROLE_RANK.get(r, 0) for r in self.roles), default=0)

    def has(self, role: Role) -> bool:
        return self.rank >= ROLE_RANK[role]


class AuthError(Exception):
    """Missing or invalid credential (401)."""


class Authenticator:
    """Turns a connection's credential into a Principal. Built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self._tokens = [t.get_secret_value().encode() for t in settings.api_tokens]
        self._token_role: Role = settings.api_token_role
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
        self._jwt_secret = secret or None
        self._jwt_algorithm = settings.jwt_algorithm
        self._cookie = settings.jwt_cookie_name
        self.enabled = settings.auth_enabled
        self.metrics_auth = settings.metrics_auth

    def credential(self, conn: HTTPConnection) -> str | None:
        header = conn.headers.get("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthError("Authorization header must be 'Bearer <token>'")
            return value.strip()
        cookie = conn.cookies.get(self._cookie)
        if cookie:
            return cookie
        if isinstance(conn, WebSocket):
            # Browsers cannot set headers on a WebSocket handshake.
            return conn.query_params.get("token") or None
        return None

    def authenticate(self, conn: HTTPConnection) -> Principal:
        if not self.enabled:
            return Principal("anonymous", ("admin",), "anonymous")
        token = self.credential(conn)
        if token is None:
            raise AuthError("Not authenticated")
        encoded = token.encode()
        # Compare against every token (no early exit) so timing does not tell which matched.
        matched = False
        for known in self._tokens:
            matched |= hmac.compare_digest(encoded, known)
        if matched:
            return Principal("api-token", (self._token_role,), "token")
        if self._jwt_secret is not None and token.count(".") == 2:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    self._jwt_secret,
                    algorithms=[self._jwt_algorithm],
                    options={"require": ["exp"]},
                )
            except jwt.PyJWTError as exc:
                raise AuthError(f"Invalid token: {exc}") from None
            roles = claims.get("roles") or []
            if isinstance(roles, str):
                roles = [roles]
            if not isinstance(roles, list):
                raise AuthError("Invalid token: roles must be a list")
            name = str(claims.get("username") or claims.get("user_id") or "jwt-user")
            return Principal(name, tuple(str(r) for r in roles), "jwt", claims)
        raise AuthError("Invalid token")


def get_authenticator(conn: HTTPConnection) -> Authenticator:
    auth: Authenticator | None = getattr(conn.app.state, AUTH_STATE_KEY, None)
    if auth is None:
        # The executor lifespan installs one; without it, fail closed.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "authentication is not configured")
    return auth


def require(role: Role) -> Callable[[HTTPConnection], Awaitable[Principal]]:
    """A dependency: the request's principal, which must hold at least ``role``."""

    async def dependency(conn: HTTPConnection) -> Principal:
        auth = get_authenticator(conn)
        is_ws = conn.scope["type"] == "websocket"
        try:
            principal = auth.authenticate(conn)
        except AuthError as exc:
            if is_ws:
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, str(exc)) from None
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if not principal.has(role):
            message = f"Role '{role}' required"
            if is_ws:
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, message)
            raise HTTPException(status.HTTP_403_FORBIDDEN, message)
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


require_viewer = require("viewer")
require_operator = require("operator")
require_admin = require("admin")


async def metrics_guard(conn: HTTPConnection) -> None:
    """``/metrics`` asks for a viewer only when ``metrics_auth`` is set."""
    if get_authenticator(conn).metrics_auth:
        await require_viewer(conn)


def issue_jwt(
    secret: str,
    *,
    username: str,
    roles: list[str],
    user_id: int | str = 1,
    expires_in: int = 3600,
) -> str:
    """A JWT with the original's claims (for tests, scripts and the docs)."""
    import time

    claims = {
        "user_id": user_id,
        "username": username,
        "roles": roles,
        "exp": int(time.time()) + expires_in,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
