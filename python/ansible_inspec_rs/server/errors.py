"""The one place where native exceptions become HTTP answers.

Routes let ``ansible_inspec_rs.errors`` exceptions propagate; ``NativeErrorRoute`` (the route
class of every router in this package) turns them into JSON responses, so an app that only
includes our router gets the same mapping as our own app.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ansible_inspec_rs import errors

RETRY_AFTER_SECONDS = 1


def field_error(field: str | None, message: str, kind: str) -> list[dict[str, Any]]:
    """FastAPI's own 422 shape, so clients parse one kind of error body."""
    loc: list[str] = ["body", field] if field else ["body"]
    return [{"loc": loc, "msg": message, "type": kind}]


def error_response(exc: errors.AnsibleInspecError) -> JSONResponse:
    """The HTTP answer for a native exception."""
    if isinstance(exc, errors.PathNotAllowed):
        message = exc.rule or str(exc)
        return JSONResponse({"detail": field_error(exc.field, message, "path_not_allowed")}, 400)
    if isinstance(exc, errors.ValidationError):
        message = exc.rule or str(exc)
        return JSONResponse({"detail": field_error(exc.field, message, "value_error")}, 422)
    if isinstance(exc, errors.NotFoundError):
        return JSONResponse({"detail": str(exc)}, 404)
    if isinstance(exc, errors.ConflictError):
        return JSONResponse({"detail": str(exc)}, 409)
    if isinstance(exc, errors.QueueFull):
        return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, errors.ExecutorClosed):
        return JSONResponse({"detail": str(exc)}, 503)
    if isinstance(exc, errors.StoreError):
        return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, errors.WaitTimeout):
        return JSONResponse({"detail": str(exc)}, 504)
    if isinstance(exc, errors.ProfileError):
        return JSONResponse({"detail": str(exc)}, 422)
    return JSONResponse({"detail": "internal error"}, 500)


async def native_error_handler(request: Request, exc: Exception) -> Response:
    """App-level handler (for errors raised outside a NativeErrorRoute, e.g. in dependencies)."""
    assert isinstance(exc, errors.AnsibleInspecError)
    return error_response(exc)


class NativeErrorRoute(APIRoute):
    """An APIRoute whose handler answers native exceptions with ``error_response``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.AnsibleInspecError as exc:
                return error_response(exc)

        return handle
