"""Small input-shaping helpers shared by the routers (no business rules)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ansible_inspec_rs import _core
from ansible_inspec_rs.server.errors import NativeErrorRoute

LOCAL_HOST = "local://"

Responses = dict[int | str, dict[str, Any]]

ERRORS_404: Responses = {404: {"description": "Not found"}}
ERRORS_409: Responses = {409: {"description": "Conflicts with the current state"}}
ERRORS_400: Responses = {
    400: {"description": "Malformed JSON, or a path outside the allowed roots (names the field)"}
}
BAD_BODY: Responses = {400: {"description": "The body is not valid JSON"}}
ERRORS_503: Responses = {
    503: {"description": "Queue full or store unavailable (Retry-After), or executor closed"}
}


AUTH_ERRORS: Responses = {
    401: {"description": "Missing or invalid credential"},
    403: {"description": "The credential's role is too low"},
}


def new_router(tag: str, *, authenticated: bool = True) -> APIRouter:
    return APIRouter(
        route_class=NativeErrorRoute, tags=[tag], responses=AUTH_ERRORS if authenticated else None
    )


def split_target(target: str | None) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    if not target:
        return []
    return [h.strip() for h in target.split(",") if h.strip()]


def hosts_for(template: _core.Template, hosts: list[str] | None) -> list[str]:
    """The hosts asked for, else the template's target, else ``local://``."""
    return hosts or split_target(template.target) or [LOCAL_HOST]
