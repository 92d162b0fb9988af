"""Status names as string enums, built from the core's schema (``schema.enum``). The native
objects report plain strings, which compare equal to these members
(``job.status == JobStatus.SUCCESSFUL``)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from ansible_inspec_rs.schema import enum

if TYPE_CHECKING:
    # What the type checker sees; at run time the members come from the core, and
    # tests/test_schema.py checks that the two agree.
    class JobStatus(StrEnum):
        PENDING = "pending"
        RUNNING = "running"
        SUCCESSFUL = "successful"
        FAILED = "failed"
        ERROR = "error"
        TIMEOUT = "timeout"
        CANCELED = "canceled"

        @property
        def finished(self) -> bool: ...

    class HostStatus(StrEnum):
        PASSED = "passed"
        FAILED = "failed"
        SKIPPED = "skipped"
        ERROR = "error"
        TIMEOUT = "timeout"
        CANCELED = "canceled"
        UNREACHABLE = "unreachable"

else:
    JobStatus = StrEnum("JobStatus", {s.upper(): s for s in enum("JobStatus")}, module=__name__)
    HostStatus = StrEnum("HostStatus", {s.upper(): s for s in enum("HostStatus")}, module=__name__)
    # Not finished: waiting for a worker or running (the core's JobStatus::is_terminal).
    JobStatus.finished = property(lambda self: self not in (JobStatus.PENDING, JobStatus.RUNNING))
