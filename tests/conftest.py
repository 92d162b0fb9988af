"""Shared helpers for the test suite (real subprocesses, no mocks).

Executor tests use ``ex``; the server tests start real servers (``ansible-inspec-rs serve`` in a
subprocess on a free loopback port) through the fixtures below; the in-process fixtures
(``executor``, ``template_factory``, ``api_client``) come from the package's own pytest plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from ansible_inspec_rs import Executor
from helpers import ADMIN_TOKEN, JWT_SECRET, LiveServer, bearer, jwt_for, start_server

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
async def ex() -> AsyncIterator[Executor]:
    """A fresh executor per test, shut down (cancelling leftovers) afterwards."""
    executor = Executor(workers=4, queue_size=1000)
    try:
        yield executor
    finally:
        await executor.shutdown(drain=False)


def marker_seconds(whole: int = 47) -> str:
    """A unique sleep duration such as '47.123456', so a test can find its own processes."""
    return f"{whole}.{uuid.uuid4().int % 10**6:06d}"


def processes_with_arg(arg: str) -> list[int]:
    """Live (non-zombie) processes whose argv contains `arg`, read from /proc."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and arg.encode() in argv:
            found.append(int(pid))
    return found


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Polls `predicate` until true; fails after `within` seconds instead of hanging."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


# ---- test hosts: real sshd in network namespaces (tests/hosts/setup.sh) ----

FIXTURES = REPO / "tests" / "fixtures"


@dataclass(frozen=True)
class SshHost:
    name: str
    address: str
    port: int
    reachable: bool
    log: str | None
    # The host's network namespace (None when the hosts are loopback sshd instances).
    netns: str | None = None

    @property
    def uri(self) -> str:
        return f"ssh://root@{self.address}:{self.port}"

    def accepted(self) -> int:
        """sshd's count of accepted logins (one per TCP connection that authenticated)."""
        if self.log is None:
            return 0
        return Path(self.log).read_text(errors="replace").count("Accepted publickey")


@dataclass(frozen=True)
class SshHosts:
    mode: str
    key: str
    known_hosts: str
    hosts: list[SshHost]

    @property
    def up(self) -> list[SshHost]:
        return [h for h in self.hosts if h.reachable]

    @property
    def down(self) -> SshHost:
        return next(h for h in self.hosts if not h.reachable)

    def inventory(self, path: Path) -> Path:
        """An INI inventory: h1, h2 in `web`, h3 in `db`, the unreachable host in `down`."""
        groups = {"web": self.up[:-1], "db": self.up[-1:], "down": [self.down]}
        lines = []
        for group, members in groups.items():
            lines.append(f"[{group}]")
            lines += [f"{h.name} ansible_host={h.address} ansible_port={h.port}" for h in members]
        lines += [
            "[all:vars]",
            "ansible_user=root",
            f"ansible_ssh_private_key_file={self.key}",
            f"ansible_python_interpreter={sys.executable}",
        ]
        path.write_text("\n".join(lines) + "\n")
        return path

    def executor(self, **kwargs: Any) -> Executor:
        return Executor(
            workers=4,
            ssh_host_key_checking="accept-new",
            ssh_known_hosts=self.known_hosts,
            **kwargs,
        )


@pytest.fixture(scope="session")
def ssh_hosts() -> Iterator[SshHosts]:
    """Three hosts running Debian's sshd plus one unreachable host, for the whole session.
    setup.sh installs openssh-server when missing and prefers network namespaces."""
    if os.geteuid() != 0:
        pytest.skip("the test hosts need root (ip netns, sshd, apt-get)")
    state = Path(tempfile.mkdtemp(prefix="airs-hosts-", dir="/tmp"))
    try:
        out = subprocess.run(
            [str(REPO / "tests/hosts/setup.sh"), str(state), "3"],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        ).stdout
        info = json.loads(out.strip().splitlines()[-1])
        yield SshHosts(
            mode=info["mode"],
            key=info["key"],
            known_hosts=info["known_hosts"],
            hosts=[SshHost(**h) for h in info["hosts"]],
        )
    finally:
        subprocess.run([str(REPO / "tests/hosts/teardown.sh"), str(state)], check=False, timeout=60)


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    """A PostgreSQL server for the whole session (see tests/pgserver.py)."""
    from pgserver import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty durable store of each kind."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/jobs.db"
    from pgserver import create_database

    base: str = request.getfixturevalue("postgres_base")
    return create_database(base)


def spawn_worker(store: str, *args: str) -> subprocess.Popen[bytes]:
    """A real `ansible-inspec-rs worker` process with fast heartbeats."""
    cmd = [sys.executable, "-m", "ansible_inspec_rs", "worker", "--store", store]
    cmd += ["--heartbeat", "0.2", "--stale-after", "1", "--poll", "0.5", *args]
    return subprocess.Popen(cmd, stderr=subprocess.PIPE)


async def until(predicate: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Awaits `predicate` until true; fails after `within` seconds instead of hanging."""
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.05)


# --- the REST server -------------------------------------------------------------------------


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
        # The example templates run commands on local://: enabled explicitly, as a server
        # with credentials refuses both by default.
        allow_commands="true",
        allow_local="true",
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
