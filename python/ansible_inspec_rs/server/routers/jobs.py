"""Jobs: submit, list, inspect, cancel, delete, output, reports, statistics."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request, Response, status
from fastapi.responses import JSONResponse

from ansible_inspec_rs import _core, errors
from ansible_inspec_rs.server.deps import (
    AdminExecutor,
    OperatorExecutor,
    ViewerExecutor,
    job_json,
    job_report_text,
    track_job,
)
from ansible_inspec_rs.server.models import (
    CancelOut,
    JobAccepted,
    JobCreate,
    JobLaunched,
    JobOrder,
    JobOut,
    JobPage,
    JobStatusName,
    JobSummary,
    LogsOut,
    ReportFormat,
    Statistics,
    StdoutOut,
)
from ansible_inspec_rs.server.routers.common import (
    BAD_BODY,
    ERRORS_404,
    ERRORS_409,
    ERRORS_503,
    new_router,
    request_hosts,
)
from ansible_inspec_rs.status import JobStatus

router = new_router("jobs")

CANCEL_SETTLE_SECONDS = 5.0
# A report carries what checks printed and what templates say, served from the API's origin
# (where a browser holds the JWT cookie). The writers escape it; should anything slip through,
# a report still runs no script (the HTML report has none), loads nothing, and as a sandboxed
# document has no access to this origin; and no format is sniffed into another.
REPORT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@router.post(
    "/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=None,
    responses={
        201: {"model": JobLaunched, "description": "Launched (template_id form)"},
        202: {"model": JobAccepted, "description": "Accepted (template_name form)"},
        **ERRORS_404,
        **ERRORS_503,
        **BAD_BODY,
    },
)
async def create_job(body: JobCreate, request: Request, ex: OperatorExecutor) -> JSONResponse:
    """Submit a job: ``{template_name, hosts}`` answers 202, ``{template_id, target}`` answers 201."""
    if body.template_name is not None:
        job = await ex.submit(body.template_name, request_hosts(body.hosts), body.extra_vars)
        track_job(request, job)
        accepted = JobAccepted(job_id=job.id, status=JobStatus.PENDING)
        return JSONResponse(accepted.model_dump(mode="json"), status.HTTP_202_ACCEPTED)
    assert body.template_id is not None
    job = await ex.submit(body.template_id, request_hosts(body.hosts, body.target), body.extra_vars)
    track_job(request, job)
    launched = JobLaunched(
        id=job.id,
        template_id=job.template_id or body.template_id,
        status=JobStatus.PENDING,
        created_at=job.created_at,
    )
    return JSONResponse(launched.model_dump(mode="json"), status.HTTP_201_CREATED)


@router.get(
    "/jobs",
)
async def list_jobs(
    ex: ViewerExecutor,
    status_: Annotated[
        JobStatusName | Literal[""] | None, Query(alias="status", description="empty: any")
    ] = None,
    template: Annotated[str | None, Query(description="template name or id; empty: any")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    order: Annotated[
        JobOrder, Query(description="by submission: desc (newest first, the default) or asc")
    ] = "desc",
) -> JobPage:
    """Jobs by submission, newest first unless ``order=asc``, with the total count matching the
    filters."""
    status_filter, template_filter = status_ or None, template or None
    count = await ex.count(status=status_filter, template=template_filter)
    jobs = await ex.list(
        status=status_filter, template=template_filter, limit=limit, offset=offset, order=order
    )
    return JobPage(count=count, results=[JobSummary.of(j) for j in jobs])


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses=ERRORS_404,
)
async def get_job(job_id: str, ex: ViewerExecutor) -> Response:
    """The job with its per-host results, start/finish times and error."""
    # The hottest route: the native to_dict() is already JSON-shaped (same fields as JobOut).
    return Response(await job_json(await ex.get(job_id)), media_type="application/json")


@router.post(
    "/jobs/{job_id}/cancel",
    responses={**ERRORS_404, **ERRORS_409},
)
async def cancel_job(job_id: str, ex: OperatorExecutor) -> CancelOut:
    """Cancel a pending or running job (its processes are killed); 409 when it already finished."""
    job = await ex.get(job_id)
    if not await job.cancel():
        raise errors.ConflictError(f"Job '{job_id}' has already finished ({job.status})")
    try:
        await job.wait(timeout=CANCEL_SETTLE_SECONDS)
    except errors.WaitTimeout:
        pass
    return CancelOut(id=job.id, status=job.status, canceled=True)


@router.delete(
    "/jobs/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**ERRORS_404, **ERRORS_409},
)
async def delete_job(job_id: str, ex: AdminExecutor) -> Response:
    """Delete a finished job (409 while it is pending or running)."""
    await ex.delete(job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _output_lines(job: _core.Job) -> list[str]:
    lines: list[str] = []
    for r in job.results:
        for stream in (r.stdout, r.stderr):
            lines.extend(f"[{r.host}] {line}" for line in stream.splitlines())
    return lines


@router.get("/jobs/{job_id}/stdout", responses=ERRORS_404)
async def job_stdout(job_id: str, ex: ViewerExecutor) -> StdoutOut:
    """The kept output of every checked host, one block per host."""
    job = await ex.get(job_id)
    blocks = []
    for r in job.results:
        text = r.stdout + (r.stderr if not r.stderr or not r.stdout else "\n" + r.stderr)
        blocks.append(f"=== {r.host} ({r.status}) ===\n{text}".rstrip("\n"))
    return StdoutOut(id=job.id, stdout="\n".join(blocks) + ("\n" if blocks else ""))


@router.get("/jobs/{job_id}/logs", responses=ERRORS_404)
async def job_logs(
    job_id: str,
    ex: ViewerExecutor,
    lines: Annotated[int, Query(ge=1, le=100_000, description="the last N lines")] = 100,
) -> LogsOut:
    """The last ``lines`` output lines, each prefixed with ``[host]``."""
    job = await ex.get(job_id)
    return LogsOut(id=job.id, lines=_output_lines(job)[-lines:])


@router.get(
    "/jobs/{job_id}/report",
    response_class=Response,
    responses={
        **ERRORS_404,
        **ERRORS_409,
        200: {
            "description": "The report: InSpec JSON, JUnit XML, HTML or InSpec's cli text",
            "content": {_core.Job.report_media_type(f): {} for f in _core.Job.REPORT_FORMATS},
        },
    },
)
async def job_report(
    job_id: str,
    ex: ViewerExecutor,
    format: Annotated[
        ReportFormat, Query(description="json (InSpec JSON reporter format), junit, html, cli")
    ] = "json",
) -> Response:
    """The finished job's report, from the same writers as ``Job.report`` (409 while it runs)."""
    job = await ex.get(job_id)
    if not JobStatus(job.status).finished:
        raise errors.JobNotFinished(
            f"Job {job_id!r} has not finished ({job.status}); its report comes at the end"
        )
    text = await job_report_text(job, format)
    return Response(text, media_type=_core.Job.report_media_type(format), headers=REPORT_HEADERS)


@router.get(
    "/statistics",
)
async def statistics(ex: ViewerExecutor) -> Statistics:
    """Counts over the stored jobs and templates (success rate over finished jobs, percent)."""
    by_status = await _counts(ex)
    finished = sum(n for s, n in by_status.items() if s in set(JobStatus) and JobStatus(s).finished)
    successful = by_status.get(JobStatus.SUCCESSFUL, 0)
    return Statistics(
        job_templates=len(await ex.templates.list()),
        total_jobs=sum(by_status.values()),
        successful_jobs=successful,
        failed_jobs=by_status.get(JobStatus.FAILED, 0),
        running_jobs=by_status.get(JobStatus.RUNNING, 0),
        success_rate=round(100.0 * successful / finished, 2) if finished else 0.0,
    )


async def _counts(ex: _core.Executor) -> dict[str, int]:
    stats_by_status = ex.stats().get("jobs_by_status")
    if isinstance(stats_by_status, dict):
        return {str(k): int(v) for k, v in stats_by_status.items()}
    return {s: await ex.count(status=s) for s in JobStatus}
