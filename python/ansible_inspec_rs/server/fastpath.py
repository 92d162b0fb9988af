"""A pure-ASGI answer for ``GET /api/v1/jobs/{job_id}``, the route clients poll.

FastAPI's routing and dependency resolution cost more than the native lookup itself, so the
server app answers this one route here: same authentication (the principal the request gate
found; viewer), same error mapping, same body (the native ``Job.to_dict()``, which has JobOut's
fields). Anything else, and any case it does not handle itself, goes on to FastAPI, whose route
for the same path stays the documented one (and the one apps that include
``ansible_inspec_rs.fastapi.router`` use).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from ansible_inspec_rs import _core, errors
from ansible_inspec_rs.server.auth import PRINCIPAL_KEY, Principal
from ansible_inspec_rs.server.deps import EXECUTOR_KEY, job_json
from ansible_inspec_rs.server.errors import error_response

ROUTE = "/api/v1/jobs/{job_id}"
ROUTE_LABEL_KEY = "ansible_inspec_route"
_PREFIX = "/api/v1/jobs/"


async def _send_json(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class JobReadFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        job_id = path[len(_PREFIX) :] if path.startswith(_PREFIX) else ""
        state = getattr(scope.get("app"), "state", None)
        ex: _core.Executor | None = getattr(state, EXECUTOR_KEY, None)
        principal: Principal | None = scope.get(PRINCIPAL_KEY)
        if not job_id or "/" in job_id or ex is None or principal is None:
            await self.app(scope, receive, send)
            return
        scope[ROUTE_LABEL_KEY] = ROUTE
        if not principal.has("viewer"):
            await _send_json(send, 403, json.dumps({"detail": "Role 'viewer' required"}).encode(), [])
            return
        try:
            job = await ex.get(job_id)
        except errors.AnsibleInspecError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await _send_json(send, 200, await job_json(job), [])
