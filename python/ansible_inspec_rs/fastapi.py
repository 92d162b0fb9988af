"""Integration surface for existing FastAPI apps.

```python
from contextlib import asynccontextmanager
from fastapi import Depends, FastAPI
from ansible_inspec_rs.fastapi import executor_lifespan, get_executor, router

@asynccontextmanager
async def lifespan(app):
    async with executor_lifespan(app):   # starts the Executor, stops it at shutdown
        await executor_of(app).templates.create({"name": "hello", "command": ["echo", "hello"]})
        yield

app = FastAPI(lifespan=lifespan)
app.include_router(router, prefix="/compliance")   # the /api/v1 routes under your prefix

@app.get("/my/summary")
async def summary(ex=Depends(get_executor)):
    return ex.stats()
```

Settings (workers, store URL, credentials, allowed roots) come from ``ANSIBLE_INSPEC_RS_*``
environment variables or ``.env``; to pass them in code, call ``install_settings(app, Settings(...))``
before the app starts. The router's routes require credentials exactly as in ``ansible-inspec-rs
serve`` (none are needed when no credential is configured, so configure one before exposing
the app beyond loopback). Native errors are answered by the router itself (404, 409, 422, 503).
"""

from __future__ import annotations

from fastapi import APIRouter

from ansible_inspec_rs.server.app import api_routers
from ansible_inspec_rs.server.deps import executor_of, get_executor
from ansible_inspec_rs.server.lifespan import executor_lifespan, install_settings
from ansible_inspec_rs.server.settings import Settings

router = APIRouter()
for _router in api_routers():
    router.include_router(_router)

__all__ = ["Settings", "executor_lifespan", "executor_of", "get_executor", "install_settings", "router"]
