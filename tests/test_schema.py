"""The core's schema is the one statement of the data: Python, the stubs, REST and the docs derive
from it, and these tests fail when a field or status exists in the core and is missing in one of
them."""

from __future__ import annotations

import ast
import importlib.util
import inspect
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
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
    assert all(inspect.isdatadescriptor(getattr(Template, f)) for f in OUTPUT_FIELDS)
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


def _gen_stubs() -> Any:
    spec = importlib.util.spec_from_file_location("gen_stubs", ROOT / "tools" / "gen_stubs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stub_is_generated_from_the_schema() -> None:
    """The Template part of _core.pyi is `tools/gen_stubs.py`'s output: regenerate it with that."""
    stub = STUB.read_text()
    assert _gen_stubs().render(stub) == stub
    # The generator reads the schema: a field it does not know is a keyword and a property.
    generated = _gen_stubs().generated()
    for field in schema.template_fields():
        assert f"def {field}(self)" in generated


def test_every_field_is_an_attribute_with_the_value_to_dict_gives() -> None:
    """The attributes are derived (one property per schema field), each documented by the schema
    and reading the same value as ``to_dict()``, of the same type."""
    t = Template(
        name="t",
        command=["true", "{host}"],
        description="d",
        tags="a,b",
        controls=["c-1", "/x/"],
        extra_vars={"k": [1, 2.5, None]},
        reporter="json",
        job_type="check",
        timeout=7,
        retry_backoff=2,
        connection="local",
        runner="auto",
        allow_ansible_vars=["ansible_user"],
        target="a, b",
    )
    d = t.to_dict()
    described = schema.properties("Template")
    for field in schema.template_fields():
        value = getattr(t, field)
        assert value == d[field] and type(value) is type(d[field]), field
        assert inspect.getdoc(getattr(Template, field)) == described[field]["description"], field
    assert isinstance(t.created_at, datetime) and isinstance(t.modified_at, datetime)
    assert t.id == d["id"]
    assert type(t.retry_backoff) is float and type(t.timeout) is int
    # A list read twice is two lists: changing one leaves the template as it was.
    t.tags.append("c")
    assert t.tags == ["a", "b"]
    assert set(schema.template_fields()) <= set(dir(t))
    with pytest.raises(AttributeError):
        t.timeout = 5  # type: ignore[misc]


def _constraints(node: Any) -> set[tuple[str, str]]:
    """Every constraint keyword anywhere in a JSON Schema node, with its value."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"}:
                found.add((key, repr(float(value))))  # OpenAPI writes the bounds as floats
            elif key == "pattern":
                found.add((key, value))
            elif key == "enum":
                found.add((key, repr(sorted(value))))
            found |= _constraints(value)
    elif isinstance(node, list):
        for item in node:
            found |= _constraints(item)
    return found


def _descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [d for k, v in node.items() for d in ([v] if k == "description" else _descriptions(v))]
    return [d for item in node for d in _descriptions(item)] if isinstance(node, list) else []


def test_the_rest_bodies_document_every_rule_of_every_field() -> None:
    """Each template field of the REST bodies carries the core's description and every bound,
    pattern and choice of its rule in the OpenAPI document."""
    from ansible_inspec_rs.server.app import create_app

    doc = create_app().openapi()
    components: dict[str, Any] = doc["components"]["schemas"]
    spec = schema.properties("TemplateSpec")
    for body in ("TemplateCreate", "TemplateUpdate"):
        props = components[body]["properties"]
        assert set(props) == set(schema.template_fields()), body
        for field in schema.template_fields():
            documented = props[field]
            rule = schema.resolved(spec[field])
            assert _constraints(rule) <= _constraints(documented), (body, field)
            assert spec[field]["description"] in _descriptions(documented), (body, field)


def test_an_unknown_keyword_is_refused() -> None:
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
