"""Every core failure reaches Python as one class of ``ansible_inspec_rs.errors`` (mapped once, in
src/python/errors.rs), with its attributes; the public class names stay as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_inspec_rs import Profile, Template, errors

PUBLIC = [
    "AnsibleInspecError",
    "ConflictError",
    "ExecutorClosed",
    "InternalError",
    "JobNotFinished",
    "JobNotFound",
    "NotFoundError",
    "PathNotAllowed",
    "ProfileError",
    "ProfileParseError",
    "QueueFull",
    "StoreError",
    "TemplateExists",
    "TemplateNotFound",
    "ValidationError",
    "WaitTimeout",
]


def test_the_public_classes_are_kept_and_share_one_base() -> None:
    for name in PUBLIC:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.AnsibleInspecError), name
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.TemplateNotFound, LookupError)
    assert issubclass(errors.WaitTimeout, TimeoutError)


def test_a_validation_error_names_the_field() -> None:
    with pytest.raises(errors.ValidationError) as e:
        Template(name="t", command=["true"], forks=0)
    assert (e.value.field, type(e.value)) == ("forks", errors.ValidationError)
    assert e.value.rule == "must be from 1 to 1000"


def test_a_syntax_error_is_a_profile_parse_error_with_its_position() -> None:
    with pytest.raises(errors.ProfileParseError) as e:
        Profile.from_source("control 'a' do\n  describe file('/x') do\n", "controls/bad.rb")
    assert e.value.file == "controls/bad.rb"
    assert isinstance(e.value.line, int) and isinstance(e.value.column, int) and e.value.line >= 1


def test_a_missing_profile_is_a_profile_error_sync_and_async(tmp_path: Path) -> None:
    import asyncio

    missing = tmp_path / "nothing"
    with pytest.raises(errors.ProfileError) as e:
        Profile.load(missing)
    assert type(e.value) is errors.ProfileError and e.value.file == str(missing)

    async def load() -> None:
        await Profile.load_async(missing)

    with pytest.raises(errors.ProfileError) as e2:
        asyncio.run(load())
    # The same failure maps the same way whichever call reached it.
    assert type(e2.value) is type(e.value) and str(e2.value) == str(e.value)


def test_a_store_that_cannot_open_is_a_store_error(tmp_path: Path) -> None:
    import asyncio

    from ansible_inspec_rs import Executor

    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")

    async def open_store() -> None:
        async with Executor(store=f"sqlite:///{not_a_dir}/jobs.db"):
            pass

    with pytest.raises(errors.StoreError, match="store error"):
        asyncio.run(open_store())
