"""Name-keyed templates: ``/templates`` and ``/templates/{name}``."""

from __future__ import annotations

from fastapi import Depends, Response, status

from ansible_inspec_rs.server.auth import require_admin, require_operator, require_viewer
from ansible_inspec_rs.server.deps import ExecutorDep, SettingsDep
from ansible_inspec_rs.server.models import TemplateCreate, TemplateOut
from ansible_inspec_rs.server.paths import check_template_paths
from ansible_inspec_rs.server.routers.common import ERRORS_400, ERRORS_404, ERRORS_409, new_router

router = new_router("templates")


@router.post(
    "/templates",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_operator)],
    responses={**ERRORS_400, **ERRORS_409},
)
async def create_template(
    body: TemplateCreate,
    ex: ExecutorDep,
    settings: SettingsDep,
) -> TemplateOut:
    """Create a template; 409 when the name is taken."""
    fields = body.model_dump(exclude_none=True)
    check_template_paths(fields, settings.profile_roots, settings.playbook_roots)
    return TemplateOut.of(await ex.templates.create(fields))


@router.get("/templates", dependencies=[Depends(require_viewer)])
async def list_templates(ex: ExecutorDep) -> list[TemplateOut]:
    return [TemplateOut.of(t) for t in await ex.templates.list()]


@router.get("/templates/{name}", dependencies=[Depends(require_viewer)], responses=ERRORS_404)
async def get_template(name: str, ex: ExecutorDep) -> TemplateOut:
    return TemplateOut.of(await ex.templates.get(name))


@router.delete(
    "/templates/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(require_admin)],
    responses=ERRORS_404,
)
async def delete_template(name: str, ex: ExecutorDep) -> Response:
    await ex.templates.delete(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
