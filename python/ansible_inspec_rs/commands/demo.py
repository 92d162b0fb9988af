"""`ansible-inspec-rs demo`: runs example templates against local:// and a few host names,
showing live progress from the job's events and a result table at the end."""

from __future__ import annotations

import argparse
import asyncio


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hosts",
        nargs="+",
        default=["localhost", "127.0.0.1", "web01.invalid", "db01.invalid"],
        help="host names for the name-resolution check (default: two that resolve, two that do not)",
    )
    parser.add_argument("--workers", type=int, default=8, help="jobs run at once (default 8)")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_demo(list(args.hosts), int(args.workers)))


async def _demo(hosts: list[str], workers: int) -> int:
    from rich.console import Console
    from rich.table import Table

    from ansible_inspec_rs import Executor, Template

    console = Console()
    templates = [
        Template(
            "local-baseline",
            description="passwd and shadow exist with safe modes, the kernel answers",
            command=["sh", "-c", "test -f /etc/passwd && test ! -w /etc/shadow -o $(id -u) = 0 && uname -sr"],
            timeout=30,
        ),
        Template(
            "dns-resolves",
            description="each host name resolves (argv only: the host is one argument)",
            command=["getent", "hosts", "{host}"],
            # A probe run from this machine for each name, not a command run on the host.
            connection="local",
            timeout=30,
            forks=4,
        ),
    ]
    runs = [("local-baseline", ["local://"]), ("dns-resolves", hosts)]
    console.print(
        "[bold]ansible-inspec-rs demo[/] - `connection: local` checks each host name from this machine"
    )
    async with Executor(workers=workers) as ex:
        for t in templates:
            await ex.templates.create(t)
            console.print(f"  template [cyan]{t.name}[/]: {t.description}")
        jobs = [await ex.submit(name, hosts=h) for name, h in runs]
        for job in jobs:
            console.print(f"\n[bold]job {job.id}[/] template={job.template_name} hosts={len(job.hosts)}")
            done = 0
            async for event in job.events():
                d = event.to_dict()
                if event.type == "host_finished":
                    done += 1
                    colour = "green" if d["status"] == "passed" else "red"
                    console.print(
                        f"  [{done}/{len(job.hosts)}] {event.host}: [{colour}]{d['status']}[/] "
                        f"(exit {d['exit_code']}, {d['duration'] * 1000:.1f} ms)"
                    )
                elif event.type == "host_output":
                    console.print(f"      {event.host} {d['stream']}: {d['line']}", style="dim")
                elif event.type == "finished":
                    console.print(f"  finished: [bold]{d['status']}[/]")
        table = Table(title="results")
        for col in ("template", "host", "status", "exit", "ms", "output"):
            table.add_column(col)
        for job in jobs:
            for r in (await job).results:
                colour = "green" if r.status == "passed" else "red"
                table.add_row(
                    job.template_name,
                    r.host,
                    f"[{colour}]{r.status}[/]",
                    str(r.exit_code),
                    f"{r.duration * 1000:.1f}",
                    (r.stdout or r.stderr).strip()[:60],
                )
        console.print(table)
        failed = sum(1 for j in jobs if j.status != "successful")
        console.print(f"{len(jobs) - failed} of {len(jobs)} jobs successful (failures above are expected:")
        console.print("the .invalid names cannot resolve). Library use: see README.md.")
    return 0
