"""`ansible-inspec-rs exec`: run one profile or playbook against an inventory or hosts,
in-process, and print what `inspec exec` prints (per host: the profile header, one line per
control or task, the failing checks' messages; then the summaries).

Exit codes, by default: 0 every host passed, 1 a check failed, 2 a host could not be checked
(unreachable, error, timeout) or the command could not run. With --inspec-exit-codes, InSpec's:
0 passed, 100 a check failed, 101 no failures but skips, 1 a host could not be checked or the
command could not run. Interrupted (Ctrl-C): 130."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ansible_inspec_rs.cli import INTERRUPTED
from ansible_inspec_rs.commands import policy, priority
from ansible_inspec_rs.status import HostStatus, JobStatus

if TYPE_CHECKING:
    from ansible_inspec_rs import Job

STDOUT = "-"
# The programs the inspec runner looks for (src/runner/inspec.rs PROGRAMS), checked up front.
INSPEC_PROGRAMS = ("inspec", "cinc-auditor")
# Host statuses of a host that was checked; any other (unreachable, error, timeout, canceled)
# means it was not, which outranks a failure in the exit code.
CHECKED = frozenset({HostStatus.PASSED, HostStatus.FAILED, HostStatus.SKIPPED})


class UsageError(Exception):
    """Something the user gave cannot work; said on stderr before any job runs."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ansible_inspec_rs import __version__

    parser.add_argument("--version", action="version", version=f"ansible-inspec-rs {__version__}")
    parser.add_argument(
        "what",
        metavar="PROFILE_OR_PLAYBOOK",
        help="an InSpec profile directory (evaluated natively; see --runner) "
        "or a playbook .yml (runs ansible-playbook)",
    )
    parser.add_argument("-i", "--inventory", help="Ansible inventory (INI or YAML)")
    parser.add_argument(
        "-t",
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="HOST",
        help="a host: local://, ssh://[user@]host[:port], a name, or fixture:///STATE_DIR "
        "(a recorded host state, native runner only) (repeatable)",
    )
    parser.add_argument("-l", "--limit", help="host pattern: group, host*, a:b, a:&b, a:!b")
    parser.add_argument("-f", "--forks", type=int, default=5, help="hosts checked at once (default 5)")
    parser.add_argument("--timeout", type=int, default=300, help="job timeout in seconds (default 300)")
    parser.add_argument("--retries", type=int, default=0, help="retries for unreachable hosts")
    parser.add_argument("--connect-timeout", type=int, default=10, help="SSH connect timeout (s)")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], help="key=value or JSON")
    parser.add_argument(
        "--input",
        dest="inputs",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=VALUE",
        help="InSpec inputs (values read as YAML scalars: 3 is a number, true a boolean)",
    )
    parser.add_argument(
        "--input-file",
        dest="input_files",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="YAML files of InSpec inputs (NAME: VALUE); later files and --input win",
    )
    parser.add_argument(
        "--controls",
        nargs="+",
        action="extend",
        default=[],
        metavar="CONTROL",
        help="run and report only these controls: ids, or /regex/ matched in the id (as inspec exec)",
    )
    parser.add_argument("--key", help="SSH private key for hosts without one (no passwords: keys only)")
    parser.add_argument(
        "--host-key-checking",
        choices=["yes", "accept-new", "no"],
        default="yes",
        help="ssh StrictHostKeyChecking (default yes)",
    )
    parser.add_argument("--known-hosts", help="ssh UserKnownHostsFile")
    parser.add_argument(
        "--runner",
        choices=["native", "inspec", "auto"],
        default="native",
        help="profiles: native (default, no Ruby or InSpec needed), inspec (the InSpec CLI), "
        "auto (native; controls it cannot run go to the InSpec CLI when installed)",
    )
    parser.add_argument("--check", action="store_true", help="ansible: --check (a dry run)")
    parser.add_argument(
        "--reporter",
        nargs="+",
        default=["cli"],
        metavar="REPORTER",
        help="cli, json, junit, html (standard output) or FORMAT:PATH (a file; PATH '-' is "
        "standard output); several at once; default cli",
    )
    parser.add_argument(
        "--no-color", action="store_true", help="no colours (also when NO_COLOR is set or stdout is a pipe)"
    )
    parser.add_argument(
        "--show-progress", action="store_true", help="one line per host as it finishes (on stderr)"
    )
    parser.add_argument(
        "--inspec-exit-codes",
        action="store_true",
        help="InSpec's exit codes: 0 passed, 100 failures, 101 skipped only, 1 errors "
        "(default: 0 passed, 1 failures, 2 errors)",
    )
    policy.add_arguments(parser)
    priority.add_arguments(parser)


