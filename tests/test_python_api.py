"""The Python API as a script author meets it: coroutines, help texts, reprs, validation at
creation, empty host selections, and a clean interpreter exit."""

from __future__ import annotations

import asyncio
import inspect
import os
import pydoc
import subprocess
import sys
import textwrap
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ansible_inspec_rs
import pytest
from ansible_inspec_rs import Executor, Job, Profile, Template, errors

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROFILE = REPO / "examples" / "profiles" / "linux-baseline"


def coroutine(value: object) -> Coroutine[Any, Any, Any]:
    assert inspect.iscoroutine(value), f"{value!r} is not a coroutine"
    return value


async def test_every_awaitable_is_a_coroutine(ex: Executor) -> None:
    t = await coroutine(ex.templates.create(Template("t", connection="local", command=["true"])))
    assert await coroutine(ex.templates.get("t")) == t
    assert [x.name for x in await coroutine(ex.templates.list())] == ["t"]
    await coroutine(ex.templates.update("t", {"forks": 2}))
    job = await coroutine(ex.submit("t", hosts=["h"]))
    # The idioms that need a coroutine: create_task and TaskGroup.
    done = await asyncio.create_task(job.wait())
    async with asyncio.TaskGroup() as tg:
        waits = [tg.create_task(job.wait(timeout=5)), tg.create_task(ex.get(job.id))]
    assert done.status == "successful" and waits[0].result().status == "successful"
    assert (await coroutine(ex.get(job.id))).id == job.id
    assert len(await coroutine(ex.list())) == 1
    assert await coroutine(ex.count()) == 1
    assert await coroutine(job.cancel()) is False  # already finished
    events = job.events()
    assert (await coroutine(events.__anext__())).type == "queued"
    assert [e.type async for e in events][-1] == "finished"
    await coroutine(ex.delete(job.id))
    await coroutine(ex.templates.delete("t"))
    profile = await coroutine(Profile.load_async(EXAMPLE_PROFILE))
    assert len(profile) > 0
    # Errors raise when awaited, with their class.
    with pytest.raises(errors.JobNotFound):
        await coroutine(ex.get("00000000-0000-0000-0000-000000000000"))
    with pytest.raises(errors.ValidationError):
        await coroutine(ex.list(status="bogus"))
    # stats() is synchronous by design: an in-memory snapshot, like the properties.
    assert isinstance(ex.stats(), dict) and ex.stats()["workers"] == ex.workers
    aexit = ex.__aexit__(None, None, None)
    await coroutine(aexit)
    assert ex.closed


def test_help_shows_docs_and_real_defaults() -> None:
    public = [getattr(ansible_inspec_rs, n) for n in ansible_inspec_rs.__all__]
    classes = [c for c in public if isinstance(c, type) and c.__module__ == "ansible_inspec_rs._core"]
    assert {c.__name__ for c in classes} >= {"Executor", "Job", "Template", "HostResult", "Templates"}
    for cls in classes:
        assert cls.__doc__, cls
        for name, member in vars(cls).items():
            if name.startswith("_") and name not in ("__aenter__", "__aexit__", "__anext__", "__await__"):
                continue
            assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"
            if callable(member):
                inspect.signature(member)  # a text signature exists
    sig = inspect.signature(Template)
    assert sig.parameters["timeout"].default == 300
    assert sig.parameters["forks"].default == 5
    assert sig.parameters["runner"].default == "native"
    text = pydoc.render_doc(Template, renderer=pydoc.plaintext)
    assert "timeout=300" in text and "forks=5" in text
    assert "allow_empty=False" in pydoc.render_doc(Executor, renderer=pydoc.plaintext)
    assert "Waits for the job" in pydoc.render_doc(Job, renderer=pydoc.plaintext)


async def test_host_result_repr_is_python(ex: Executor) -> None:
    t = Template("exit3", connection="local", command=[sys.executable, "-c", "raise SystemExit(3)"])
    job = await (await ex.submit(t, hosts=["h"]))
    assert "exit_code=3," in repr(job.results[0])
    assert "Some(" not in repr(job.results[0])


async def test_a_job_that_checks_no_host_is_refused(ex: Executor, tmp_path: Path) -> None:
    await ex.templates.create(Template("t", connection="local", command=["true"]))
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[web]\nw1\n")
    cases: list[tuple[str | Template, list[str]]] = [
        ("t", []),  # no hosts, no inventory
        (Template("inv", connection="local", command=["true"], inventory=str(inventory), target="db"), []),
        (Template("lim", connection="local", command=["true"], inventory=str(inventory), limit="x"), []),
    ]
    for template, hosts in cases:
        with pytest.raises(errors.ValidationError) as e:
            await ex.submit(template, hosts)
        assert e.value.field == "hosts", e.value
    assert await ex.count() == 0
    # The explicit opt-in (benchmarks of the dispatch path): successful, checking nothing.
    job = await (await ex.submit("t", allow_empty=True))
    assert (job.status, job.results) == ("successful", [])


