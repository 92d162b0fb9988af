"""Id-keyed job templates, the released ansible-inspec interface: ``/job-templates``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Request, Response, status

from ansible_inspec_rs.server.deps import (
    AdminExecutor,
    OperatorExecutor,
    ViewerExecutor,
    track_job,
)
from ansible_inspec_rs.server.models import (
    JobLaunched,
    LaunchIn,
    TemplateCreate,
    TemplateOut,
    TemplatePage,
    TemplateUpdate,
)
from ansible_inspec_rs.server.routers.common import (
    BAD_BODY,
    ERRORS_400,
    ERRORS_404,
    ERRORS_409,
    ERRORS_503,
    new_router,
    request_hosts,
)
from ansible_inspec_rs.status import JobStatus

router = new_router("job-templates")


@router.get(
    "/job-templates",
)
async def list_job_templates(ex: ViewerExecutor) -> TemplatePage:
    results = [TemplateOut.of(t) for t in await ex.templates.list()]
    return TemplatePage(count=len(results), results=results)


@router.post(
    "/job-templates",
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS_400, **ERRORS_409},
)
async def create_job_template(
    body: TemplateCreate,
    ex: OperatorExecutor,
) -> TemplateOut:
    fields = body.model_dump(exclude_none=True)
    return TemplateOut.of(await ex.templates.create(fields))


@router.get("/job-templates/{template_id}", responses=ERRORS_404)
async def get_job_template(template_id: str, ex: ViewerExecutor) -> TemplateOut:
    return TemplateOut.of(await ex.templates.get(template_id))


@router.put(
    "/job-templates/{template_id}",
    responses={**ERRORS_400, **ERRORS_404, **ERRORS_409},
)
async def update_job_template(
    template_id: str,
    body: TemplateUpdate,
    ex: OperatorExecutor,
) -> TemplateOut:
    """Change the given fields (setting one of profile/playbook/command replaces the others)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        return TemplateOut.of(await ex.templates.get(template_id))
    return TemplateOut.of(await ex.templates.update(template_id, changes))


@router.delete(
    "/job-templates/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=ERRORS_404,
)
async def delete_job_template(template_id: str, ex: AdminExecutor) -> Response:
    await ex.templates.delete(template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/job-templates/{template_id}/launch",
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS_404, **ERRORS_503, **BAD_BODY},
)
async def launch_job_template(
    template_id: str,
    request: Request,
    ex: OperatorExecutor,
    body: Annotated[LaunchIn | None, Body()] = None,
) -> JobLaunched:
    """Start a job from the template; limit/tags/skip_tags/verbosity override it for this job."""
    body = body or LaunchIn.model_validate({})
    overrides = body.model_dump(exclude_none=True, exclude={"hosts", "extra_vars"})
    # The core merges the overrides into the stored template for this job, which stays its job.
    job = await ex.submit(
        template_id, request_hosts(body.hosts), body.extra_vars, overrides=overrides or None
    )
    track_job(request, job)
    assert job.template_id is not None  # a stored template's job
    return JobLaunched(
        id=job.id,
        template_id=job.template_id,
        status=JobStatus.PENDING,  # the state it was accepted in (submit returns a pending job)
        created_at=job.created_at,
    )
