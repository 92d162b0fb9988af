"""The exception hierarchy. Every error the native core raises is one of these.

The Rust binding layer (src/python/errors.rs) maps every core error to one of these, declared
there with ``import_exception!`` (a rename here must be mirrored there; its unit test and
tests/test_errors.py check every mapping).
"""

from __future__ import annotations


class AnsibleInspecError(Exception):
    """Base class of every error raised by ansible_inspec_rs."""


class ValidationError(AnsibleInspecError, ValueError):
    """Input broke a rule. ``field`` names the input field, ``rule`` says what it must be."""

    def __init__(self, message: str, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class PathNotAllowed(ValidationError):
    """A template path resolves outside the executor's allowed roots (``field`` names which)."""


class InventoryError(ValidationError):
    """The template's inventory (the file, its ``group_vars/``/``host_vars/``) or a host pattern
    over it cannot be used: ``field`` is ``inventory``, ``target`` or ``limit``."""


class NotFoundError(AnsibleInspecError, LookupError):
    """Something looked up by name or id does not exist."""


class TemplateNotFound(NotFoundError):
    pass


class JobNotFound(NotFoundError):
    pass


class ConflictError(AnsibleInspecError):
    """The request conflicts with the current state."""


class TemplateExists(ConflictError):
    pass


class JobNotFinished(ConflictError):
    """The operation needs a finished job (for example deleting it)."""


class QueueFull(AnsibleInspecError):
    """The executor's queue holds ``queue_size`` pending jobs; retry later."""


class ExecutorClosed(AnsibleInspecError):
    """The executor was shut down and takes no more work."""


class WaitTimeout(AnsibleInspecError, TimeoutError):
    """``job.wait(timeout=...)`` gave up waiting. The job itself keeps running."""


class ProfileError(AnsibleInspecError):
    """An InSpec profile could not be loaded (not a profile, unreadable, bad inspec.yml)."""

    def __init__(self, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


class ProfileParseError(ProfileError):
    """A profile file has a syntax error at ``file``:``line``:``column``."""

    def __init__(
        self, message: str, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message, file)
        self.line = line
        self.column = column


class StoreError(AnsibleInspecError):
    """The store (SQLite file, PostgreSQL server) could not be read or written."""


class InternalError(AnsibleInspecError):
    """A bug in ansible_inspec_rs (for example a Rust panic); the executor keeps serving."""


__all__ = [
    "AnsibleInspecError",
    "ConflictError",
    "ExecutorClosed",
    "InternalError",
    "JobNotFinished",
    "JobNotFound",
    "NotFoundError",
    "ProfileError",
    "ProfileParseError",
    "QueueFull",
    "StoreError",
    "TemplateExists",
    "TemplateNotFound",
    "ValidationError",
    "WaitTimeout",
]
