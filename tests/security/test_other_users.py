"""Without a credential ``serve`` treats every request as an admin's (and runs commands and
local checks): loopback is reachable by every user of the machine, so a connection from
another user is refused before a byte of it is read; the user who started the server (and
root) are answered. A real server; a real client process running as ``nobody``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import ADMIN_TOKEN, LiveServer, start_server

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")

NOBODY = 65534
# bash's /dev/tcp: a client every user can run (this interpreter may be in root's home).
CLIENT = (
    "trap '' PIPE; "
    'exec 3<>"/dev/tcp/127.0.0.1/$1" && '
    "printf 'GET /api/v1/templates HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && "
    "head -n 1 <&3"
)


def as_nobody(port: int) -> str:
    out = subprocess.run(
        ["/bin/bash", "-c", CLIENT, "client", str(port)],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        capture_output=True,
        timeout=30,
        cwd="/",
    )
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode().strip()  # the status line


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("no-credential"))
    yield live
    live.stop()


def test_another_user_gets_no_answer_from_a_server_without_credentials(open_server: LiveServer) -> None:
    port = int(open_server.url.rsplit(":", 1)[1])
    assert as_nobody(port) == "HTTP/1.1 403 Forbidden"
    # Its own user is answered, on the same connections' path.
    assert httpx.get(open_server.url + "/api/v1/templates", timeout=10).status_code == 200


def test_with_a_credential_another_user_is_asked_for_it(tmp_path: Path) -> None:
    live = start_server(tmp_path, api_tokens=ADMIN_TOKEN)
    try:
        assert as_nobody(int(live.url.rsplit(":", 1)[1])) == "HTTP/1.1 401 Unauthorized"
    finally:
        live.stop()
