"""Pydantic models of the HTTP interface: request bodies in, response shapes out.

Field rules that the native core enforces too (ranges, names) are repeated here only so that the
OpenAPI document tells clients about them; the core stays the authority (its ValidationError
becomes a 422 naming the field).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ansible_inspec_rs import _core

JobStatusName = Literal["pending", "running", "successful", "failed", "error", "timeout", "canceled"]
HostStatusName = Literal["passed", "failed", "skipped", "error", "timeout", "canceled", "unreachable"]
JobType = Literal["run", "check", "scan"]
ReportFormat = Literal["json", "junit", "html"]

_INT_RANGE = (-(2**63), 2**64 - 1)
NAME_PATTERN = r"^[A-Za-z0-9._-]{1,128}$"
HOST_PATTERN = r"^[^\s\x00-\x1f\x7f-][^\s\x00-\x1f\x7f]*$"


def _utf8(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"), which cannot cross into Rust as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text") from None
    return value


def _json_value(value: Any, depth: int = 0) -> None:
    if depth > 64:
        raise ValueError("nested too deeply (at most 64 levels)")
    if isinstance(value, str):
        _utf8(value)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite")
    elif isinstance(value, list):
        for item in value:
            _json_value(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _utf8(key)
            _json_value(item, depth + 1)


def _vars(value: dict[str, Any]) -> dict[str, Any]:
    _json_value(value)
    return value


Text = Annotated[str, AfterValidator(_utf8)]
ExtraVars = Annotated[dict[str, Any], AfterValidator(_vars)]
Tags = list[Text] | Text


class _In(BaseModel):
    # Unknown fields are ignored so clients of the released interface keep working.
    model_config = ConfigDict(extra="ignore")


class TemplateFields(_In):
    """Template fields every create/update body may carry."""

    description: Text | None = Field(None, max_length=4096)
    profile: Text | None = Field(
        None, description="InSpec profile directory (inside the allowed profile roots)", max_length=4096
    )
    playbook: Text | None = Field(
        None, description="Ansible playbook (inside the allowed playbook roots)", max_length=4096
    )
    command: list[Text] | None = Field(
        None, description="argv run once per host (never through a shell)", max_length=256
    )
    inventory: Text | None = Field(None, max_length=4096)
    target: Text | None = Field(None, description="default target, e.g. local:// or ssh://user@host")
    limit: Text | None = None
    tags: Tags | None = None
    skip_tags: Tags | None = None
    extra_vars: ExtraVars | None = None
    reporter: Text | None = None
    job_type: JobType | None = None
    forks: int | None = Field(None, ge=1, le=1000, description="hosts checked at once")
    retries: int | None = Field(None, ge=0, le=10)
    retry_backoff: float | None = Field(None, ge=0, le=3600, allow_inf_nan=False)
    verbosity: int | None = Field(None, ge=0, le=4)
    connection: Literal["ssh", "local"] | None = Field(
        None,
        description="ssh (default): local:// runs here, other hosts over SSH; "
        "local: every host's check runs here with {host} substituted",
    )
    connect_timeout: int | None = Field(None, ge=1, le=300, description="seconds to open an SSH connection")
    runner: Literal["native", "inspec", "auto"] | None = Field(
        None,
        description="how a profile runs: native (default, evaluated in Rust), inspec (the InSpec CLI), "
        "auto (native; controls it cannot run go to the InSpec CLI when installed)",
    )


class TemplateCreate(TemplateFields):
    """Body of POST /templates and POST /job-templates."""

    name: Text = Field(
        ..., description="unique name: 1-128 characters of A-Z a-z 0-9 . _ -", pattern=NAME_PATTERN
    )
    timeout: int = Field(300, ge=10, le=3600, description="seconds per host")
    supermarket: bool = Field(False, description="profile names a Chef Supermarket profile")


class TemplateUpdate(TemplateFields):
    """Body of PUT /job-templates/{id}: only the given fields change."""

    name: Text | None = Field(None, pattern=NAME_PATTERN)
    timeout: int | None = Field(None, ge=10, le=3600)
    supermarket: bool | None = None


class TemplateOut(BaseModel):
    id: str
    name: str
    description: str
    profile: str | None
    playbook: str | None
    command: list[str] | None
    inventory: str | None
    target: str | None
    limit: str | None
    tags: list[str]
    skip_tags: list[str]
    extra_vars: dict[str, Any]
    reporter: str | None
    supermarket: bool
    job_type: str
    timeout: int
    forks: int
    retries: int
    retry_backoff: float
    verbosity: int
    runner: str
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, t: _core.Template) -> TemplateOut:
        return cls(
            id=t.id,
            name=t.name,
            description=t.description,
            profile=t.profile,
            playbook=t.playbook,
            command=t.command,
            inventory=t.inventory,
            target=t.target,
            limit=t.limit,
            tags=t.tags,
            skip_tags=t.skip_tags,
            extra_vars=t.extra_vars,
            reporter=t.reporter,
            supermarket=t.supermarket,
            job_type=t.job_type,
            timeout=t.timeout,
            forks=t.forks,
            retries=t.retries,
            retry_backoff=t.retry_backoff,
            runner=t.runner,
            verbosity=t.verbosity,
            created_at=t.created_at,
            modified_at=t.modified_at,
        )


class TemplatePage(BaseModel):
    count: int
    results: list[TemplateOut]


Host = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=255,
        pattern=HOST_PATTERN,
        description="local://, ssh://user@host:22 or a name; no whitespace, no leading '-'",
    ),
]


class LaunchIn(_In):
    """Optional body of POST /job-templates/{id}/launch: per-launch overrides."""

    extra_vars: ExtraVars | None = None
    limit: Text | None = None
    tags: Tags | None = None
    skip_tags: Tags | None = None
    verbosity: int | None = Field(None, ge=0, le=4)
    hosts: list[Host] | None = Field(None, description="hosts to check (default: the template's target)")


class JobCreate(_In):
    """Body of POST /jobs. Either ``{template_name, hosts}`` or ``{template_id, target}``."""

    template_name: Text | None = Field(None, description="name-keyed form (answers 202)")
    hosts: list[Host] | None = None
    template_id: Text | None = Field(None, description="id-keyed form (answers 201)")
    target: Text | None = Field(None, description="host or comma-separated hosts (id-keyed form)")
    extra_vars: ExtraVars | None = None

    @model_validator(mode="after")
    def _one_template(self) -> JobCreate:
        if (self.template_name is None) == (self.template_id is None):
            raise ValueError("give exactly one of template_name or template_id")
        return self


class JobAccepted(BaseModel):
    job_id: str
    status: JobStatusName


class JobLaunched(BaseModel):
    id: str
    template_id: str | None
    status: JobStatusName
    created_at: datetime


class HostResultOut(BaseModel):
    host: str
    status: HostStatusName
    exit_code: int | None
    duration: float
    attempts: int
    stdout: str
    stderr: str
    message: str | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, r: _core.HostResult) -> HostResultOut:
        return cls(
            host=r.host,
            status=r.status,
            exit_code=r.exit_code,
            duration=r.duration,
            attempts=r.attempts,
            stdout=r.stdout,
            stderr=r.stderr,
            message=r.message,
            started_at=r.started_at,
            finished_at=r.finished_at,
        )


class JobSummary(BaseModel):
    id: str
    template_id: str | None
    template_name: str
    status: JobStatusName
    hosts: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @classmethod
    def of(cls, j: _core.Job) -> JobSummary:
        return cls(
            id=j.id,
            template_id=j.template_id,
            template_name=j.template_name,
            status=j.status,
            hosts=j.hosts,
            created_at=j.created_at,
            started_at=j.started_at,
            finished_at=j.finished_at,
            error=j.error,
        )


class JobOut(JobSummary):
    extra_vars: dict[str, Any]
    results: list[HostResultOut]

    @classmethod
    def of(cls, j: _core.Job) -> JobOut:
        return cls(
            **JobSummary.of(j).__dict__,
            extra_vars=j.extra_vars,
            results=[HostResultOut.of(r) for r in j.results],
        )


class JobPage(BaseModel):
    count: int
    results: list[JobSummary]


class CancelOut(BaseModel):
    id: str
    status: JobStatusName
    canceled: bool


class StdoutOut(BaseModel):
    id: str
    stdout: str


class LogsOut(BaseModel):
    id: str
    lines: list[str]


class Statistics(BaseModel):
    job_templates: int
    total_jobs: int
    successful_jobs: int
    failed_jobs: int
    running_jobs: int
    success_rate: float = Field(description="successful / finished jobs, percent")


class QueueOut(BaseModel):
    pending: int
    running: int


class LiveWorkerOut(BaseModel):
    id: str
    heartbeat_at: str
    lease_until: str | None


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded (HTTP 503): the store does not answer")
    version: str
    storage_backend: str
    queue: QueueOut
    workers: int
    store_error: str | None = Field(None, description="why the store check failed (degraded only)")
    live_workers: list[LiveWorkerOut] = Field(
        default_factory=list, description="executors holding a live lease on the store (their jobs run)"
    )


class ApiIndex(BaseModel):
    name: str
    version: str
    endpoints: dict[str, str]
