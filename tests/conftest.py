"""Shared fixtures: real servers (``ansible-inspec-rs serve`` in a subprocess on a free loopback
port) and httpx clients for them. The in-process fixtures (executor, template_factory,
api_client) come from the package's own pytest plugin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from helpers import ADMIN_TOKEN, JWT_SECRET, LiveServer, bearer, jwt_for, start_server


@pytest.fixture(scope="session")
def roots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extra allowed profile/playbook root (tests put symlinks and playbooks in it)."""
    root = tmp_path_factory.mktemp("roots")
    (root / "profiles").mkdir()
    (root / "playbooks").mkdir()
    return root


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, roots: Path) -> Iterator[LiveServer]:
    """The main server: a static admin token and a JWT secret, the example templates seeded."""
    live = start_server(
        tmp_path_factory.mktemp("server-logs"),
        "--seed",
        "examples/templates.json",
        api_tokens=ADMIN_TOKEN,
        jwt_secret=JWT_SECRET,
        workers="4",
        profile_roots=f"examples/profiles,{roots / 'profiles'}",
        playbook_roots=str(roots / "playbooks"),
    )
    yield live
    live.stop()


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=bearer(ADMIN_TOKEN), timeout=15) as client:
        yield client


@pytest.fixture
def anon(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=15) as client:
        yield client


@pytest.fixture
def client_as(server: LiveServer) -> Iterator[Callable[[str], httpx.Client]]:
    """``client_as("viewer")``: a client with a JWT holding that role."""
    clients: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        c = httpx.Client(base_url=server.url, headers=bearer(jwt_for(role)), timeout=15)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
