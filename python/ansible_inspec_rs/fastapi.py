"""Integration surface for existing FastAPI apps.

```python
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from ansible_inspec_rs import Executor
from ansible_inspec_rs.fastapi import executor_lifespan, executor_of, get_executor, require, router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with executor_lifespan(app):  # starts the Executor, stops it at shutdown
        await executor_of(app).templates.create({"name": "hello", "command": ["echo", "hello"]})
        yield


app = FastAPI(lifespan=lifespan)
app.include_router(router, prefix="/compliance")  # /compliance/templates, /compliance/jobs, ...


@app.get("/my/summary", dependencies=[Depends(require("viewer"))])
async def summary(ex: Annotated[Executor, Depends(get_executor)]) -> dict[str, Any]:
    return ex.stats()
```

The router holds the routes that ``ansible-inspec-rs serve`` has under ``/api/v1`` (templates,
job-templates, jobs, events, reports, statistics), here under the prefix you give.

Settings (workers, store URL, credentials, body limit, allowed hosts and origins, allowed roots)
come from ``ANSIBLE_INSPEC_RS_*`` environment variables or ``.env``; to pass them in code, call
``install_settings(app, Settings(...))`` before the app starts. The router authenticates exactly
as ``serve`` does (static tokens, JWT roles), before it reads a body, which it bounds by
``max_body_bytes`` and ``request_timeout`` (request heads are the host server's: ``serve``
runs uvicorn with ``server.protocol.guarded_http_protocol``, which bounds them too); it
refuses cross-origin state changes unless the origin is in
``cors_origins``. Without a credential ``executor_lifespan`` refuses to start unless the settings
opt out with ``insecure_no_auth`` (then only loopback Host names are answered). ``require(role)``
protects the app's own routes the same way. The routes are documented as bearer-authenticated,
so the app's ``/docs`` has an "Authorize" button. With a credential, command templates and
checks on the app's own machine are refused unless ``allow_commands`` / ``allow_local`` are set
(the example's ``hello`` template needs ``ANSIBLE_INSPEC_RS_ALLOW_COMMANDS=true``). Native errors
are answered by the router itself (404, 409, 422, 503).
"""

from __future__ import annotations

from fastapi import APIRouter

from ansible_inspec_rs.server.app import api_routers
from ansible_inspec_rs.server.auth import require
from ansible_inspec_rs.server.deps import executor_of, get_executor
from ansible_inspec_rs.server.lifespan import executor_lifespan, install_settings
from ansible_inspec_rs.server.settings import Settings

router = APIRouter()
for _router in api_routers():
    router.include_router(_router)

__all__ = [
    "Settings",
    "executor_lifespan",
    "executor_of",
    "get_executor",
    "install_settings",
    "require",
    "router",
]