def parse_extra_vars(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.lstrip().startswith("{"):
            try:
                value = json.loads(item)
            except json.JSONDecodeError as e:
                raise UsageError(f"--extra-vars {item[:80]!r}: not JSON: {e}") from None
            if not isinstance(value, dict):
                raise UsageError(f"--extra-vars {item!r}: JSON must be an object")
            out.update(value)
        elif "=" in item:
            key, value_text = item.split("=", 1)
            out[key] = value_text
        else:
            raise UsageError(f"--extra-vars {item!r}: expected key=value or a JSON object")
    return out


def parse_inputs(files: list[str], items: list[str]) -> dict[str, Any]:
    """InSpec inputs, as `inspec exec --input-file F --input k=v` reads them."""
    import yaml

    from ansible_inspec_rs import _core, errors

    out: dict[str, Any] = {}
    for name in files:
        try:
            # The core's rule for files users name: regular files only, bounded by the bytes read.
            data = yaml.safe_load(_core.read_user_file(name, field="--input-file").decode("utf-8"))
        except errors.ValidationError as e:
            raise UsageError(f"--input-file {e.rule}") from None
        except UnicodeDecodeError as e:
            raise UsageError(f"--input-file {name}: not UTF-8 text ({e.reason} at byte {e.start})") from None
        except yaml.YAMLError as e:
            raise UsageError(f"--input-file {name}: not YAML: {e}") from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise UsageError(f"--input-file {name}: expected a mapping of input names to values")
        if bad := [k for k in data if not isinstance(k, str)]:
            raise UsageError(f"--input-file {name}: input names must be text, not {bad[0]!r}")
        out.update(data)
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--input {item!r}: expected NAME=VALUE")
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            value = text
        out[key] = value if isinstance(value, str | int | float | bool) else text
    return out


@dataclass
class Reporter:
    format: str
    path: str  # STDOUT or a file


def parse_reporters(items: list[str]) -> list[Reporter]:
    from ansible_inspec_rs import Job

    out = []
    for item in items:
        fmt, _, path = item.partition(":")
        if fmt not in Job.REPORT_FORMATS:
            raise UsageError(
                f"--reporter {item!r}: the format must be one of {', '.join(Job.REPORT_FORMATS)}"
            )
        out.append(Reporter(fmt, path or STDOUT))
    if sum(r.path == STDOUT for r in out) > 1:
        raise UsageError("--reporter: only one report can go to standard output")
    return out


def check_report_path(path: str) -> None:
    """An unwritable report path is found before the job runs, not after it."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise UsageError(f"--reporter: {path} is a folder")
    if not parent.is_dir():
        raise UsageError(f"--reporter: cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"--reporter: cannot write {path}: permission denied")


def is_remote(profile: str) -> bool:
    return "://" in profile


def check_what(what: Path, kind: str, runner: str) -> None:
    if not what.exists() and not is_remote(str(what)):
        raise UsageError(f"{kind} {what} not found")
    if kind == "profile" and runner == "inspec" and not any(shutil.which(p) for p in INSPEC_PROGRAMS):
        raise UsageError(
            "--runner inspec: InSpec is not installed (neither `inspec` nor `cinc-auditor` is on PATH); "
            "use --runner native, or install Chef InSpec or CINC Auditor"
        )


def use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.no_color or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def exit_code(job: Job, inspec_codes: bool) -> int:
    """The process's exit code for a finished job (see the module docstring)."""
    statuses = {HostStatus(r.status) for r in job.results}
    ran = job.status in (JobStatus.SUCCESSFUL, JobStatus.FAILED)
    unchecked = bool(statuses - CHECKED) or not ran or not statuses
    failed = job.status == JobStatus.FAILED or HostStatus.FAILED in statuses
    if inspec_codes:
        if unchecked:
            return 1
        if failed:
            return 100
        return 101 if HostStatus.SKIPPED in statuses or _any_skipped_control(job) else 0
    if unchecked:
        return 2
    return 1 if failed else 0


def _any_skipped_control(job: Job) -> bool:
    return any(c.get("status") == "skipped" for r in job.results for c in r.controls)


def _fail(message: str) -> None:
    print(f"ansible-inspec-rs exec: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    usage_code = 1 if args.inspec_exit_codes else 2
    what = Path(args.what)
    kind = "playbook" if what.suffix in (".yml", ".yaml") and not what.is_dir() else "profile"
    try:
        extra_vars = parse_extra_vars(list(args.extra_vars))
        extra_vars.update(parse_inputs(list(args.input_files), list(args.inputs)))
        reporters = parse_reporters(list(args.reporter))
        if not args.inventory and not args.targets:
            raise UsageError("give an inventory (-i) or hosts (-t)")
        check_what(what, kind, args.runner)
        for r in reporters:
            if r.path != STDOUT:
                check_report_path(r.path)
    except (UsageError, json.JSONDecodeError) as e:
        _fail(str(e))
        return usage_code
    try:
        job = asyncio.run(_exec(args, what, kind, extra_vars))
    except KeyboardInterrupt:
        _fail("interrupted; the job was canceled")
        return INTERRUPTED
    if job is None:
        return usage_code
    for r in reporters:
        if r.path == STDOUT:
            sys.stdout.write(job.report(r.format, color=use_color(args, sys.stdout)))
            sys.stdout.flush()
            continue
        try:
            Path(r.path).write_text(job.report(r.format), encoding="utf-8")
        except OSError as e:
            _fail(f"cannot write {r.path}: {e.strerror or e}")
            return usage_code
    if job.error:
        _fail(job.error)
    return exit_code(job, args.inspec_exit_codes)


async def _exec(args: argparse.Namespace, what: Path, kind: str, extra_vars: dict[str, Any]) -> Job | None:
    from ansible_inspec_rs import Executor, Template, errors

    try:
        template = Template(
            _template_name(what),
            profile=str(what) if kind == "profile" else None,
            playbook=str(what) if kind == "playbook" else None,
            inventory=args.inventory,
            limit=args.limit,
            controls=list(args.controls) or None,
            forks=args.forks,
            timeout=args.timeout,
            retries=args.retries,
            connect_timeout=args.connect_timeout,
            runner=args.runner if kind == "profile" else None,
            extra_vars=extra_vars,
            job_type="check" if args.check else None,
        )
        executor = Executor(
            workers=1,
            ssh_host_key_checking=args.host_key_checking,
            ssh_known_hosts=args.known_hosts,
            ssh_identity_file=args.key,
            **policy.executor_kwargs(args),
            **priority.executor_kwargs(args),
        )
    except errors.AnsibleInspecError as e:
        _fail(str(e))
        return None
    async with executor as ex:
        try:
            job = await ex.submit(template, list(args.targets))
        except errors.AnsibleInspecError as e:
            _fail(str(e))
            return None
        try:
            if args.show_progress:
                await _progress(job, kind, what)
            await job
        except asyncio.CancelledError:  # Ctrl-C: stop the job's processes before leaving
            await job.cancel()
            raise
    return job


def _template_name(what: Path) -> str:
    """The profile's or playbook's name (the report's heading for hosts without a profile
    header), or "exec" when the core's name rule refuses it."""
    from ansible_inspec_rs import Template, errors

    name = what.stem if what.suffix in (".yml", ".yaml") else what.name
    try:
        Template(name, command=["true"])
    except errors.ValidationError:
        return "exec"
    return name


async def _progress(job: Job, kind: str, what: Path) -> None:
    """InSpec's --show-progress, per host: `[done/total] host status` on stderr."""
    total, done = len(job.hosts), 0
    print(f"{kind} {what.name}: {total} host(s)", file=sys.stderr, flush=True)
    async for event in job.events():
        if event.type == "host_finished":
            done += 1
            body = event.to_dict()
            print(f"[{done}/{total}] {body.get('host')} {body.get('status')}", file=sys.stderr, flush=True)
