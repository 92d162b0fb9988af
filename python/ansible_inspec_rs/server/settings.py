"""Server settings: environment variables prefixed ``ANSIBLE_INSPEC_RS_`` and a ``.env`` file.

Lists (``API_TOKENS``, ``PROFILE_ROOTS``, ``PLAYBOOK_ROOTS``) are comma-separated. Secrets are
``SecretStr``: they print as ``**********`` and are never logged.
"""

from __future__ import annotations

import ipaddress
import json
import stat
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Role = Literal["viewer", "operator", "admin"]

ENV_PREFIX = "ANSIBLE_INSPEC_RS_"
# uvicorn's log levels (``uvicorn --log-level``).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _split_csv(value: Any) -> Any:
    """``"a, b"`` or a JSON list ``["a", "b"]`` -> ``["a", "b"]``."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Everything the server can be told. ``Settings()`` reads the environment and ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    host: str = Field("127.0.0.1", description="address to bind")
    port: int = Field(8080, ge=0, le=65535, description="port to bind (0: any free port)")
    workers: int = Field(
        8, ge=0, le=1024, description="executor worker tasks (jobs run at once; 0: jobs run on workers)"
    )
    queue_size: int = Field(10_000, ge=1, description="pending jobs the executor accepts")
    data_dir: Path = Field(Path("data"), description="where stores and reports live")
    store_url: str | None = Field(
        None,
        description="job store: sqlite:///path.db, postgresql://…, memory://; unset: memory for an "
        "embedded app, sqlite in data_dir for `ansible-inspec-rs serve`",
    )
    event_history: int = Field(10_000, ge=1, description="events kept per job for late subscribers")
    recovery: Literal["requeue", "fail"] = Field(
        "requeue", description="jobs a dead executor left running: re-queued, or failed as interrupted"
    )
    max_attempts: int = Field(3, ge=1, le=1000, description="runs of one job across recoveries")
    output_tail_bytes: int = Field(65_536, ge=1, description="bytes of stdout/stderr kept per host")
    nice: int | None = Field(
        None, description="nice value check processes start at (0-19; unset: the executor's default, 10)"
    )
    idle_checks: bool | None = Field(
        None,
        description="run check processes under Linux's SCHED_IDLE policy, so the server's own threads "
        "get a core at once (unset: the executor's default, on)",
    )

    # --- auth -------------------------------------------------------------------------------
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="static bearer tokens (comma-separated)"
    )
    api_token_role: Role = Field("admin", description="role every static token gets")
    jwt_secret: SecretStr | None = Field(None, description="HS256 secret for JWTs (no default)")
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_cookie_name: str = "ansible_inspec_token"
    metrics_auth: bool | None = Field(
        None, description="require a viewer credential on /metrics (unset: when a credential is configured)"
    )
    insecure_no_auth: bool = Field(
        False,
        description="serve without credentials: `serve` on a non-loopback address, an app with the "
        "embedded router at all (only loopback Host names and allowed_hosts are answered)",
    )

    # --- what a request may be ---------------------------------------------------------------
    max_body_bytes: int = Field(
        1 << 20,
        ge=1024,
        description="largest request body accepted (413 above it), read after authentication",
    )
    request_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="seconds a client has to send a request's head (from its first byte, or from "
        "connecting), and again its body (408 after; `serve` only for the head)",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names answered besides loopback ones (comma-separated; * any). Without a "
        "credential only these and loopback names are answered; with one, any Host unless this is set",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="browser origins (scheme://host[:port]) allowed cross-origin requests (CORS) and "
        "state-changing requests; unset: same-origin only",
    )

    # --- paths ------------------------------------------------------------------------------
    profile_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path(".")],
        description="template profiles must resolve inside one of these (comma-separated)",
    )
    playbook_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path(".")],
        description="template playbooks must resolve inside one of these (comma-separated)",
    )
    inventory_roots: Annotated[list[Path] | None, NoDecode] = Field(
        None,
        description="template inventories must resolve inside one of these (comma-separated); "
        "unset: the profile and playbook roots",
    )

    # --- what operators may run as the server's user (see README, "Threat model") ----------
    allow_commands: bool | None = Field(
        None,
        description="accept `command` templates (argv run as the server's user); "
        "unset: only when no credential is configured",
    )
    allow_local: bool | None = Field(
        None,
        description="accept checks on the server's own machine (connection local, local://); "
        "unset: only when no credential is configured",
    )

    seed: Path | None = Field(None, description="JSON file of templates created at start-up")
    log_level: str = Field("info", description=f"server log level: {', '.join(LOG_LEVELS)}")

    @field_validator(
        "api_tokens",
        "profile_roots",
        "playbook_roots",
        "inventory_roots",
        "allowed_hosts",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.lower()

    @field_validator("api_tokens")
    @classmethod
    def _no_empty_tokens(cls, value: list[SecretStr]) -> list[SecretStr]:
        return [t for t in value if t.get_secret_value()]

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if "://" not in origin or "*" in origin:
                raise ValueError(f"cors_origins take scheme://host[:port] origins, not {origin!r}")
        return value

    @property
    def auth_enabled(self) -> bool:
        """True when at least one credential (static token or JWT secret) is configured."""
        return bool(self.api_tokens) or (
            self.jwt_secret is not None and bool(self.jwt_secret.get_secret_value())
        )

    @property
    def metrics_need_auth(self) -> bool:
        """``metrics_auth`` as set, else closed whenever a credential is configured."""
        return self.auth_enabled if self.metrics_auth is None else self.metrics_auth

    @property
    def allowed_inventory_roots(self) -> list[Path]:
        """Inventory roots: the setting, or else the profile and playbook roots together."""
        if self.inventory_roots is not None:
            return self.inventory_roots
        return [*self.profile_roots, *self.playbook_roots]

    def shared_roots(self) -> list[str]:
        """The path roots other local users can write into, each as ``SETTING: why``. The
        default root is the working directory, which is ``/`` under systemd or a container
        without a WORKDIR: the whole filesystem, ``/tmp`` included."""
        problems = []
        for name, roots in (
            ("PROFILE_ROOTS", self.profile_roots),
            ("PLAYBOOK_ROOTS", self.playbook_roots),
            ("INVENTORY_ROOTS", self.allowed_inventory_roots),
        ):
            for root in roots:
                why = _shared(root)
                if why is not None:
                    problems.append(f"{ENV_PREFIX}{name}: {str(root)!r} {why}")
        return problems

    def shared_roots_refusal(self) -> str | None:
        """Why a server with credentials (reachable by others) must not start with these
        roots, or None: a playbook or profile any local user puts inside a root would run as
        the server's user once an operator names it."""
        problems = self.shared_roots() if self.auth_enabled else []
        if not problems:
            return None
        return (
            "refusing to start: other local users can write inside a path root, and a playbook or "
            "profile they put there would run as this server's user: "
            + "; ".join(problems)
            + ". Set the roots to the folders of your profiles, playbooks and inventories."
        )

    @property
    def commands_allowed(self) -> bool:
        """A server with credentials is reachable by others: commands only when enabled."""
        return self.allow_commands if self.allow_commands is not None else not self.auth_enabled

    @property
    def local_allowed(self) -> bool:
        """As ``commands_allowed``, for checks that run on the server's machine."""
        return self.allow_local if self.allow_local is not None else not self.auth_enabled


def _shared(root: Path) -> str | None:
    """Why other local users can put files under ``root`` (resolved), or None."""
    try:
        real = root.resolve()
        mode = real.stat().st_mode
    except (OSError, RuntimeError):
        return None  # nothing there: the core refuses every path under it
    if real == Path(real.anchor):
        return "is the whole filesystem (/tmp included)"
    if mode & stat.S_IWOTH:
        return f"({real}) is writable by every user"
    return None


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 / ::1 literals."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
