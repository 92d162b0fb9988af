"""``create_app(settings)``: the FastAPI application of ``ansible-inspec-rs serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ansible_inspec_rs import __version__, _core, errors
from ansible_inspec_rs.server import redact
from ansible_inspec_rs.server.deps import EXECUTOR_KEY, METRICS_KEY
from ansible_inspec_rs.server.docs import install_offline_docs
from ansible_inspec_rs.server.errors import method_not_allowed_handler, native_error_handler
from ansible_inspec_rs.server.gate import GateMiddleware
from ansible_inspec_rs.server.lifespan import executor_lifespan, install_settings
from ansible_inspec_rs.server.metrics import MetricsMiddleware, ServerMetrics
from ansible_inspec_rs.server.routers import events, job_templates, jobs, system, templates
from ansible_inspec_rs.server.settings import Settings

API_PREFIX = "/api/v1"

DESCRIPTION = """Compliance jobs (InSpec profiles, Ansible playbooks, commands) run by a native
executor. Authenticate with `Authorization: Bearer <token>` (static API token or HS256 JWT);
roles: viewer (read), operator (create, launch, cancel), admin (delete)."""


def api_routers() -> list[Any]:
    """The routers mounted under /api/v1 (also what ``ansible_inspec_rs.fastapi.router`` holds)."""
    # Hot routes first: FastAPI matches routes in order.
    return [jobs.router, events.router, templates.router, job_templates.router]


def create_app(settings: Settings | None = None, *, executor: _core.Executor | None = None) -> FastAPI:
    """The server app. ``settings`` default to the environment; an ``executor`` given here is
    used as is (and not shut down), otherwise the app's lifespan runs one from the settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact.install()  # after the server configured logging
        async with executor_lifespan(app, require_credentials=False):
            yield

    app = FastAPI(
        title="ansible-inspec-rs",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_offline_docs: Swagger UI and Redoc from local assets, not a CDN
        redoc_url=None,
    )
    install_settings(app, settings)
    setattr(app.state, EXECUTOR_KEY, executor)
    server_metrics = ServerMetrics(lambda: getattr(app.state, EXECUTOR_KEY, None))
    setattr(app.state, METRICS_KEY, server_metrics)
    app.add_middleware(MetricsMiddleware, metrics=server_metrics)
    app.add_middleware(GateMiddleware)  # outermost: nothing reads a request it refuses
    app.add_exception_handler(errors.AnsibleInspecError, native_error_handler)
    app.add_exception_handler(405, method_not_allowed_handler)
    # FastAPI matches routes in order: the polled job route first, then /health.
    hot, *rest = api_routers()
    app.include_router(hot, prefix=API_PREFIX)
    app.include_router(system.router)
    install_offline_docs(app)
    for router in rest:
        app.include_router(router, prefix=API_PREFIX)
    return app