def test_template_refuses_what_would_fail_later(tmp_path: Path) -> None:
    for fields, field in [
        ({"profile": "/nonexistent"}, "profile"),
        ({"profile": str(tmp_path / "missing")}, "profile"),
        ({"playbook": str(tmp_path / "site.yml")}, "playbook"),
        ({"command": ["true"], "reporter": "jsno"}, "reporter"),
        ({"command": ["true"], "reporter": "cli yaml:out.yml"}, "reporter"),
    ]:
        with pytest.raises(errors.ValidationError) as e:
            Template("t", **fields)
        assert e.value.field == field, (fields, e.value)
    (tmp_path / "site.yml").write_text("- hosts: all\n  tasks: []\n")
    Template("ok", playbook=str(tmp_path / "site.yml"))
    Template("ok", profile=str(EXAMPLE_PROFILE), reporter="cli json:out.json junit:out.xml")
    Template("ok", profile="dev-sec/linux-baseline", supermarket=True)
    Template("ok", profile="https://example.invalid/profile.tar.gz")


# ---- interpreter exit ----------------------------------------------------------------------

EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from ansible_inspec_rs import Executor, Template

    async def main() -> None:
        async with Executor(workers=4) as ex:
            await ex.templates.create(Template("t", command=["true"]))
            jobs = [await ex.submit("t", hosts=["local://"]) for _ in range(5)]
            for job in jobs:
                assert (await job).status == "successful"

    asyncio.run(main())
    """
)
EXIT_RUNS = 200


def test_scripts_exit_cleanly_every_time(tmp_path: Path) -> None:
    """A runtime thread completing a future while the interpreter finalizes used to abort the
    process (SIGABRT, exit 134) in about one run of ten. Runs in parallel to make the race likely
    and the test short."""
    script = tmp_path / "script.py"
    script.write_text(EXIT_SCRIPT)

    def run(_: int) -> tuple[int, str]:
        p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stderr[-500:]

    with ThreadPoolExecutor(max(4, 2 * (os.cpu_count() or 1))) as pool:
        outcomes = list(pool.map(run, range(EXIT_RUNS)))
    abnormal = [o for o in outcomes if o[0] != 0]
    assert not abnormal, f"{len(abnormal)} of {EXIT_RUNS} runs exited abnormally: {abnormal[:3]}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("workers", 10**20),
        ("queue_size", 10**30),
        ("output_tail_bytes", 2**64),
        ("event_history", -(10**25)),
        ("max_attempts", 10**19),
        ("nice", 10**40),
    ],
)
def test_numbers_beyond_any_range_name_the_argument(field: str, value: int) -> None:
    """A number past 64 bits is out of range like any other, not Python's OverflowError."""
    with pytest.raises(errors.ValidationError) as e:
        Executor(**{field: value})
    assert e.value.field == field


async def test_paging_past_64_bits_is_no_overflow(ex: Executor) -> None:
    await ex.templates.create(Template("t", command=["true"]))
    await (await ex.submit("t", hosts=["local://"]))
    assert len(await ex.list(limit=10**30)) == 1
    assert await ex.list(offset=10**30) == []
    with pytest.raises(errors.ValidationError) as e:
        await ex.list(limit=-(10**30))
    assert e.value.field == "limit"


async def test_a_closed_executor_cannot_be_entered_again() -> None:
    ex = Executor(workers=1)
    async with ex:
        pass
    assert ex.closed
    with pytest.raises(errors.ExecutorClosed):
        async with ex:
            pass


async def test_overrides_change_one_job_and_keep_its_template(ex: Executor) -> None:
    stored = await ex.templates.create(Template("t", command=["echo", "{host}"], connection="local"))
    job = await ex.submit("t", hosts=["h1"], overrides={"timeout": 30, "tags": "a,b"})
    assert job.template_id == stored.id
    assert (await job).status == "successful"
    assert (await ex.templates.get("t")).timeout == stored.timeout
    assert [j.id for j in await ex.list(template=stored.id)] == [job.id]
    adhoc = await ex.submit(Template("x", command=["true"]), hosts=["local://"], overrides={"forks": 2})
    assert adhoc.template_id is None
    with pytest.raises(errors.ValidationError) as e:
        await ex.submit("t", hosts=["h1"], overrides={"timeout": 0})
    assert e.value.field == "timeout"
    with pytest.raises(errors.ValidationError) as e:
        await ex.submit("t", hosts=["h1"], overrides={"bogus": 1})
    assert e.value.field == "bogus"


