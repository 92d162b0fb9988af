"""Name-keyed templates: ``/templates`` and ``/templates/{name}``."""

from __future__ import annotations

from fastapi import Response, status

from ansible_inspec_rs.server.deps import AdminExecutor, OperatorExecutor, ViewerExecutor
from ansible_inspec_rs.server.models import TemplateCreate, TemplateOut
from ansible_inspec_rs.server.routers.common import ERRORS_400, ERRORS_404, ERRORS_409, new_router

router = new_router("templates")


@router.post(
    "/templates",
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS_400, **ERRORS_409},
)
async def create_template(
    body: TemplateCreate,
    ex: OperatorExecutor,
) -> TemplateOut:
    """Create a template; 409 when the name is taken; 400 when a path is outside the roots."""
    fields = body.model_dump(exclude_none=True)
    return TemplateOut.of(await ex.templates.create(fields))


@router.get(
    "/templates",
)
async def list_templates(ex: ViewerExecutor) -> list[TemplateOut]:
    return [TemplateOut.of(t) for t in await ex.templates.list()]


@router.get("/templates/{name}", responses=ERRORS_404)
async def get_template(name: str, ex: ViewerExecutor) -> TemplateOut:
    return TemplateOut.of(await ex.templates.get(name))


@router.delete(
    "/templates/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=ERRORS_404,
)
async def delete_template(name: str, ex: AdminExecutor) -> Response:
    await ex.templates.delete(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
