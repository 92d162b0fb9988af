"""FastAPI dependencies shared by the routers: the executor, the settings, the metrics."""

# No ``from __future__ import annotations``: FastAPI reads ``ExecutorFor.__call__``'s annotations
# at run time (see auth.RoleCheck).

import asyncio
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from starlette.requests import HTTPConnection

from ansible_inspec_rs import _core
from ansible_inspec_rs.server.auth import RoleCheck
from ansible_inspec_rs.server.settings import Settings

EXECUTOR_KEY = "ansible_inspec_executor"
SETTINGS_KEY = "ansible_inspec_settings"
METRICS_KEY = "ansible_inspec_metrics"


async def get_executor(conn: HTTPConnection) -> _core.Executor:
    """The running Executor (installed by ``executor_lifespan``); 503 when there is none."""
    ex: _core.Executor | None = getattr(conn.app.state, EXECUTOR_KEY, None)
    if ex is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "executor is not running (is executor_lifespan part of the app's lifespan?)",
        )
    return ex


def executor_of(app: Any) -> _core.Executor:
    """The executor of a started app (for code outside requests, e.g. a lifespan)."""
    ex: _core.Executor | None = getattr(app.state, EXECUTOR_KEY, None)
    if ex is None:
        raise RuntimeError("the app's executor is not running (enter executor_lifespan first)")
    return ex


async def get_settings(conn: HTTPConnection) -> Settings:
    settings: Settings | None = getattr(conn.app.state, SETTINGS_KEY, None)
    if settings is None:
        settings = Settings()
        setattr(conn.app.state, SETTINGS_KEY, settings)
    return settings


def track_job(conn: HTTPConnection, job: _core.Job) -> None:
    """Hands a submitted job to the app's metrics (if the app has them)."""
    metrics = getattr(conn.app.state, METRICS_KEY, None)
    if metrics is not None:
        metrics.track(job)


# Jobs with more hosts than this are serialized in a worker thread, so that a large body
# (up to output_tail_bytes of stdout and stderr per host) does not hold the event loop.
LARGE_JOB_HOSTS = 200


async def job_json(job: _core.Job) -> bytes:
    """The job's JSON body: the core's ``to_json()`` (JobOut's fields), sent as it is."""
    if len(job.hosts) <= LARGE_JOB_HOSTS:
        return job.to_json()
    return await asyncio.to_thread(job.to_json)


async def job_report_text(job: _core.Job, format: str) -> str:
    """The core's report (any of ``Job.REPORT_FORMATS``), written in a worker thread for large jobs."""
    if len(job.hosts) <= LARGE_JOB_HOSTS:
        return job.report(format)
    return await asyncio.to_thread(job.report, format)


ExecutorDep = Annotated[_core.Executor, Depends(get_executor)]


class ExecutorFor(RoleCheck):
    """One dependency that authorizes a role and returns the executor (one per route is cheaper
    than two: FastAPI's dependency resolution is a large part of a small request's cost)."""

    async def __call__(self, conn: HTTPConnection) -> _core.Executor:  # type: ignore[override]
        self.check(conn)
        return await get_executor(conn)


ViewerExecutor = Annotated[_core.Executor, Depends(ExecutorFor("viewer"))]
OperatorExecutor = Annotated[_core.Executor, Depends(ExecutorFor("operator"))]
AdminExecutor = Annotated[_core.Executor, Depends(ExecutorFor("admin"))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