@pytest.mark.parametrize("host", ["ssh://-oProxyCommand=x", "ssh://-l@h", "gopher://h", "fixture://"])
async def test_malformed_host_forms_are_refused_at_submission(ex: Executor, host: str) -> None:
    """A host its check could never reach is a ValidationError naming ``hosts`` when the job is
    submitted (as ``-oX`` already was), not a job that ends ``error``."""
    await ex.templates.create(Template("t", command=["true"]))
    with pytest.raises(errors.ValidationError) as e:
        await ex.submit("t", hosts=[host])
    assert e.value.field == "hosts"
    assert await ex.count() == 0


# Data the REST API refuses is refused here too, as a ValidationError naming the argument:
# a bool is not a number, NaN/Infinity are not numbers, text must be valid UTF-8 (no lone
# surrogate), mapping keys must be str, integers must fit in 64 bits.
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout": True}, "timeout"),
        ({"forks": False}, "forks"),
        ({"retry_backoff": True}, "retry_backoff"),
        ({"supermarket": 1}, "supermarket"),
        ({"timeout": 2**70}, "timeout"),
        ({"extra_vars": {"x": float("nan")}}, "extra_vars"),
        ({"extra_vars": {"x": [1, float("inf")]}}, "extra_vars"),
        ({"extra_vars": {"x": 2**64}}, "extra_vars"),
        ({"extra_vars": {1: "x"}}, "extra_vars"),
        ({"extra_vars": {"\ud800": "x"}}, "extra_vars"),
        ({"extra_vars": {"x": {"y": "\ud800"}}}, "extra_vars"),
        ({"extra_vars": {"x": b"bytes"}}, "extra_vars"),
        ({"command": ["echo", "\ud800"]}, "command"),
        ({"description": "\udfff"}, "description"),
    ],
)
def test_template_refuses_what_json_cannot_carry(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ValidationError) as e:
        Template("t", **{"command": ["true"], **kwargs})
    assert e.value.field == field, e.value
    with pytest.raises(errors.ValidationError) as e:
        Template.from_dict({"name": "t", "command": ["true"], **kwargs})
    assert e.value.field == field, e.value


def test_template_name_with_a_lone_surrogate_is_a_validation_error() -> None:
    with pytest.raises(errors.ValidationError) as e:
        Template("bad\ud800", command=["true"])
    assert e.value.field == "name"


def test_deep_or_self_containing_data_is_refused_not_a_crash() -> None:
    loop: dict[str, Any] = {}
    loop["again"] = loop
    with pytest.raises(errors.ValidationError) as e:
        Template("t", command=["true"], extra_vars=loop)
    assert e.value.field == "extra_vars"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"workers": True}, "workers"),
        ({"queue_size": False}, "queue_size"),
        ({"nice": True}, "nice"),
        ({"heartbeat_interval": True}, "heartbeat_interval"),
        ({"store": "sqlite:///\ud800"}, "store"),
    ],
)
def test_executor_arguments_are_checked_by_name(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ValidationError) as e:
        Executor(**kwargs)
    assert e.value.field == field, e.value


async def test_submit_and_lookups_refuse_what_json_cannot_carry(ex: Executor) -> None:
    await ex.templates.create(Template("t", command=["true"]))
    for call, field in [
        (lambda: ex.submit("t", hosts=["\ud800"]), "hosts"),
        (lambda: ex.submit("t", hosts=["ok", 5]), "hosts"),
        (lambda: ex.submit("t", hosts=["h"], extra_vars={"x": float("nan")}), "extra_vars"),
        (lambda: ex.submit("t", hosts=["h"], extra_vars={"x": float("-inf")}), "extra_vars"),
        (lambda: ex.submit("t", hosts=["h"], extra_vars={("a",): 1}), "extra_vars"),
        (lambda: ex.submit("t", hosts=["h"], extra_vars={"\ud800": 1}), "extra_vars"),
        (lambda: ex.submit("t\ud800", hosts=["h"]), "template"),
        (lambda: ex.submit("t", hosts=["h"], overrides={"timeout": True}), "timeout"),
        (lambda: ex.list(template="\ud800"), "template"),
        (lambda: ex.list(limit=True), "limit"),
        (lambda: ex.get("\ud800"), "job_id"),
        (lambda: ex.templates.get("\ud800"), "name_or_id"),
    ]:
        with pytest.raises(errors.ValidationError) as e:
            await call()
        assert e.value.field == field, (field, e.value)
    assert await ex.count() == 0


async def test_wait_timeout_is_not_a_bool(ex: Executor) -> None:
    job = await ex.submit(Template("t", command=["true"], connection="local"), hosts=["h"])
    with pytest.raises(errors.ValidationError) as e:
        await job.wait(True)
    assert e.value.field == "timeout"
    await job
