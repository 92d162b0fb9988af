"""`ansible-inspec-rs exec`: run one profile or playbook against an inventory or hosts,
in-process, with live progress and a summary. Exit code: 0 all passed, 1 failures, 2 errors."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ansible_inspec_rs import Job

REPORT_FORMATS = ("json", "junit", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
        help="cli, json:PATH, junit:PATH, html:PATH (PATH '-' is stdout); default cli",
    )


def parse_extra_vars(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.lstrip().startswith("{"):
            value = json.loads(item)
            if not isinstance(value, dict):
                raise ValueError(f"--extra-vars {item!r}: JSON must be an object")
            out.update(value)
        elif "=" in item:
            key, value_text = item.split("=", 1)
            out[key] = value_text
        else:
            raise ValueError(f"--extra-vars {item!r}: expected key=value or a JSON object")
    return out


def parse_reporters(items: list[str]) -> tuple[bool, list[tuple[str, str]]]:
    cli = False
    files: list[tuple[str, str]] = []
    for item in items:
        if item == "cli":
            cli = True
            continue
        fmt, _, path = item.partition(":")
        if fmt not in REPORT_FORMATS or not path:
            raise ValueError(f"--reporter {item!r}: expected cli or one of json|junit|html:PATH")
        files.append((fmt, path))
    return cli, files


def run(args: argparse.Namespace) -> int:
    try:
        extra_vars = parse_extra_vars(list(args.extra_vars))
        cli, files = parse_reporters(list(args.reporter))
    except (ValueError, json.JSONDecodeError) as e:
        print(f"ansible-inspec-rs exec: {e}", file=sys.stderr)
        return 2
    if not args.inventory and not args.targets:
        print("ansible-inspec-rs exec: give an inventory (-i) or hosts (-t)", file=sys.stderr)
        return 2
    what = Path(args.what)
    kind = "playbook" if what.suffix in (".yml", ".yaml") and not what.is_dir() else "profile"
    # Reports written to stdout keep it clean: the progress and the table go to stderr then.
    to_stdout = any(path == "-" for _, path in files)
    job = asyncio.run(_exec(args, what, kind, extra_vars, cli, to_stdout))
    if job is None:
        return 2
    for fmt, path in files:
        text = job.report(fmt)
        if path == "-":
            sys.stdout.write(text)
        else:
            Path(path).write_text(text)
    return {"successful": 0, "failed": 1}.get(job.status, 2)


async def _exec(
    args: argparse.Namespace,
    what: Path,
    kind: str,
    extra_vars: dict[str, Any],
    cli: bool,
    to_stdout: bool,
) -> Job | None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ansible_inspec_rs import Executor, Template, errors

    console = Console(stderr=to_stdout)
    try:
        template = Template(
            "exec",
            profile=str(what) if kind == "profile" else None,
            playbook=str(what) if kind == "playbook" else None,
            inventory=args.inventory,
            limit=args.limit,
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
        )
    except errors.AnsibleInspecError as e:
        console.print(f"[red]error:[/] {e}")
        return None
    async with executor as ex:
        try:
            job = await ex.submit(template, list(args.targets))
        except errors.AnsibleInspecError as e:
            console.print(f"[red]error:[/] {e}")
            return None
        failures = 0
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failures]} failing"),
            TimeElapsedColumn(),
            console=console,
            transient=not cli,
        ) as progress:
            bar = progress.add_task(f"{kind} {what.name}", total=len(job.hosts), failures=0)
            async for event in job.events():
                if event.type == "host_finished":
                    if event.to_dict()["status"] not in ("passed", "skipped"):
                        failures += 1
                    progress.update(bar, advance=1, failures=failures)
        await job
    if cli:
        table = Table(title=f"{kind} {what.name}: {job.status}")
        for col in ("host", "status", "checks passed", "checks failed", "attempts", "s", "message"):
            table.add_column(col)
        colours = {"passed": "green", "failed": "red", "skipped": "dim"}
        for r in job.results:
            checks = r.controls or r.tasks
            ok = sum(1 for c in checks if c["status"] in ("passed", "ok", "changed"))
            bad = sum(1 for c in checks if c["status"] in ("failed", "unreachable"))
            colour = colours.get(r.status, "yellow")
            table.add_row(
                r.host,
                f"[{colour}]{r.status}[/]",
                str(ok),
                str(bad),
                str(r.attempts),
                f"{r.duration:.1f}",
                (r.message or "")[:80],
            )
        console.print(table)
        if job.error:
            console.print(f"[yellow]{job.error}[/]")
    return job
