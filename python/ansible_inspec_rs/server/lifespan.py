"""The executor's life inside an ASGI app: started at app start-up, shut down at its end."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ansible_inspec_rs import _core, errors
from ansible_inspec_rs.server.auth import AUTH_STATE_KEY, Authenticator
from ansible_inspec_rs.server.deps import EXECUTOR_KEY, METRICS_KEY, SETTINGS_KEY
from ansible_inspec_rs.server.gate import GATE_STATE_KEY, RequestGate
from ansible_inspec_rs.server.settings import Settings

log = logging.getLogger("ansible_inspec_rs.server")


SEED_PATH_FIELDS = ("profile", "playbook", "inventory")
# The setting that decides where a seeded template's path field may point.
SEED_ROOT_SETTINGS = {
    "profile": "PROFILE_ROOTS",
    "playbook": "PLAYBOOK_ROOTS",
    "inventory": "INVENTORY_ROOTS",
}


class SeedError(Exception):
    """The seed file cannot be read, or the executor refuses one of its templates: the
    message names the file, the template and the field."""


def load_seed(path: Path) -> list[dict[str, Any]]:
    """Templates from a JSON file: a list of template objects, or ``{"templates": [...]}``.
    Relative local paths in them (profile, playbook, inventory) are relative to the file's
    folder, as in any configuration file, not to the server's working directory."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("templates", [])
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise ValueError(f"{path}: expected a list of template objects")
    base = path.resolve().parent
    for spec in data:
        for field in SEED_PATH_FIELDS:
            value = spec.get(field)
            remote = field == "profile" and spec.get("supermarket")
            if isinstance(value, str) and value and not remote and "://" not in value:
                spec[field] = str(base / value) if not Path(value).is_absolute() else value
    return data


async def seed_templates(ex: _core.Executor, settings: Settings) -> list[str]:
    """Creates the seed file's templates (existing names are left alone); returns the new names."""
    if settings.seed is None:
        return []
    try:
        specs = load_seed(settings.seed)
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON, not a list
        raise SeedError(f"seed file {settings.seed}: {exc}") from None
    created = []
    for index, spec in enumerate(specs):
        try:
            template = await ex.templates.create(spec)
        except errors.TemplateExists:
            continue
        except errors.AnsibleInspecError as exc:
            name = spec.get("name")
            which = f"template {name!r}" if isinstance(name, str) else f"template #{index + 1}"
            field = getattr(exc, "field", None)
            hint = (
                f" (ANSIBLE_INSPEC_RS_{SEED_ROOT_SETTINGS[field]})"
                if isinstance(exc, errors.PathNotAllowed) and field in SEED_ROOT_SETTINGS
                else ""
            )
            raise SeedError(f"seed file {settings.seed}: {which}: {exc}{hint}") from None
        created.append(template.name)
    log.info("seeded %d template(s) from %s: %s", len(created), settings.seed, ", ".join(created))
    return created


def install_settings(app: FastAPI, settings: Settings | None = None) -> Settings:
    """Puts settings, the authenticator and the request gate on ``app.state`` (keeping ones
    already there)."""
    current: Settings | None = getattr(app.state, SETTINGS_KEY, None)
    if settings is None:
        settings = current or Settings()  # from the environment and .env
    setattr(app.state, SETTINGS_KEY, settings)
    auth: Authenticator | None = getattr(app.state, AUTH_STATE_KEY, None)
    if auth is None:
        auth = Authenticator(settings)
        setattr(app.state, AUTH_STATE_KEY, auth)
    if getattr(app.state, GATE_STATE_KEY, None) is None:
        setattr(app.state, GATE_STATE_KEY, RequestGate(settings, auth))
    return settings


NO_CREDENTIALS = (
    "refusing to start: no credential is configured, so every caller would be an admin. Set "
    "ANSIBLE_INSPEC_RS_API_TOKENS or ANSIBLE_INSPEC_RS_JWT_SECRET (or Settings(api_tokens=...) "
    "through install_settings), or opt out explicitly with ANSIBLE_INSPEC_RS_INSECURE_NO_AUTH=true "
    "(Settings(insecure_no_auth=True)): then only loopback Host names are answered."
)


def new_executor(settings: Settings) -> _core.Executor:
    # Unset settings take the core's defaults (it also checks the ranges).
    asked = {"nice": settings.nice, "idle_checks": settings.idle_checks}
    optional: dict[str, Any] = {name: value for name, value in asked.items() if value is not None}
    return _core.Executor(
        workers=settings.workers,
        queue_size=settings.queue_size,
        store=settings.store_url,
        output_tail_bytes=settings.output_tail_bytes,
        event_history=settings.event_history,
        recovery=settings.recovery,
        max_attempts=settings.max_attempts,
        profile_roots=settings.profile_roots,
        playbook_roots=settings.playbook_roots,
        inventory_roots=settings.allowed_inventory_roots,
        allow_commands=settings.commands_allowed,
        allow_local=settings.local_allowed,
        **optional,
    )


@asynccontextmanager
async def executor_lifespan(app: FastAPI, *, require_credentials: bool = True) -> AsyncIterator[None]:
    """Runs an Executor for ``app`` (settings from ``app.state`` or the environment).

    Use it as ``FastAPI(lifespan=executor_lifespan)`` or enter it from your own lifespan:
    ``async with executor_lifespan(app): yield``. When ``app.state`` already holds an executor
    (``create_app(executor=...)``, the pytest plugin) that one is used and left running.

    Without a credential in the settings it refuses to start (RuntimeError) unless the settings
    say ``insecure_no_auth``; ``create_app`` passes ``require_credentials=False`` (``serve`` has
    its own rule: loopback only).
    """
    settings = install_settings(app)
    if require_credentials and not settings.auth_enabled and not settings.insecure_no_auth:
        raise RuntimeError(NO_CREDENTIALS)
    refusal = settings.shared_roots_refusal()
    if refusal is not None:
        raise RuntimeError(refusal)
    given: _core.Executor | None = getattr(app.state, EXECUTOR_KEY, None)
    metrics = getattr(app.state, METRICS_KEY, None)
    if given is not None:
        await seed_templates(given, settings)
        try:
            yield
        finally:
            if metrics is not None:
                await metrics.aclose()
        return
    ex = new_executor(settings)
    async with ex:
        setattr(app.state, EXECUTOR_KEY, ex)
        try:
            await seed_templates(ex, settings)
            log.info(
                "executor started: %d workers, queue %d, store %s",
                ex.workers,
                ex.queue_size,
                ex.storage_backend,
            )
            yield
        finally:
            if metrics is not None:
                await metrics.aclose()
            # Stop running jobs (their processes are killed) rather than wait for them.
            await ex.shutdown(drain=False)
            setattr(app.state, EXECUTOR_KEY, None)
