"""A throwaway PostgreSQL server for the tests: Debian's postgresql package (installed with
apt-get when missing), `initdb` in a temporary directory, started on a free loopback port,
removed afterwards. Nothing relies on a system service."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def ensure_installed() -> Path:
    """The server's bin directory; installs Debian's postgresql package if needed."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.geteuid() != 0:
            raise RuntimeError("PostgreSQL is not installed and installing it needs root (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb was not found after installing the postgresql package")
    return bin_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def postgres_server(*settings: str) -> Iterator[str]:
    """Yields a base URL `postgresql://airs@127.0.0.1:PORT` for a fresh cluster; `settings`:
    more `name=value` server settings (`shared_preload_libraries=pg_stat_statements`)."""
    bin_dir = ensure_installed()
    root = Path(tempfile.mkdtemp(prefix="airs-pg-"))
    data = root / "data"
    # PostgreSQL refuses to run as root: run it as the package's `postgres` user.
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "airs", "--no-sync"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    options += "".join(f" -c {s}" for s in settings)
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://airs@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(base_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    host_port = base_url.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    subprocess.run(
        ["psql", "-h", host, "-p", port, "-U", "airs", "-d", "postgres", "-qc", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
    )
    return f"{base_url}/{name}"


def xact_commits(url: str) -> int:
    """Transactions committed so far in the database `url` names (pg_stat_database); the
    statistics are flushed about once a second, so compare readings some seconds apart."""
    base, name = url.rsplit("/", 1)
    host, port = base.rsplit("@", 1)[1].split(":")
    sql = f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'"
    out = subprocess.run(
        ["psql", "-h", host, "-p", port, "-U", "airs", "-d", name, "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


@contextmanager
def outage(base_url: str) -> Iterator[None]:
    """The server at `base_url` stopped (connections refused) for the block, then started
    again with the same data, port and options."""
    port = base_url.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", "--", f"-p {port} "], capture_output=True, text=True)
    (pid,) = found.stdout.split()
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    data = Path(argv[argv.index("-D") + 1])
    options = " ".join(a if " " not in a else f"'{a}'" for a in argv[argv.index("-p") :])
    pg_ctl = str(Path(argv[0]).with_name("pg_ctl"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], check=True, capture_output=True
    )
    try:
        yield
    finally:
        log = str(data.parent / "log")
        start = [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start"]
        subprocess.run(start, check=True, capture_output=True)
