"""``ansible-inspec-rs serve``: the REST server (uvicorn) with settings from the environment.

Secure by default: with no credential configured (``ANSIBLE_INSPEC_RS_API_TOKENS`` or
``ANSIBLE_INSPEC_RS_JWT_SECRET``) it binds to loopback only and warns loudly; on any other
address it refuses to start unless ``--insecure-no-auth`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ansible_inspec_rs.commands.args import port

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from types import FrameType

    import uvicorn
    from pydantic import ValidationError

    from ansible_inspec_rs import _core
    from ansible_inspec_rs.server.settings import Settings

log = logging.getLogger("ansible_inspec_rs.server")

BANNER = "!" * 78
# How long a stop (Ctrl-C, SIGTERM) waits for requests in progress before cancelling them: an
# event stream follows its job to the end, so uvicorn would otherwise wait as long as the job.
SHUTDOWN_GRACE_SECONDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port, help="port to bind (default 8080; 0 picks a free one)")
    parser.add_argument("--workers", type=int, help="executor workers (jobs run at once)")
    parser.add_argument("--queue-size", type=int, help="pending jobs the executor accepts")
    parser.add_argument(
        "--store",
        dest="store_url",
        help="sqlite:///path.db, postgresql://…, memory:// (default: sqlite in the data directory)",
    )
    parser.add_argument("--seed", type=Path, help="JSON file of templates to create at start-up")
    parser.add_argument("--env-file", type=Path, help="read settings from this file instead of .env")
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=None,
        help="serve without credentials on a non-loopback address (dangerous)",
    )
    parser.add_argument("--log-level", help="uvicorn/server log level (default info)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    import uvicorn
    from pydantic import ValidationError
    from uvicorn.config import STARTUP_FAILURE

    from ansible_inspec_rs import errors
    from ansible_inspec_rs.server.app import create_app
    from ansible_inspec_rs.server.lifespan import SeedError, load_seed, new_executor, seed_templates
    from ansible_inspec_rs.server.protocol import guarded_http_protocol
    from ansible_inspec_rs.server.settings import ENV_PREFIX, Settings, is_loopback

    overrides = {
        key: value
        for key in (
            "host",
            "port",
            "workers",
            "queue_size",
            "store_url",
            "seed",
            "insecure_no_auth",
            "log_level",
        )
        if (value := getattr(args, key, None)) is not None
    }
    env_file = args.env_file if args.env_file is not None else ".env"
    if args.env_file is not None and not args.env_file.is_file():
        print(f"error: --env-file {args.env_file}: no such file", file=sys.stderr)
        return 2
    try:
        settings = Settings(_env_file=env_file, **overrides)
    except ValidationError as e:
        # A bad option or ANSIBLE_INSPEC_RS_* value: one line per setting, naming both.
        for line in settings_errors(e, ENV_PREFIX, set(overrides)):
            print(f"error: {line}", file=sys.stderr)
        return 2
    if settings.store_url is None:
        # The server keeps templates and jobs across restarts unless told otherwise.
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            print(f"error: data directory {settings.data_dir}: {e.strerror or e}", file=sys.stderr)
            return 2
        if not settings.data_dir.is_dir():
            print(f"error: data directory {settings.data_dir} is not a directory", file=sys.stderr)
            return 2
        settings.store_url = f"sqlite://{settings.data_dir.resolve()}/jobs.db"
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    if settings.seed is not None and not settings.seed.is_file():
        print(f"error: seed file {settings.seed} not found", file=sys.stderr)
        return 2

    refusal = bind_refusal(settings) or settings.shared_roots_refusal()
    if refusal is not None:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    if not settings.auth_enabled:
        log.warning(
            "%s\nNO AUTHENTICATION: no API token or JWT secret is configured; every request is "
            "treated as admin.\nServing on %s only. Set ANSIBLE_INSPEC_RS_API_TOKENS or "
            "ANSIBLE_INSPEC_RS_JWT_SECRET before exposing this server.\n%s",
            BANNER,
            settings.host,
            BANNER,
        )
        if not settings.allowed_hosts and not is_loopback(settings.host):
            log.warning(
                "Without a credential only loopback Host names are answered (DNS-rebinding defence); "
                "list the names clients use in ANSIBLE_INSPEC_RS_ALLOWED_HOSTS."
            )

    # The store is opened before the server starts, so a bad one (not SQLite, corrupt,
    # read-only, unreachable) is one line and exit code 2, not a start-up traceback.
    try:
        executor = new_executor(settings)
    except errors.AnsibleInspecError as e:  # a store that does not open, a setting the core refuses
        print(f"error: {e}", file=sys.stderr)
        return 2
    # Without a credential every request is an admin's: only this user's (and root's) are
    # answered, which only the guarded httptools protocol can tell.
    own_user_only = not settings.auth_enabled and not settings.insecure_no_auth
    http = guarded_http_protocol(settings.request_timeout, own_user_only=own_user_only)
    if own_user_only and http == "h11":
        print(
            "error: without a credential serve answers only its own user, which needs httptools "
            "(pip install 'uvicorn[standard]'); or set ANSIBLE_INSPEC_RS_API_TOKENS",
            file=sys.stderr,
        )
        asyncio.run(_stop(executor))
        return 2
    # Seeded before the server starts: a template the executor refuses (a path outside the
    # roots, a disabled command) is one line naming it and exit code 2, not a start-up
    # traceback after a banner that said the server was serving.
    try:
        asyncio.run(seed_templates(executor, settings))
    except SeedError as e:
        print(f"error: {e}", file=sys.stderr)
        asyncio.run(_stop(executor))
        return 2
    seed_names = [str(t.get("name")) for t in load_seed(settings.seed)] if settings.seed else []
    # Seeded once: the app's lifespan takes the executor as it is.
    app = create_app(settings.model_copy(update={"seed": None}), executor=executor)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Request heads bounded in size and time (uvicorn's httptools protocol has neither).
        http=http,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    server = _server_class()(config, lambda port: _print_banner(settings, port, seed_names))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again under the
    # handler it found: the default one would end the process before the executor stops (its
    # running jobs would stay `running` in the store). Both end up here instead.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run()
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        # Running checks are stopped (their processes killed), as the app's own lifespan does.
        asyncio.run(_stop(executor))
    # uvicorn's own reason (an address in use, a failed start-up) is logged above.
    return 0 if server.started else STARTUP_FAILURE


def _server_class() -> Callable[[uvicorn.Config, Callable[[int], None]], uvicorn.Server]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, telling ``on_listening`` the port it listens on once it does
        (``--port 0`` picks one; an address in use never gets that far)."""

        def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None]) -> None:
            super().__init__(config)
            self._on_listening = on_listening

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ports = [s.getsockname()[1] for server in self.servers for s in server.sockets or ()]
                self._on_listening(ports[0] if ports else self.config.port)

        async def main_loop(self) -> None:
            # uvicorn looks at `should_exit` every 0.1 s; this loop ticks once a second (the
            # Date header's resolution) and wakes at once on a stop signal: a server idle for
            # most of its life wakes a tenth as often.
            self._wake = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            while not await self.on_tick(0):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 1.0)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            loop = getattr(self, "_loop", None)
            if loop is not None:
                loop.call_soon_threadsafe(self._wake.set)

    return Server


