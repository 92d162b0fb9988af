"""Pydantic models of the HTTP interface: request bodies in, response shapes out.

Field rules that the native core enforces too (ranges, names) are repeated here only so that the
OpenAPI document tells clients about them; the core stays the authority (its ValidationError
becomes a 422 naming the field).
"""

from __future__ import annotations

import itertools
import math
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    WithJsonSchema,
    model_validator,
)
from typing_extensions import TypeAliasType

from ansible_inspec_rs import _core

JobStatusName = Literal["pending", "running", "successful", "failed", "error", "timeout", "canceled"]
HostStatusName = Literal["passed", "failed", "skipped", "error", "timeout", "canceled", "unreachable"]
JobType = Literal["run", "check", "scan"]
ReportFormat = Literal["json", "junit", "html", "cli"]  # = _core.Job.REPORT_FORMATS (a test checks)
JobOrder = Literal["asc", "desc"]

_INT_RANGE = (-(2**63), 2**64 - 1)
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"  # the core's rule (template::validate_name)
# Control characters are Unicode's Cc: C0, DEL and C1 (Rust's char::is_control).
HOST_PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f-][^\s\x00-\x1f\x7f-\x9f]*$"
# Comma-separated hosts, blanks around the commas allowed (``split_target``).
_TARGET_HOST = r"[^\s,\x00-\x1f\x7f-\x9f-][^\s,\x00-\x1f\x7f-\x9f]*"
TARGET_PATTERN = rf"^\s*(?:{_TARGET_HOST})?(?:\s*,\s*(?:{_TARGET_HOST})?)*\s*$"
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"


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


def _vars(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    _json_value(value)
    return value


Text = Annotated[str, AfterValidator(_utf8)]
# Constraints go before the validator: after it, pydantic leaves a pattern out of the JSON schema.
Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        description="unique name: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit",
    ),
    AfterValidator(_utf8),
]
# InSpec's reporter form as the core checks it (template::validate_reporter): space-separated
# NAME or NAME:PATH items, NAME being cli or a report format — the names come from the core.
_REPORTER_ITEM = "(?:{})(?::\\S*)?".format("|".join(sorted({"cli", *_core.Job.REPORT_FORMATS})))
REPORTER_PATTERN = rf"^\s*{_REPORTER_ITEM}(?:\s+{_REPORTER_ITEM})*\s*$"
Reporter = Annotated[
    str,
    Field(max_length=4096, pattern=REPORTER_PATTERN, description="e.g. json, cli json:out.json"),
    AfterValidator(_utf8),
]
# Paths: non-empty, no control characters.
PathText = Annotated[str, Field(min_length=1, max_length=4096, pattern=NO_CONTROL), AfterValidator(_utf8)]
Line = Annotated[str, Field(max_length=4096, pattern=NO_CONTROL), AfterValidator(_utf8)]
ARG_MAX = 8192
NO_NUL = r"^[^\x00]*$"
Argv = Annotated[
    list[Annotated[str, Field(max_length=ARG_MAX, pattern=NO_NUL), AfterValidator(_utf8)]],
    Field(
        min_length=1,
        max_length=256,
        description="argv run once per host (never through a shell); the first item names the program",
        # In JSON Schema 2020-12 ``items`` does not cover the prefix: repeat its rules here.
        json_schema_extra={
            "prefixItems": [{"type": "string", "minLength": 1, "maxLength": ARG_MAX, "pattern": NO_NUL}]
        },
    ),
]
if TYPE_CHECKING:
    ExtraVars = dict[str, Any]
else:
    # What extra_vars may hold, for the JSON schema only: ``_vars`` validates, without pydantic's
    # number coercions (a float branch would turn a too-large integer into a float silently).
    # The bounds become floats in the OpenAPI document: doubles just inside the range stand in.
    ExtraVarValue = TypeAliasType(
        "ExtraVarValue",
        Annotated[
            int, WithJsonSchema({"type": "integer", "minimum": -(2**63) + 2**10, "maximum": 2**64 - 2**11})
        ]
        | Annotated[float, WithJsonSchema({"type": "number", "not": {"type": "integer"}})]
        | str
        | bool
        | list["ExtraVarValue"]
        | dict[str, "ExtraVarValue"]
        | None,
    )
    ExtraVars = Annotated[Annotated[dict[str, ExtraVarValue], SkipValidation], AfterValidator(_vars)]
