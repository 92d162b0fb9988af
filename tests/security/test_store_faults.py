"""Broken disks and a full queue (issue 18, items 8 and 9): a bad SQLite file is named at once,
a data directory that is a file stops `serve` with one line, `/health` checks the store, and
queue admission is atomic on every store, PostgreSQL included."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from ansible_inspec_rs import Executor, Template, errors
from helpers import REPO, server_env, start_server


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` cannot be written, even by root (the tests may run as root: an immutable flag)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def a_real_database(path: Path, rows: int = 2000) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE filler (k INTEGER PRIMARY KEY, v TEXT)")
        db.executemany("INSERT INTO filler (v) VALUES (?)", [("x" * 200,)] * rows)
    db.close()


def garbage(path: Path) -> None:
    path.write_text("this is not a database\n" * 200)


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def truncated(path: Path) -> None:
    a_real_database(path)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)


def directory(path: Path) -> None:
    path.mkdir()


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "garbage": (garbage, "is not a SQLite database"),
    "random-bytes": (random_bytes, "is not a SQLite database"),
    "truncated": (truncated, "is corrupt"),
    "directory": (directory, "is a directory"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_sqlite_file_is_named_at_once(tmp_path: Path, kind: str) -> None:
    make, problem = BROKEN[kind]
    db = tmp_path / "jobs.db"
    make(db)
    started = time.monotonic()
    with pytest.raises(errors.StoreError) as e:
        Executor(workers=0, store=f"sqlite://{db}")
    assert time.monotonic() - started < 5
    assert str(db) in str(e.value) and problem in str(e.value), str(e.value)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_a_read_only_database_is_named_at_once(tmp_path: Path, what: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "jobs.db"
    a_real_database(db)
    with read_only(db if what == "file" else data):
        started = time.monotonic()
        with pytest.raises(errors.StoreError) as e:
            Executor(workers=0, store=f"sqlite://{db}")
    assert time.monotonic() - started < 5
    assert str(db) in str(e.value), str(e.value)
    # A read-only directory: SQLite cannot create the -wal and -shm files beside the file.
    assert "read-only" in str(e.value) or "directory must be writable" in str(e.value), str(e.value)


def serve(data_dir: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ansible_inspec_rs", "serve", "--port", "0"],
        cwd=REPO,
        env=server_env(data_dir=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_serve_with_a_data_directory_that_is_a_file_says_so_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("a file, not a directory")
    done = serve(data)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"data directory {data}" in done.stderr, done.stderr


def test_serve_with_a_garbage_database_stops_at_once_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    garbage(data / "jobs.db")
    started = time.monotonic()
    done = serve(data)
    assert done.returncode != 0
    assert time.monotonic() - started < 15  # was 30 s of "pool timed out"
    assert f"{data / 'jobs.db'}: is not a SQLite database" in done.stdout + done.stderr


def test_health_reports_a_store_corrupted_while_running(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        ok = httpx.get(server.url + "/health", timeout=5)
        assert ok.status_code == 200 and ok.json()["status"] == "ok"
        assert ok.json()["store_error"] is None
        db = tmp_path / f"data-{server.url.rsplit(':', 1)[1]}" / "jobs.db"
        size = db.stat().st_size
        with db.open("r+b") as f:  # the same file, overwritten in place
            f.write(os.urandom(size))
        # /health answers from the store probe, which runs every second: it turns within a
        # few probes (6 s leaves room for a loaded machine).
        deadline = time.monotonic() + 6
        bad = httpx.get(server.url + "/health", timeout=10)
        while bad.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            bad = httpx.get(server.url + "/health", timeout=10)
        assert bad.status_code == 503, bad.text
        body = bad.json()
        assert body["status"] == "degraded"
        assert str(db) in body["store_error"] and "not a SQLite database" in body["store_error"]
    finally:
        server.stop()


async def admit(url: str | None, queue_size: int, submits: int) -> tuple[int, int]:
    """`submits` submissions at once to an executor that runs nothing: (admitted, refused)."""
    ex = Executor(workers=0, queue_size=queue_size, store=url)
    try:
        await ex.templates.create(Template("q", connection="local", command=["true"]))
        outcomes = await asyncio.gather(
            *(ex.submit("q", hosts=["local://"]) for _ in range(submits)), return_exceptions=True
        )
        unexpected = [
            o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, errors.QueueFull)
        ]
        assert not unexpected, unexpected[:3]
        refused = sum(isinstance(o, errors.QueueFull) for o in outcomes)
        assert await ex.count(status="pending") == submits - refused
        return submits - refused, refused
    finally:
        await ex.shutdown(drain=False)


async def test_queue_admission_is_atomic(store_url: str) -> None:
    assert await admit(store_url, 20, 200) == (20, 180)


async def test_queue_admission_is_atomic_across_executors_on_postgresql(postgres_base: str) -> None:
    """Three executors sharing one PostgreSQL queue admit 20 in all, not 20 each."""
    from pgserver import create_database

    url = create_database(postgres_base)
    executors = [Executor(workers=0, queue_size=20, store=url) for _ in range(3)]
    try:
        await executors[0].templates.create(Template("q", connection="local", command=["true"]))
        outcomes = await asyncio.gather(
            *(executors[i % 3].submit("q", hosts=["local://"]) for i in range(150)), return_exceptions=True
        )
        assert all(isinstance(o, errors.QueueFull) for o in outcomes if isinstance(o, BaseException))
        assert sum(not isinstance(o, BaseException) for o in outcomes) == 20
        assert await executors[1].count(status="pending") == 20
    finally:
        for ex in executors:
            await ex.shutdown(drain=False)
