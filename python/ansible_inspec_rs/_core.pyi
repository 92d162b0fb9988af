"""Type stubs of the native module (checked against it by stubtest).

Every method that reads or writes the store, or waits, returns a coroutine (so
``asyncio.create_task`` and ``TaskGroup.create_task`` take it); the work starts when the method
is called. Properties and in-memory reads (``Executor.stats()``, ``Job.to_dict()``,
``Job.report()``, ``Job.events()``) are synchronous.
"""

from collections.abc import Coroutine, Generator, Mapping, Sequence
from datetime import datetime
from inspect import Signature
from os import PathLike
from types import TracebackType
from typing import Any, ClassVar, final

__version__: str
__all__ = [
    "Event",
    "EventStream",
    "Executor",
    "HostResult",
    "Job",
    "JobEnd",
    "JobEnds",
    "Profile",
    "Template",
    "Templates",
    "__version__",
    "log",
    "schema",
    "set_log_format",
]

def schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of templates, jobs, host results, events and statuses."""

def set_log_format(format: str) -> None:
    """The format of this process's operator log lines on stderr: ``"text"`` or ``"json"``."""

def log(event: str, message: str, worker: str | None = None) -> None:
    """Writes one operator log line on stderr, in the process's format."""

@final
class Template:
    """A validated job template. Construction validates in Rust (raises ValidationError); a
    local profile or playbook must exist. ``None`` for a field means its default (shown)."""

    __signature__: ClassVar[Signature]

    def __new__(
        cls,
        name: str,
        *,
        description: str | None = "",
        profile: str | None = None,
        playbook: str | None = None,
        command: Sequence[str] | None = None,
        inventory: str | None = None,
        target: str | None = None,
        limit: str | None = None,
        tags: Sequence[str] | str | None = ...,
        skip_tags: Sequence[str] | str | None = ...,
        controls: Sequence[str] | None = ...,
        extra_vars: Mapping[str, Any] | None = ...,
        reporter: str | None = None,
        supermarket: bool | None = False,
        job_type: str | None = "run",
        timeout: int | None = 300,
        forks: int | None = 5,
        retries: int | None = 0,
        retry_backoff: float | None = 1.0,
        verbosity: int | None = 0,
        connection: str | None = "ssh",
        connect_timeout: int | None = 10,
        runner: str | None = "native",
        allow_ansible_vars: Sequence[str] | None = ...,
    ) -> Template: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Template: ...
    def to_dict(self) -> dict[str, Any]: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def playbook(self) -> str | None: ...
    @property
    def command(self) -> list[str] | None: ...
    @property
    def inventory(self) -> str | None: ...
    @property
    def target(self) -> str | None: ...
    @property
    def limit(self) -> str | None: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def skip_tags(self) -> list[str]: ...
    @property
    def controls(self) -> list[str]: ...
    @property
    def extra_vars(self) -> dict[str, Any]: ...
    @property
    def reporter(self) -> str | None: ...
    @property
    def supermarket(self) -> bool: ...
    @property
    def job_type(self) -> str: ...
    @property
    def timeout(self) -> int: ...
    @property
    def forks(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def retry_backoff(self) -> float: ...
    @property
    def verbosity(self) -> int: ...
    @property
    def connection(self) -> str:
        """``ssh`` (default: ``local://`` hosts run here, others over SSH) or ``local``
        (every host's check runs here with ``{host}`` substituted)."""
    @property
    def connect_timeout(self) -> int: ...
    @property
    def runner(self) -> str:
        """How a profile runs: ``native`` (default: evaluated in Rust, no Ruby or InSpec),
        ``inspec`` (the InSpec CLI) or ``auto`` (native; controls it cannot run go to the
        InSpec CLI when installed)."""
    @property
    def allow_ansible_vars(self) -> list[str]:
        """``ansible_*`` variables a job's caller may set in its extra vars (``*``: all)."""
    @property
    def created_at(self) -> datetime: ...
    @property
    def modified_at(self) -> datetime: ...

@final
class HostResult:
    """The outcome of checking one host."""

    def to_dict(self) -> dict[str, Any]: ...
    @property
    def host(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def exit_code(self) -> int | None: ...
    @property
    def duration(self) -> float: ...
    @property
    def attempts(self) -> int: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def controls(self) -> list[dict[str, Any]]:
        """Per-control results (inspec runs), shaped as in InSpec's JSON report."""
    @property
    def tasks(self) -> list[dict[str, Any]]:
        """Per-task results (ansible runs): ``task``, ``status``, ``message``, ``duration``."""

@final
class Event:
    """One thing that happened to a job. ``to_dict()`` gives all fields, flat, with ``type``."""

    def to_dict(self) -> dict[str, Any]: ...
    @property
    def job_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def time(self) -> datetime: ...
    @property
    def type(self) -> str: ...
    @property
    def host(self) -> str | None: ...

@final
class EventStream:
    """``async for event in job.events()``: the history so far, then live events; ends with the job."""

    def __aiter__(self) -> EventStream: ...
    def __anext__(self) -> Coroutine[Any, Any, Event]: ...

@final
class JobEnds:
    """``async for ends in executor.follow_ends()``: lists of jobs as they end."""

    def __aiter__(self) -> JobEnds: ...
    def __anext__(self) -> Coroutine[Any, Any, list[JobEnd]]: ...

@final
class JobEnd:
    """An ended job: its id and, when whoever ended it told, its status, its duration (start,
    or submission, to end) and its host results by status (else None: read the job)."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str | None: ...
    @property
    def seconds(self) -> float | None: ...
    @property
    def hosts(self) -> dict[str, int] | None: ...

@final
class Job:
    """A handle on a submitted job. Properties read its live state."""

    def wait(self, timeout: float | None = None) -> Coroutine[Any, Any, Job]: ...
    def __await__(self) -> Generator[Any, None, Job]: ...
    def cancel(self) -> Coroutine[Any, Any, bool]: ...
    def events(self) -> EventStream: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> bytes:
        """The job as compact JSON (``to_dict()``'s fields), written without the GIL."""
    def report(self, format: str = "json", *, color: bool = False) -> str:
        """The report as text: ``json`` (InSpec JSON reporter format), ``junit``, ``html`` or
        ``cli`` (``inspec exec``'s terminal report; ``color``: ANSI colours)."""
    REPORT_FORMATS: ClassVar[list[str]]
    @staticmethod
    def report_media_type(format: str) -> str: ...
    def __eq__(self, value: object, /) -> bool:
        """True for a status name the job is in now (``job == JobStatus.SUCCESSFUL``), or the
        same job."""
    def __hash__(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def template_name(self) -> str: ...
    @property
    def template_id(self) -> str | None: ...
    @property
    def hosts(self) -> list[str]: ...
    @property
    def extra_vars(self) -> dict[str, Any]: ...
    @property
    def status(self) -> str: ...
    @property
    def done(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def results(self) -> list[HostResult]: ...
    @property
    def error(self) -> str | None: ...

@final
class Templates:
    """``executor.templates``: the template registry (async)."""

    def create(self, template: Template | Mapping[str, Any]) -> Coroutine[Any, Any, Template]: ...
    def get(self, name_or_id: str) -> Coroutine[Any, Any, Template]: ...
    def list(self) -> Coroutine[Any, Any, list[Template]]: ...
    def update(self, name_or_id: str, changes: Mapping[str, Any]) -> Coroutine[Any, Any, Template]: ...
    def delete(self, name_or_id: str) -> Coroutine[Any, Any, None]: ...

@final
class Executor:
    """Queue + tokio worker pool. ``async with Executor(...) as ex:``."""

    def __new__(
        cls,
        workers: int = 8,
        queue_size: int = 10000,
        store: str | None = None,
        *,
        output_tail_bytes: int = 65536,
        event_history: int = 10000,
        recovery: str = "requeue",
        max_attempts: int = 3,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        poll_interval: float = 5.0,
        ssh_host_key_checking: str = "yes",
        ssh_known_hosts: str | None = None,
        ssh_identity_file: str | None = None,
        ssh_multiplex: bool = True,
        tool_path: Sequence[str] | None = None,
        profile_roots: Sequence[str | PathLike[str]] | None = None,
        playbook_roots: Sequence[str | PathLike[str]] | None = None,
        inventory_roots: Sequence[str | PathLike[str]] | None = None,
        allow_commands: bool = True,
        allow_local: bool = True,
        nice: int = 10,
    ) -> Executor: ...
    def submit(
        self,
        template: str | Template,
        hosts: Sequence[str] = ...,
        extra_vars: Mapping[str, Any] | None = None,
        *,
        allow_empty: bool = False,
    ) -> Coroutine[Any, Any, Job]:
        """Queues a job and returns it, pending. Without ``hosts`` the template's inventory and
        target/limit select them; a job that would check no host raises ValidationError
        (``field == "hosts"``) unless ``allow_empty=True``."""
    def get(self, job_id: str) -> Coroutine[Any, Any, Job]: ...
    def list(
        self,
        status: str | None = None,
        template: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "desc",
    ) -> Coroutine[Any, Any, list[Job]]: ...
    def count(self, status: str | None = None, template: str | None = None) -> Coroutine[Any, Any, int]: ...
    def delete(self, job_id: str) -> Coroutine[Any, Any, None]: ...
    def stats(self) -> dict[str, Any]:
        """In-memory counters (workers, queue_size, pending, running, jobs_by_status,
        storage_backend, worker_id, closed, lease_age_seconds, and what this process's workers
        did: claimed, queue_wait_seconds, requeued, interrupted, lease_lost, store_errors).
        Synchronous: it reads no store and never waits."""
    def check_store(self) -> Coroutine[Any, Any, dict[str, Any]]: ...
    def store_health(self) -> dict[str, Any]:
        """The background store probe's last answer, at once: reachable, error, age_seconds, workers."""
    def job_stats(self) -> Coroutine[Any, Any, dict[str, float]]:
        """The store's counts for the whole cluster, read in one query and reused for 2 s:
        one entry per job status, ``attempts``, ``requeued``, ``oldest_pending_seconds`` and
        ``live_workers``. StoreError when the store does not answer within 2 s."""
    def follow_ends(self) -> JobEnds: ...
    def shutdown(self, drain: bool = True) -> Coroutine[Any, Any, None]: ...
    def __aenter__(self) -> Coroutine[Any, Any, Executor]: ...
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Coroutine[Any, Any, None]: ...
    @property
    def templates(self) -> Templates: ...
    @property
    def closed(self) -> bool: ...
    @property
    def workers(self) -> int: ...
    @property
    def queue_size(self) -> int: ...
    @property
    def storage_backend(self) -> str: ...
    @property
    def worker_id(self) -> str: ...

@final
class Profile:
    """A parsed InSpec profile (inspec.yml, controls/*.rb, libraries/*.rb).

    Parsing runs in Rust with the GIL released; properties convert to Python on access.
    ``to_dict()`` has the shape of InSpec's profile JSON (``inspec json``).
    """

    @staticmethod
    def load(path: str | PathLike[str]) -> Profile: ...
    @staticmethod
    def load_async(path: str | PathLike[str]) -> Coroutine[Any, Any, Profile]: ...
    @staticmethod
    def from_source(text: str, filename: str = "controls/inline.rb") -> Profile: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: int | None = None) -> str: ...
    def coverage(self) -> dict[str, Any]:
        """Static coverage of the native evaluator (no target needed): ``total``,
        ``supported``, ``percent``, per-control ``controls`` (``id``, ``file``, ``line``,
        ``supported``, ``blockers``) and ``blockers`` (``construct``, ``controls``,
        ``example``) most frequent first."""
    def __len__(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def controls(self) -> list[dict[str, Any]]: ...
    @property
    def inputs(self) -> list[dict[str, Any]]: ...
    @property
    def groups(self) -> list[dict[str, Any]]: ...
    @property
    def libraries(self) -> list[dict[str, Any]]: ...
    @property
    def variables(self) -> list[dict[str, Any]]: ...
    @property
    def includes(self) -> list[dict[str, Any]]: ...
    @property
    def warnings(self) -> list[dict[str, Any]]: ...
    @property
    def sha256(self) -> str: ...
