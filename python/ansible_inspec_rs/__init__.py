"""ansible-inspec-rs: compliance jobs executed in Rust on tokio, awaited from Python.

async with Executor(workers=8) as ex:
    await ex.templates.create(Template("uptime", command=["uptime"]))
    job = await ex.submit("uptime", hosts=["local://"])
    report = await job
"""

from ansible_inspec_rs import errors
from ansible_inspec_rs._core import (
    Event,
    EventStream,
    Executor,
    HostResult,
    Job,
    Profile,
    Template,
    Templates,
    __version__,
)
from ansible_inspec_rs.status import HostStatus, JobStatus

__all__ = [
    "Event",
    "EventStream",
    "Executor",
    "HostResult",
    "HostStatus",
    "Job",
    "JobStatus",
    "Profile",
    "Template",
    "Templates",
    "__version__",
    "errors",
]
