r"""An existing FastAPI app that adds ansible-inspec-rs under its own prefix.

Run it:  ANSIBLE_INSPEC_RS_API_TOKENS=s3cret ANSIBLE_INSPEC_RS_ALLOW_COMMANDS=true \
         ANSIBLE_INSPEC_RS_ALLOW_LOCAL=true .venv/bin/uvicorn examples.fastapi_app:app --port 8090
Then:    curl -s -H 'Authorization: Bearer s3cret' localhost:8090/compliance/templates
         curl -s -H 'Authorization: Bearer s3cret' localhost:8090/my/overview

With a credential, command templates (the seeded ``hello``) and checks on this machine
(``local://``) need the two opt-ins above; without them the app refuses to start.

It composes the executor's lifespan with its own, mounts the REST routes at /compliance and
reads the executor in its own route with Depends(get_executor), protected by require("viewer").
Settings (credentials, workers, store URL) come from ANSIBLE_INSPEC_RS_* variables; without a
credential the app refuses to start (ANSIBLE_INSPEC_RS_INSECURE_NO_AUTH=true opts out, and then
only loopback Host names are answered).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from ansible_inspec_rs import Executor
from ansible_inspec_rs.fastapi import executor_lifespan, executor_of, get_executor, require, router
from fastapi import Depends, FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.greeting = "hello from the host app"  # the app's own start-up work
    async with executor_lifespan(app):
        await executor_of(app).templates.create({"name": "hello", "command": ["echo", "hello"]})
        yield
    app.state.greeting = None  # the app's own shutdown work


app = FastAPI(title="My platform", lifespan=lifespan)
app.include_router(router, prefix="/compliance")


@app.get("/my/overview", dependencies=[Depends(require("viewer"))])
async def overview(executor: Annotated[Executor, Depends(get_executor)]) -> dict[str, Any]:
    """A route of the host app that uses the executor directly."""
    stats = executor.stats()
    templates = [t.name for t in await executor.templates.list()]
    return {
        "greeting": app.state.greeting,
        "templates": templates,
        "workers": stats["workers"],
        "jobs_by_status": stats["jobs_by_status"],
    }