# A list of tags, or one comma-separated string of them.
Tag = Annotated[str, Field(min_length=1, pattern=r"^[^,\x00-\x1f\x7f-\x9f]+$"), AfterValidator(_utf8)]
Tags = list[Tag] | Annotated[str, Field(pattern=NO_CONTROL), AfterValidator(_utf8)]


def _given(*kinds: tuple[str, str]) -> dict[str, Any]:
    return {"required": [n for n, _ in kinds], "properties": {n: {"type": k} for n, k in kinds}}


def _exactly_one(**kinds: str) -> ConfigDict:
    """JSON schema: exactly one of these fields is given and not null (the core's rule, stated so
    that the OpenAPI document does not call a body valid that the server refuses)."""
    one_of = [_given(kind) for kind in kinds.items()]
    return ConfigDict(json_schema_extra={"oneOf": one_of})  # type: ignore[dict-item]


def _at_most_one(**kinds: str) -> ConfigDict:
    """JSON schema: no two of these fields are given and not null."""
    pairs = [_given(a, b) for a, b in itertools.combinations(kinds.items(), 2)]
    return ConfigDict(json_schema_extra={"not": {"anyOf": pairs}})  # type: ignore[dict-item]


class _In(BaseModel):
    # Unknown fields are ignored so clients of the released interface keep working.
    model_config = ConfigDict(extra="ignore")


class TemplateFields(_In):
    """Template fields every create/update body may carry."""

    description: Text | None = Field(None, max_length=4096)
    profile: PathText | None = Field(
        None, description="InSpec profile directory (inside the allowed profile roots)"
    )
    playbook: PathText | None = Field(
        None, description="Ansible playbook (inside the allowed playbook roots)"
    )
    command: Argv | None = None
    inventory: PathText | None = None
    target: Line | None = Field(None, description="default target, e.g. local:// or ssh://user@host")
    limit: Line | None = None
    tags: Tags | None = None
    skip_tags: Tags | None = None
    extra_vars: ExtraVars | None = None
    reporter: Reporter | None = None
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
    allow_ansible_vars: list[Text] | None = Field(
        None,
        description="ansible_* variables a job's caller may set in its extra_vars (* for all); "
        "others are refused",
        max_length=256,
    )


class TemplateCreate(TemplateFields):
    """Body of POST /templates and POST /job-templates."""

    model_config = _exactly_one(profile="string", playbook="string", command="array")

    name: Name
    timeout: int = Field(300, ge=10, le=3600, description="seconds per host")
    supermarket: bool = Field(False, description="profile names a Chef Supermarket profile")


class TemplateUpdate(TemplateFields):
    """Body of PUT /job-templates/{id}: only the given fields change."""

    model_config = _at_most_one(profile="string", playbook="string", command="array")

    name: Name | None = None
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
    allow_ansible_vars: list[str]
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
            allow_ansible_vars=t.allow_ansible_vars,
            verbosity=t.verbosity,
            created_at=t.created_at,
            modified_at=t.modified_at,
        )


class TemplatePage(BaseModel):
    count: int
    results: list[TemplateOut]


Host = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        pattern=HOST_PATTERN,
        description="local://, ssh://user@host:22 or a name; no whitespace, no leading '-'",
    ),
    AfterValidator(_utf8),
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

    model_config = _exactly_one(template_name="string", template_id="string")

    template_name: Text | None = Field(None, description="name-keyed form (answers 202)")
    hosts: list[Host] | None = None
    template_id: Text | None = Field(None, description="id-keyed form (answers 201)")
    target: Annotated[str, Field(pattern=TARGET_PATTERN), AfterValidator(_utf8)] | None = Field(
        None, description="host or comma-separated hosts (id-keyed form)"
    )
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
