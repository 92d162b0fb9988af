"""Templates: validation in Rust, CRUD through `executor.templates`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible_inspec_rs import Executor, Template, errors

# A profile that exists (local profile paths are checked when a template is created).
PROFILE = str(Path(__file__).resolve().parent.parent / "examples" / "profiles" / "linux-baseline")


def test_defaults_and_fields() -> None:
    t = Template("ssh-baseline", profile=PROFILE, tags="a,b", extra_vars={"x": [1, 2]})
    assert (t.timeout, t.forks, t.retries, t.retry_backoff, t.verbosity) == (300, 5, 0, 1.0, 0)
    assert t.job_type == "run"
    assert t.tags == ["a", "b"]
    assert t.extra_vars == {"x": [1, 2]}
    assert len(t.id) == 36 and t.id[14] == "4"  # UUID4
    assert t.created_at == t.modified_at
    assert t.command is None and t.profile == PROFILE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "bad name", "command": ["true"]}, "name"),
        ({"name": "x" * 129, "command": ["true"]}, "name"),
        ({"name": "a"}, "profile"),
        ({"name": "a", "command": ["true"], "profile": "p"}, "profile"),
        ({"name": "a", "command": []}, "command"),
        ({"name": "a", "command": "ls -l"}, "command"),
        ({"name": "a", "command": ["true"], "timeout": 0}, "timeout"),
        ({"name": "a", "command": ["true"], "timeout": 86401}, "timeout"),
        ({"name": "a", "command": ["true"], "timeout": -5}, "timeout"),
        ({"name": "a", "command": ["true"], "forks": 1001}, "forks"),
        ({"name": "a", "command": ["true"], "retries": 11}, "retries"),
        ({"name": "a", "command": ["true"], "retry_backoff": -1.0}, "retry_backoff"),
        ({"name": "a", "command": ["true"], "verbosity": 5}, "verbosity"),
        ({"name": "a", "command": ["true"], "job_type": "deploy"}, "job_type"),
        ({"name": "a", "command": ["true"], "extra_vars": [1]}, "extra_vars"),
        ({"name": "a", "command": ["true"], "timeout": "soon"}, "timeout"),
        ({"name": "a", "profile": PROFILE, "controls": ["/(unclosed/"]}, "controls"),
        ({"name": "a", "profile": PROFILE, "controls": ["--reporter=json:/tmp/x"]}, "controls"),
        ({"name": "a", "profile": PROFILE, "controls": [""]}, "controls"),
        ({"name": "a", "profile": PROFILE, "controls": "ssh-01"}, "controls"),
    ],
)
def test_validation_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ValidationError) as info:
        Template(**kwargs)
    assert info.value.field == field
    assert info.value.rule
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_controls_are_a_template_field() -> None:
    """``controls`` (inspec exec --controls): ids and /regex/ entries, kept as given."""
    t = Template("c", profile=PROFILE, controls=["os-01", "/^ssh-/"])
    assert t.controls == ["os-01", "/^ssh-/"]
    assert t.to_dict()["controls"] == ["os-01", "/^ssh-/"]
    assert Template.from_dict(t.to_dict()) == t
    assert Template("d", profile=PROFILE).controls == []


def test_dict_round_trip_is_json() -> None:
    t = Template("a", command=["echo", "{host}"], timeout=10)
    d = t.to_dict()
    json.dumps(d)  # plain JSON types only
    assert Template.from_dict(json.loads(json.dumps(d))) == t
    with pytest.raises(errors.ValidationError) as info:
        Template.from_dict({**d, "bogus": 1})
    assert "bogus" in str(info.value)


async def test_crud(ex: Executor, tmp_path: Path) -> None:
    created = await ex.templates.create(Template("a", command=["true"]))
    assert (await ex.templates.get("a")).id == created.id
    assert (await ex.templates.get(created.id)).name == "a"
    with pytest.raises(errors.TemplateExists, match="Template 'a' already exists"):
        await ex.templates.create({"name": "a", "command": ["true"]})
    b = await ex.templates.create({"name": "b", "profile": PROFILE})
    assert [t.name for t in await ex.templates.list()] == ["a", "b"]

    updated = await ex.templates.update("a", {"forks": 9, "description": "now nine"})
    assert (updated.forks, updated.description, updated.id) == (9, "now nine", created.id)
    assert updated.command == ["true"]
    assert updated.modified_at >= created.modified_at
    with pytest.raises(errors.ValidationError) as info:
        await ex.templates.update(b.id, {"playbook": "no-such-site.yml"})  # checked as at creation
    assert info.value.field == "playbook"
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: all\n  tasks: []\n")
    switched = await ex.templates.update(b.id, {"playbook": str(playbook)})
    assert (switched.profile, switched.playbook) == (None, str(playbook))
    with pytest.raises(errors.ValidationError) as info:
        await ex.templates.update("a", {"forks": 0})
    assert info.value.field == "forks"
    assert (await ex.templates.get("a")).forks == 9  # a failed update changes nothing

    await ex.templates.delete("a")
    with pytest.raises(errors.TemplateNotFound):
        await ex.templates.get("a")
    with pytest.raises(errors.TemplateNotFound):
        await ex.templates.delete("a")
    with pytest.raises(errors.NotFoundError):
        await ex.templates.update("nope", {})
