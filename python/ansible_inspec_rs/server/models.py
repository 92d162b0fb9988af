"""Pydantic models of the HTTP interface: request bodies in, response shapes out.

Template, job and host-result shapes, statuses and the template fields' rules (ranges, patterns,
descriptions) come from the core's schema (``ansible_inspec_rs.schema``): the input models read
their limits from it, and the output models are the core's own ``to_dict()``, documented by it.
The core stays the authority on input (its ValidationError becomes a 422 naming the field);
tests/test_schema.py fails when a field of the schema is missing here.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SkipValidation,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from ansible_inspec_rs import _core
from ansible_inspec_rs.schema import definition, enum, properties, resolved, template_fields


def _one_of(name: str) -> Callable[[str], str]:
    values = enum(name)

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return check


def _choice(name: str) -> Any:
    """A string from the core's enum ``name``: validated and documented by the core's list."""
    return Annotated[str, AfterValidator(_one_of(name)), WithJsonSchema(definition(name))]


if TYPE_CHECKING:
    JobStatusName = str
    HostStatusName = str
    JobType = str
    ReportFormat = str
    ConnectionName = str
    RunnerName = str
    JobOrder = str
else:
    JobStatusName = _choice("JobStatus")
    HostStatusName = _choice("HostStatus")
    JobType = _choice("JobType")
    ReportFormat = _choice("ReportFormat")
    ConnectionName = _choice("Connection")
    RunnerName = _choice("ProfileRunner")
    JobOrder = _choice("JobOrder")

# The template fields' rules as the core states them (``$defs/TemplateSpec``).
_SPEC = properties("TemplateSpec")


def _rule(field: str) -> dict[str, Any]:
    """The rule of a template field's value (its schema without the null branch)."""
    rule: dict[str, Any] = _SPEC[field]["anyOf"][0]
    return rule


_INT_RANGE = (-(2**63), 2**64 - 1)
NAME_PATTERN: str = _rule("name")["pattern"]  # template::validate_name
_HOST = definition("Host")  # host::validate_host
HOST_PATTERN: str = _HOST["pattern"]
# Comma-separated hosts, blanks around the commas allowed (``routers.common.request_hosts``).
TARGET_PATTERN: str = definition("HostList")["pattern"]
NO_CONTROL: str = _rule("target")["pattern"]
_NUMERIC_LIMITS = {"minimum": "ge", "maximum": "le"}
_STRING_LIMITS = {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}
_ARRAY_LIMITS = {"minItems": "min_length", "maxItems": "max_length"}


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


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1 and false as 0: "timeout": true would be a 1 s timeout.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _number(kind: type[int] | type[float], rule: dict[str, Any]) -> Any:
    """An integer or a number within the rule's bounds; never a boolean. The bounds go before
    the validator: after it, pydantic leaves them out of the JSON schema."""
    return Annotated[kind, Field(**_bounds(rule, _NUMERIC_LIMITS)), BeforeValidator(_not_bool)]


