"""The one place where native exceptions and invalid requests become HTTP answers.

Routes let ``ansible_inspec_rs.errors`` exceptions propagate; ``NativeErrorRoute`` (the route
class of every router in this package) turns them into JSON responses, so an app that only
includes our router gets the same mapping as our own app. It also admits the request (the
request gate's rules, when no ``GateMiddleware`` ran), decodes JSON bodies strictly and answers
validation errors with a body that always serializes.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from ansible_inspec_rs import errors
from ansible_inspec_rs.server.body import JsonBodyError, decode_json, has_body
from ansible_inspec_rs.server.gate import admit_request

RETRY_AFTER_SECONDS = 1
_PATHS_KEY = "ansible_inspec_documented_paths"


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


async def method_not_allowed_handler(request: Request, exc: Exception) -> Response:
    """405 whose ``Allow`` lists every documented method of the path (each method is a route of
    its own here, and Starlette lists only the first matching route's)."""
    path = request.scope["path"]
    methods = {
        method.upper()
        for pattern, operations in _documented_paths(request.app)
        if pattern.fullmatch(path)
        for method in operations
    }
    allow = ", ".join(sorted(methods)) or getattr(exc, "headers", {}).get("Allow", "")
    return JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": allow})


def _documented_paths(app: Any) -> list[tuple[re.Pattern[str], list[str]]]:
    compiled: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, _PATHS_KEY, None)
    if compiled is None:
        compiled = [(compile_path(path)[0], list(ops)) for path, ops in app.openapi()["paths"].items()]
        setattr(app.state, _PATHS_KEY, compiled)
    return compiled


async def native_error_handler(request: Request, exc: Exception) -> Response:
    """App-level handler (for errors raised outside a NativeErrorRoute, e.g. in dependencies)."""
    assert isinstance(exc, errors.AnsibleInspecError)
    return error_response(exc)


def _text(value: object) -> str:
    # Lone surrogates ("\ud800" in JSON) cannot be encoded as UTF-8: show them escaped.
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _loc_part(part: object) -> str | int:
    return part if isinstance(part, int) and not isinstance(part, bool) else _text(part)


def _is_field(part: object) -> bool:
    """Not one of pydantic's names for a branch of a union or a validator
    (``function-after[_utf8(), str]``, ``list[...]``): no field or parameter has brackets."""
    return not (isinstance(part, str) and ("[" in part or "(" in part))


def validation_error_response(problems: list[dict[str, Any]]) -> JSONResponse:
    """422 in FastAPI's shape (loc, msg, type), ``loc`` naming only fields, parameters and
    indexes. The input is not echoed: it may be large, a secret, or not representable in JSON
    at all (NaN, lone surrogates)."""
    detail = [
        {
            "loc": [_loc_part(p) for p in problem.get("loc", ()) if _is_field(p)],
            "msg": _text(problem.get("msg", "")),
            "type": _text(problem.get("type", "value_error")),
        }
        for problem in problems
    ]
    return JSONResponse({"detail": detail}, 422)


def _is_json(request: Request) -> bool:
    """FastAPI's rule: no Content-Type, or application/json or application/*+json."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class _DecodedRequest(Request):
    """A request whose JSON body is already decoded (strictly, off the loop when large)."""

    def __init__(self, request: Request, raw: bytes, decoded: Any) -> None:
        super().__init__(request.scope, request.receive)
        self._raw = raw
        self._decoded = decoded

    async def body(self) -> bytes:
        return self._raw

    async def json(self) -> Any:
        return self._decoded


class NativeErrorRoute(APIRoute):
    """An APIRoute whose handler admits the request, decodes its JSON body strictly, and answers
    native exceptions with ``error_response`` and invalid input with a 422 naming the field."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def handle(request: Request) -> Response:
            admitted = await admit_request(request)
            if isinstance(admitted, Response):
                return admitted
            request = admitted
            try:
                if takes_body and has_body(request.scope) and _is_json(request):
                    body = await request.body()
                    if body:
                        request = _DecodedRequest(request, body, await decode_json(body))
                return await handler(request)
            except errors.AnsibleInspecError as exc:
                return error_response(exc)
            except JsonBodyError as exc:
                return validation_error_response([{"loc": exc.loc, "msg": exc.message, "type": exc.kind}])
            except RequestValidationError as exc:
                return validation_error_response(list(exc.errors()))

        return handle
