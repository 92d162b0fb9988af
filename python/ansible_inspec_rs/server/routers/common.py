"""Small input-shaping helpers shared by the routers (no business rules)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ansible_inspec_rs.server.errors import NativeErrorRoute

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


def request_hosts(hosts: list[str] | None, target: str | None = None) -> list[str]:
    """The explicit hosts of a REST request, for the core's one host selection
    (``Executor.submit``): ``hosts``, else the original id-keyed interface's request ``target``,
    a comma-separated host list (``"a, b"`` -> ``["a", "b"]``; see the glossary in
    docs/ARCHITECTURE.md). Empty: the template's inventory + target + limit select them, and
    selecting none is a ValidationError naming ``hosts`` (422)."""
    if hosts:
        return hosts
    return [h.strip() for h in (target or "").split(",") if h.strip()]
