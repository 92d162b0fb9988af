"""pytest fixtures for suites that use ansible-inspec-rs (registered through the ``pytest11``
entry point, so installing the package is enough):

- ``executor``: a started ``Executor`` (memory store), shut down after the test;
- ``template_factory``: ``await template_factory(command=["true"], forks=10)`` creates a template
  with a unique name on that executor;
- ``api_client``: an ``httpx.AsyncClient`` speaking to the REST app in-process (ASGI transport)
  over the same executor, so templates made with ``template_factory`` are visible to it;
- ``ansible_inspec_settings``: the settings of that app (authentication off); override it to test
  with credentials.

Async fixtures need pytest-asyncio; ``api_client`` needs the ``server`` extra.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio only the sync fixtures work
    _async_fixture = pytest.fixture  # type: ignore[assignment]

if TYPE_CHECKING:
    import httpx

    from ansible_inspec_rs._core import Executor, Template
    from ansible_inspec_rs.server.settings import Settings

TemplateFactory = Callable[..., Awaitable["Template"]]

_names = itertools.count(1)

FIXTURE_WORKERS = 4


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