class _Stopped(Exception):
    """SIGTERM, once uvicorn has shut down."""


def _stopped(signum: int, frame: object) -> None:
    raise _Stopped


async def _stop(executor: _core.Executor) -> None:
    # The executor's coroutines bind to the loop running when they are made.
    await executor.shutdown(drain=False)


def settings_errors(error: ValidationError, env_prefix: str, given: set[str]) -> list[str]:
    """Each refused setting as ``--option: why`` (given on the command line) or
    ``ANSIBLE_INSPEC_RS_NAME: why`` (from the environment or the env file)."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "settings"
        where = f"--{name.replace('_', '-')}" if name in given else f"{env_prefix}{name.upper()}"
        value = problem.get("input")
        shown = f" (got {value!r:.80})" if isinstance(value, str | int | float) else ""
        lines.append(f"{where}: {problem['msg']}{shown}")
    return lines


def bind_refusal(settings: Settings) -> str | None:
    """Why the server must not start with these settings, or None. Without any credential it
    serves loopback only, unless insecure_no_auth (``--insecure-no-auth``) says otherwise."""
    from ansible_inspec_rs.server.settings import is_loopback

    if settings.auth_enabled or is_loopback(settings.host) or settings.insecure_no_auth:
        return None
    return (
        f"refusing to serve {settings.host} without credentials. Set ANSIBLE_INSPEC_RS_API_TOKENS "
        "or ANSIBLE_INSPEC_RS_JWT_SECRET, bind to 127.0.0.1, or pass --insecure-no-auth."
    )


def _print_banner(settings: Settings, port: int, names: list[str]) -> None:
    import json

    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    example = json.dumps({"template_name": names[0] if names else "my-template", "hosts": ["local://"]})
    auth = ' -H "Authorization: Bearer $TOKEN"' if settings.auth_enabled else ""
    print(
        f"ansible-inspec-rs serving on {url}  (API docs: {url}/docs, health: {url}/health)\n"
        + (f"seed templates: {', '.join(names)}\n" if names else "")
        + "try:\n"
        + f"  curl -s{auth} {url}/api/v1/templates\n"
        + f"  curl -s{auth} -X POST {url}/api/v1/jobs -H 'Content-Type: application/json' -d '{example}'\n"
        + f"  curl -s{auth} {url}/api/v1/jobs/<job_id>",
        flush=True,
    )
