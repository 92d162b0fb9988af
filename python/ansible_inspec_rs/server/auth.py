"""Bearer authentication and role checks.

Two kinds of credential: static API tokens from the settings (compared in constant time) and
HS256 JWTs compatible with the original ansible-inspec (claims ``user_id``, ``username``,
``roles``, ``exp``), taken from ``Authorization: Bearer`` or the ``ansible_inspec_token`` cookie.
Roles are ordered ``viewer`` < ``operator`` < ``admin``. With no credential configured every
request is let through as an anonymous admin (the serve command then binds to loopback only and
the request gate answers loopback Host names only).
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of ``RoleCheck.__call__``
# at run time, and an instance has no ``__globals__`` to resolve string annotations in.

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import HTTPException, WebSocketException, status
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection

from ansible_inspec_rs.server.settings import Role, Settings

ROLE_RANK: dict[str, int] = {"viewer": 1, "operator": 2, "admin": 3}
AUTH_STATE_KEY = "ansible_inspec_auth"
PRINCIPAL_KEY = "ansible_inspec_principal"  # the scope's principal, once authenticated
SCHEME_NAME = "bearerAuth"
# Registered JWT time claims: PyJWT takes int("123") for them; we want numbers only.
_TIME_CLAIMS = ("exp", "nbf", "iat")


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


def token_digest(token: str) -> bytes:
    """What static tokens are compared by: their SHA-256, so every comparison is between 32
    bytes. ``hmac.compare_digest`` takes time independent of the contents only for equal
    lengths; on raw tokens it would return at once for a token of another length, telling a
    prober the configured token's length."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class AuthError(Exception):
    """Missing or invalid credential (401)."""


class Authenticator:
    """Turns a connection's credential into a Principal. Built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self._tokens = [token_digest(t.get_secret_value()) for t in settings.api_tokens]
        self._token_role: Role = settings.api_token_role
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
        self._jwt_secret = secret or None
        self._jwt_algorithm = settings.jwt_algorithm
        self._cookie = settings.jwt_cookie_name
        self.enabled = settings.auth_enabled
        self.metrics_auth = settings.metrics_need_auth

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
        if conn.scope["type"] == "websocket":
            # Browsers cannot set headers on a WebSocket handshake.
            return conn.query_params.get("token") or None
        return None

    def authenticate(self, conn: HTTPConnection) -> Principal:
        if not self.enabled:
            return Principal("anonymous", ("admin",), "anonymous")
        token = self.credential(conn)
        if token is None:
            raise AuthError("Not authenticated")
        presented = token_digest(token)
        # Compare against every token (no early exit) so timing does not tell which matched.
        matched = False
        for known in self._tokens:
            matched |= hmac.compare_digest(presented, known)
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
            for claim in _TIME_CLAIMS:
                value = claims.get(claim)
                if claim in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                    raise AuthError(f"Invalid token: '{claim}' must be a number of seconds")
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


def principal_of(conn: HTTPConnection) -> Principal:
    """The connection's principal: the one the request gate found, else authenticated now."""
    principal: Principal | None = conn.scope.get(PRINCIPAL_KEY)
    if principal is not None:
        return principal
    is_ws = conn.scope["type"] == "websocket"
    try:
        principal = get_authenticator(conn).authenticate(conn)
    except AuthError as exc:
        if is_ws:
            raise WebSocketException(status.WS_1008_POLICY_VIOLATION, str(exc)) from None
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    conn.scope[PRINCIPAL_KEY] = principal
    return principal


class RoleCheck(SecurityBase):
    """A dependency: the request's principal, which must hold at least ``role``.

    It is a FastAPI security scheme (HTTP bearer), so every route that depends on it is
    documented as authenticated and the docs (also a host app's) get an "Authorize" button.
    """

    def __init__(self, role: Role) -> None:
        self.role: Role = role
        self.scheme_name = SCHEME_NAME
        self.model = HTTPBearerModel(
            description="static API token or HS256 JWT (also the ansible_inspec_token cookie)"
        )

    def check(self, conn: HTTPConnection) -> Principal:
        principal = principal_of(conn)
        if not principal.has(self.role):
            message = f"Role '{self.role}' required"
            if conn.scope["type"] == "websocket":
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, message)
            raise HTTPException(status.HTTP_403_FORBIDDEN, message)
        return principal

    async def __call__(self, conn: HTTPConnection) -> Principal:
        return self.check(conn)


def require(role: Role) -> RoleCheck:
    """A dependency: the request's principal, which must hold at least ``role``."""
    return RoleCheck(role)


require_viewer = require("viewer")
require_operator = require("operator")
require_admin = require("admin")


class MetricsGuard(RoleCheck):
    """``/metrics`` asks for a viewer when ``metrics_auth`` says so (by default: whenever a
    credential is configured)."""

    async def __call__(self, conn: HTTPConnection) -> None:  # type: ignore[override]
        if get_authenticator(conn).metrics_auth:
            self.check(conn)


metrics_guard = MetricsGuard("viewer")


def issue_jwt(
    secret: str,
    *,
    username: str,
    roles: list[str],
    user_id: int | str = 1,
    expires_in: int = 3600,
) -> str:
    """A JWT with the original's claims (for tests, scripts and the docs)."""
    claims = {
        "user_id": user_id,
        "username": username,
        "roles": roles,
        "exp": int(time.time()) + expires_in,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
