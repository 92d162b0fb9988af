"""Service routes: /health, / (to /docs), /api/v1 (index), /metrics."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from ansible_inspec_rs import __version__
from ansible_inspec_rs.server.auth import metrics_guard, require_viewer
from ansible_inspec_rs.server.deps import METRICS_KEY, ExecutorDep
from ansible_inspec_rs.server.metrics import CONTENT_TYPE
from ansible_inspec_rs.server.models import ApiIndex, Health, LiveWorkerOut, QueueOut
from ansible_inspec_rs.server.routers.common import AUTH_ERRORS, new_router

router = new_router("system", authenticated=False)

API_NAME = "ansible-inspec-rs"

ENDPOINTS = {
    "health": "/health",
    "docs": "/docs",
    "redoc": "/redoc",
    "openapi": "/openapi.json",
    "metrics": "/metrics",
    "templates": "/api/v1/templates",
    "job_templates": "/api/v1/job-templates",
    "launch": "/api/v1/job-templates/{id}/launch",
    "jobs": "/api/v1/jobs",
    "job": "/api/v1/jobs/{id}",
    "cancel": "/api/v1/jobs/{id}/cancel",
    "stdout": "/api/v1/jobs/{id}/stdout",
    "logs": "/api/v1/jobs/{id}/logs",
    "events": "/api/v1/jobs/{id}/events",
    "websocket": "/api/v1/jobs/{id}/ws",
    "report": "/api/v1/jobs/{id}/report",
    "statistics": "/api/v1/statistics",
}


@router.get("/health", responses={503: {"model": Health, "description": "the store does not answer"}})
async def health(ex: ExecutorDep, response: Response) -> Health:
    """Liveness, store reachability and queue depth (no authentication). Answered from memory:
    the store is probed in the background every second (``store_checked_seconds_ago`` says
    when), so an outage shows within about 3 s and a busy store never slows this route."""
    stats = ex.stats()
    store = ex.store_health()
    if not store["reachable"]:
        response.status_code = 503
    return Health(
        status="ok" if store["reachable"] else "degraded",
        version=__version__,
        storage_backend=str(stats.get("storage_backend", ex.storage_backend)),
        queue=QueueOut(pending=int(stats.get("pending", 0)), running=int(stats.get("running", 0))),
        workers=int(stats.get("workers", ex.workers)),
        store_error=store["error"],
        store_checked_seconds_ago=round(float(store["age_seconds"]), 3),
        live_workers=[LiveWorkerOut(**w) for w in store["workers"]],
    )


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/api/v1", dependencies=[Depends(require_viewer)], responses=AUTH_ERRORS)
async def api_index() -> ApiIndex:
    """Name, version and where everything is."""
    return ApiIndex(name=API_NAME, version=__version__, endpoints=ENDPOINTS)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_guard)],
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}, **AUTH_ERRORS},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (authentication only when ``metrics_auth`` is set)."""
    server_metrics = getattr(request.app.state, METRICS_KEY)
    return Response(await server_metrics.render(), media_type=CONTENT_TYPE)
