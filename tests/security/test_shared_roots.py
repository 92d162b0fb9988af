"""A server with credentials is reachable by others, and an operator names the playbook or
profile a job runs, as the server's user. Its path roots default to the working directory,
which is ``/`` under systemd or in a container without a WORKDIR: then any local user could
put a playbook in /tmp for an operator to run as root. Such roots (the whole filesystem, or a
folder every user can write to) are refused at start-up, naming the setting."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_inspec_rs.fastapi import executor_lifespan
from ansible_inspec_rs.server.lifespan import install_settings
from ansible_inspec_rs.server.settings import Settings
from fastapi import FastAPI
from helpers import ADMIN_TOKEN, server_env

SERVE = [sys.executable, "-m", "ansible_inspec_rs", "serve", "--port", "0"]


def serve(cwd: Path, **settings: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(SERVE, cwd=cwd, env=server_env(**settings), capture_output=True, timeout=60)


def test_serve_from_the_root_folder_with_credentials_is_refused(tmp_path: Path) -> None:
    out = serve(Path("/"), api_tokens=ADMIN_TOKEN, data_dir=str(tmp_path / "data"))
    assert out.returncode == 2, out
    err = out.stderr.decode()
    for setting in ("PROFILE_ROOTS", "PLAYBOOK_ROOTS", "INVENTORY_ROOTS"):
        assert f"ANSIBLE_INSPEC_RS_{setting}: '.' is the whole filesystem" in err, err
    assert b"serving on" not in out.stdout


def test_a_root_every_user_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp
    out = serve(tmp_path, api_tokens=ADMIN_TOKEN, playbook_roots=f"{tmp_path},{shared}")
    assert out.returncode == 2, out
    err = out.stderr.decode()
    assert f"ANSIBLE_INSPEC_RS_PLAYBOOK_ROOTS: '{shared}' ({shared}) is writable by every user" in err, err
    assert "PROFILE_ROOTS" not in err, err


def test_the_embedded_router_refuses_them_too() -> None:
    app = FastAPI()
    install_settings(app, Settings(_env_file=None, api_tokens=[ADMIN_TOKEN], profile_roots=[Path("/")]))

    async def start() -> None:
        async with executor_lifespan(app):
            pass

    with pytest.raises(RuntimeError, match="PROFILE_ROOTS: '/' is the whole filesystem"):
        asyncio.run(start())


def test_without_credentials_the_working_directory_stays_the_root(tmp_path: Path) -> None:
    # Loopback only, answering its own user's requests: `make run` from anywhere works.
    assert Settings(_env_file=None, profile_roots=[Path("/")]).shared_roots_refusal() is None