def _vars(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    _json_value(value)
    return value


Text = Annotated[str, AfterValidator(_utf8)]
# Constraints go before the validator: after it, pydantic leaves a pattern out of the JSON schema.
Name = Annotated[
    str,
    Field(pattern=NAME_PATTERN, description=_SPEC["name"]["description"]),
    AfterValidator(_utf8),
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
_TAG_PATTERN: str = _rule("tags")["anyOf"][0]["items"]["pattern"]
Tag = Annotated[str, Field(min_length=1, pattern=_TAG_PATTERN), AfterValidator(_utf8)]
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


def _bounds(rule: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names[k]: v for k, v in rule.items() if k in names}


def _value_type(rule: dict[str, Any]) -> Any:
    """The pydantic type of a value the core's rule describes: its choices, pattern and bounds."""
    if "$ref" in rule:
        return _choice(rule["$ref"].removeprefix("#/$defs/"))
    if "anyOf" in rule:
        branches = [_value_type(branch) for branch in rule["anyOf"]]
        return functools.reduce(operator.or_, branches)
    kind = rule["type"]
    if kind == "string":
        limits = _bounds(rule, _STRING_LIMITS)
        # Constraints go before the validator: after it, pydantic leaves a pattern out of the schema.
        return Annotated[str, Field(**limits), AfterValidator(_utf8)] if limits else Text
    if kind == "array":
        return list[_value_type(rule["items"])]  # type: ignore[misc]
    if kind == "object":
        return ExtraVars
    if kind in ("integer", "number"):
        return _number(int if kind == "integer" else float, rule)
    return bool


def _template_field(name: str) -> tuple[Any, Any]:
    """A template field of a request body: optional (absent or null: unchanged, or the core's
    default), with the core's rule and description."""
    rule = _rule(name)
    extra: dict[str, Any] = {}
    if rule.get("type") == "number":
        extra["allow_inf_nan"] = False
    if "prefixItems" in rule:
        # In JSON Schema 2020-12 ``items`` does not cover the prefix: the core states its rules.
        extra["json_schema_extra"] = {"prefixItems": rule["prefixItems"]}
    # Numeric bounds are part of the value's type (``_number``).
    limits = _bounds(rule, _ARRAY_LIMITS) if rule.get("type") == "array" else {}
    field = Field(None, description=_SPEC[name]["description"], **limits, **extra)
    return _value_type(rule) | None, field


if TYPE_CHECKING:

    class TemplateFields(_In):
        """Template fields every create/update body may carry."""

else:
    # One field per field of the core's template input (``$defs/TemplateSpec``), in its order:
    # a field added in Rust is in the request bodies and the OpenAPI document without an edit.
    TemplateFields = create_model(
        "TemplateFields",
        __base__=_In,
        __doc__="Template fields every create/update body may carry (rules: the core's schema).",
        **{name: _template_field(name) for name in template_fields() if name != "name"},
    )


class TemplateCreate(TemplateFields):
    """Body of POST /templates and POST /job-templates."""

    model_config = _exactly_one(profile="string", playbook="string", command="array")

    name: Name
    timeout: _number(int, _rule("timeout")) = Field(  # type: ignore[valid-type]
        _rule("timeout")["default"], description=_SPEC["timeout"]["description"]
    )
    supermarket: bool = Field(
        _rule("supermarket")["default"], description=_SPEC["supermarket"]["description"]
    )


class TemplateUpdate(TemplateFields):
    """Body of PUT /job-templates/{id}: only the given fields change."""

    model_config = _at_most_one(profile="string", playbook="string", command="array")

    name: Name | None = None


class CoreShaped(BaseModel):
    """A body the core shapes (its ``to_dict()``), documented by the core's schema definition
    ``core_definition``: a field added in Rust is in the body and in the OpenAPI document."""

    model_config = ConfigDict(extra="allow")
    core_definition: ClassVar[str]

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shape: JsonSchemaValue = resolved(definition(cls.core_definition))
        return shape


class TemplateOut(CoreShaped):
    core_definition = "Template"

    @classmethod
    def of(cls, t: _core.Template) -> TemplateOut:
        return cls.model_validate(t.to_dict())


class TemplatePage(BaseModel):
    count: int
    results: list[TemplateOut]


Host = Annotated[
    str,
    Field(
        min_length=_HOST["minLength"],
        max_length=_HOST["maxLength"],
        pattern=HOST_PATTERN,
        description=_HOST["description"],
    ),
    AfterValidator(_utf8),
]


if TYPE_CHECKING:
    LimitText = str
else:
    # A launch's `limit` override obeys the template field's rule, read from the core's schema.
    LimitText = _value_type(_rule("limit"))


class LaunchIn(_In):
    """Optional body of POST /job-templates/{id}/launch: per-launch overrides."""

    extra_vars: ExtraVars | None = None
    limit: LimitText | None = Field(None, description=_SPEC["limit"]["description"])
    tags: Tags | None = None
    skip_tags: Tags | None = None
    verbosity: _number(int, _rule("verbosity")) | None = Field(  # type: ignore[valid-type]
        None, description=_SPEC["verbosity"]["description"]
    )
    hosts: list[Host] | None = Field(
        None, description="hosts to check (default: the template's inventory + target + limit)"
    )


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


class HostResultOut(CoreShaped):
    core_definition = "HostResult"


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


class JobOut(CoreShaped):
    """A job with its host results (GET /jobs/{id} sends the core's ``to_dict()``)."""

    core_definition = "Job"


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
    store_checked_seconds_ago: float = Field(
        description="age of the background store probe's answer (probed every second)"
    )
    live_workers: list[LiveWorkerOut] = Field(
        default_factory=list, description="executors holding a live lease on the store (their jobs run)"
    )


class ApiIndex(BaseModel):
    name: str
    version: str
    endpoints: dict[str, str]
