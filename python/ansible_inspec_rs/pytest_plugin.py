"""pytest fixtures and assertions for suites that use ansible-inspec-rs (registered through the
``pytest11`` entry point: ``pip install 'ansible-inspec-rs[pytest]'`` is all it takes):

- ``executor``: a started ``Executor`` (memory store), shut down after the test;
- ``template_factory``: ``await template_factory(command=["true"], forks=10)`` creates a template
  with a unique name on that executor;
- ``api_client``: an ``httpx.AsyncClient`` speaking to the REST app in-process (ASGI transport)
  over the same executor, so templates made with ``template_factory`` are visible to it (needs the
  ``server`` extra);
- ``ansible_inspec_settings``: the settings of that app (authentication off); override it to test
  with credentials;
- ``assert_successful(job)``: fails with each host that did not pass, its exit code, the tail of
  its stderr and its failed controls or tasks; ``assert job == JobStatus.SUCCESSFUL`` prints the
  same.

``async def`` tests run on pytest-asyncio (the ``pytest`` extra installs it) without any
configuration: the plugin marks them ``asyncio`` unless they carry ``asyncio``, ``anyio`` or
``trio`` marks already. Set ``ansible_inspec_rs_mark_async = false`` in the pytest configuration
to mark them yourself.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from ansible_inspec_rs.status import HostStatus, JobStatus

try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio only the sync fixtures work
    _async_fixture = pytest.fixture  # type: ignore[assignment]

from ansible_inspec_rs._core import Job

if TYPE_CHECKING:
    import httpx

    from ansible_inspec_rs._core import Executor, Template
    from ansible_inspec_rs.server.settings import Settings

TemplateFactory = Callable[..., Awaitable["Template"]]

_names = itertools.count(1)

FIXTURE_WORKERS = 4

MARK_ASYNC_INI = "ansible_inspec_rs_mark_async"
ASYNC_MARKS = ("asyncio", "anyio", "trio")
STDERR_TAIL_LINES = 10
NOT_FAILED = (HostStatus.PASSED, HostStatus.SKIPPED)
FAILED_TASK = ("failed", "unreachable")  # Ansible task outcomes (ok, changed, skipped pass)
FAILED_MARK = "\N{MULTIPLICATION SIGN}"  # as InSpec's CLI reporter marks a failed test


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        MARK_ASYNC_INI,
        "mark unmarked `async def` tests `asyncio` (ansible-inspec-rs plugin)",
        type="bool",
        default=True,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Module | pytest.Class, name: str, obj: object) -> None:
    """Marks a coroutine test function ``asyncio`` before pytest-asyncio looks at it, so a
    fresh project needs no ``pytestmark`` and no ``asyncio_mode``."""
    if not (inspect.iscoroutinefunction(obj) and collector.funcnamefilter(name)):
        return
    if not collector.config.getini(MARK_ASYNC_INI):
        return
    owners = [obj, collector.obj]
    if isinstance(collector, pytest.Class):  # and the class's module
        owners.append(getattr(collector.parent, "obj", None))
    if not any(m.name in ASYNC_MARKS for owner in owners for m in _marks(owner)):
        pytest.mark.asyncio(obj)


def _marks(owner: object) -> list[pytest.Mark]:
    """The marks set on a function, class or module (``pytestmark``: one mark or a list)."""
    marks = getattr(owner, "pytestmark", [])
    found = marks if isinstance(marks, list) else [marks]
    # A MarkDecorator carries its Mark.
    return [m.mark if isinstance(m, pytest.MarkDecorator) else m for m in found if m is not None]


def describe_job(job: Job) -> list[str]:
    """Why ``job`` did not succeed, one line each: its status (and error), then every host that
    did not pass with its exit code, its failed controls (id, title, each failed test with its
    message) or tasks, and the last lines of its stderr."""
    head = f"job {job.id} ({job.template_name}) ended {job.status}"
    lines = [head + (f": {job.error}" if job.error else "")]
    for r in job.results:
        if r.status in NOT_FAILED:
            continue
        lines.append(
            f"  {r.host}: {r.status}, exit code {r.exit_code}" + (f": {r.message}" if r.message else "")
        )
        for control in r.controls:
            failed = [t for t in control.get("results", []) if t.get("status") == "failed"]
            if failed:
                lines.append(f"    control {control.get('id')}: {control.get('title') or ''}".rstrip())
                for t in failed:
                    why = t.get("message") or ""
                    lines.append(f"      {FAILED_MARK} {t.get('code_desc')}: {why}".rstrip())
        for task in r.tasks:
            if task.get("status") in FAILED_TASK:
                message = task.get("message") or ""
                lines.append(f"    task {task.get('task')}: {task.get('status')}: {message}".rstrip())
        tail = r.stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
        if tail:
            lines.append("    stderr (last lines):")
            lines += [f"      {line}" for line in tail]
    if not job.results and job.done:
        lines.append("  no host results")
    return lines


def assert_successful(job: Job) -> None:
    """``assert job.status == "successful"``, failing with what went wrong on which host."""
    __tracebackhide__ = True
    if job.status != JobStatus.SUCCESSFUL:
        raise AssertionError("\n".join(describe_job(job)))


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """``assert job == JobStatus.SUCCESSFUL`` (or any status) explains a failed job."""
    if op != "==":
        return None
    job, other = (left, right) if isinstance(left, Job) else (right, left)
    if not isinstance(job, Job):
        return None
    return [f"{job!r} == {other!r}", *describe_job(job)]


@_async_fixture
async def executor() -> AsyncIterator[Executor]:
    """A running Executor with a memory store; running jobs are canceled at teardown."""
    from ansible_inspec_rs._core import Executor

    ex = Executor(workers=FIXTURE_WORKERS)
    async with ex:
        try:
            yield ex
        finally:
            await ex.shutdown(drain=False)


@pytest.fixture
def template_factory(executor: Executor) -> TemplateFactory:
    """``await template_factory(name=None, **fields)``; without an action the template runs ``true``.
    ``connection`` defaults to ``local`` (test host names are made up: checks run here with
    ``{host}`` substituted); pass ``connection="ssh"`` to reach real hosts."""

    async def make(name: str | None = None, **fields: Any) -> Template:
        fields.setdefault("connection", "local")
        if not any(k in fields for k in ("profile", "playbook", "command")):
            fields["command"] = ["true"]
        return await executor.templates.create({"name": name or f"template-{next(_names)}", **fields})

    return make


@pytest.fixture
def ansible_inspec_settings() -> Settings:
    """Settings of the ``api_client`` app: no credentials (in-process only), nothing seeded."""
    from ansible_inspec_rs.server.settings import Settings

    return Settings(_env_file=None, api_tokens=[], jwt_secret=None, seed=None)


@_async_fixture
async def api_client(
    executor: Executor, ansible_inspec_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """httpx.AsyncClient over ASGITransport to ``create_app(ansible_inspec_settings, executor=executor)``."""
    import httpx

    from ansible_inspec_rs.server.app import create_app

    app = create_app(ansible_inspec_settings, executor=executor)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        # A loopback name: without credentials the app answers no other Host (DNS rebinding).
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client
