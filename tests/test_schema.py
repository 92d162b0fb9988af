"""The core's schema is the one statement of the data: Python, the stubs, REST and the docs derive
from it, and these tests fail when a field or status exists in the core and is missing in one of
them."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

from ansible_inspec_rs import Template, _core, schema
from ansible_inspec_rs.status import HostStatus, JobStatus

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "python" / "ansible_inspec_rs" / "_core.pyi"
OUTPUT_FIELDS = set(schema.properties("Template"))


def _stub_class(name: str) -> ast.ClassDef:
    tree = ast.parse(STUB.read_text())
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def test_the_template_fields_are_the_cores_everywhere_in_python() -> None:
    fields = schema.template_fields()
    assert fields[0] == "name" and len(fields) == len(set(fields)) >= 20
    # The constructor's signature (help(Template)) and the getters.
    assert tuple(inspect.signature(Template).parameters) == fields
    assert all(isinstance(getattr(Template, f), property | type(Template.name)) for f in OUTPUT_FIELDS)
    # to_dict() has exactly the schema's output fields.
    t = Template(name="t", command=["true"])
    assert set(t.to_dict()) == OUTPUT_FIELDS


def test_the_stub_lists_every_field() -> None:
    cls = _stub_class("Template")
    new = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    kwargs = [a.arg for a in new.args.kwonlyargs]
    assert [new.args.args[1].arg, *kwargs] == list(schema.template_fields())
    props = {
        n.name
        for n in cls.body
        if isinstance(n, ast.FunctionDef)
        and any(getattr(d, "id", None) == "property" for d in n.decorator_list)
    }
    assert props == OUTPUT_FIELDS


def test_an_unknown_keyword_is_refused() -> None:
    import pytest

    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        Template(name="t", command=["true"], colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'id'"):
        Template(name="t", command=["true"], id="x")  # type: ignore[call-arg]


def test_the_rest_models_carry_every_field_with_the_cores_rules() -> None:
    from ansible_inspec_rs.server.app import create_app
    from ansible_inspec_rs.server.models import TemplateCreate, TemplateUpdate

    fields = set(schema.template_fields())
    assert set(TemplateCreate.model_fields) == fields
    assert set(TemplateUpdate.model_fields) == fields
    doc = create_app().openapi()
    components: dict[str, Any] = doc["components"]["schemas"]
    assert set(components["TemplateOut"]["properties"]) == OUTPUT_FIELDS
    assert set(components["JobOut"]["properties"]) == set(schema.properties("Job"))
    results = components["JobOut"]["properties"]["results"]["items"]
    assert set(results["properties"]) == set(schema.properties("HostResult"))
    create = components["TemplateCreate"]["properties"]
    for field in ("timeout", "forks", "retries", "verbosity", "connect_timeout"):
        rule = schema.properties("TemplateSpec")[field]["anyOf"][0]
        documented = create[field] if "minimum" in create[field] else create[field]["anyOf"][0]
        assert (documented["minimum"], documented["maximum"]) == (rule["minimum"], rule["maximum"]), field
    # The job lifecycle's statuses are documented as the core lists them.
    assert _core.schema()["$defs"]["JobStatus"]["enum"] == [s.value for s in JobStatus]


def test_the_rest_template_timeout_is_the_cores_rule() -> None:
    """Once documented as 10-3600 seconds per host; the core applies 1-86400 to the whole job."""
    from ansible_inspec_rs.server.models import TemplateCreate

    body = {"name": "t", "command": ["true"]}
    assert TemplateCreate.model_validate({**body, "timeout": 1}).timeout == 1
    assert TemplateCreate.model_validate({**body, "timeout": 86400}).timeout == 86400
    field = TemplateCreate.model_fields["timeout"]
    assert field.default == 300 and "whole job" in (field.description or "")


def test_a_launch_override_is_documented_with_the_template_fields_rule() -> None:
    """``limit`` given at launch is checked by the core as the template's own ``limit`` (no
    control characters, at most 4096 bytes): the OpenAPI document says so, so a client that
    follows it is not refused (schemathesis found the launch route mostly refusing what its
    schema allowed)."""
    from ansible_inspec_rs.server.app import create_app

    components = create_app().openapi()["components"]["schemas"]
    rule = schema.properties("TemplateSpec")["limit"]["anyOf"][0]
    documented = components["LaunchIn"]["properties"]["limit"]["anyOf"][0]
    assert (documented["pattern"], documented["maxLength"]) == (rule["pattern"], rule["maxLength"])


def test_the_status_enums_are_the_cores() -> None:
    assert [s.value for s in JobStatus] == list(schema.enum("JobStatus"))
    assert [s.value for s in HostStatus] == list(schema.enum("HostStatus"))
    assert not JobStatus.PENDING.finished and JobStatus.CANCELED.finished
    # The statically typed members (what mypy sees) are the core's, written in status.py.
    source = (ROOT / "python" / "ansible_inspec_rs" / "status.py").read_text()
    for s in (*JobStatus, *HostStatus):
        assert f'{s.name} = "{s.value}"' in source


def test_the_report_formats_are_the_cores() -> None:
    assert list(schema.enum("ReportFormat")) == _core.Job.REPORT_FORMATS


def test_the_generated_docs_are_current() -> None:
    """docs/SCHEMA.md is generated: regenerate it with `python -m ansible_inspec_rs.schema`."""
    doc = (ROOT / "docs" / "SCHEMA.md").read_text()
    assert doc == schema.markdown()
    for field in schema.template_fields():
        assert f"| `{field}` |" in doc
