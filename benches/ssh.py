"""SSH benchmark (`make bench`): the cost of a 10-command check on real sshd hosts.

Hosts: tests/hosts/setup.sh (sshd in network namespaces; needs root), torn down after.
A "10-command check" is 10 commands (`true`) run one after another on every host (the
hosts in parallel), each round with a fresh executor (so connection set-up is included):
  mux       our command runner over ssh with ControlMaster/ControlPersist (one TCP
            connection per host, reused by the 10 commands)
  no-mux    the same without multiplexing (a new TCP connection + key exchange per command)
  ansible   ansible-playbook with an equivalent play (10 `command: true` tasks,
            gather_facts off) through our ansible runner, on the same hosts
Prints medians of --repeat rounds, per host (wall time / hosts is not used: the hosts run
in parallel, so "per host" is the wall time of the check, which each host experiences),
and ratios against `mux`.
`--quick`: one host, one round, ansible-playbook left out, for `make test` (a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = 10


async def command_check(hosts: list[str], key: str, known_hosts: str, multiplex: bool) -> float:
    from ansible_inspec_rs import Executor, Template

    t = Template("true", command=["true"], forks=len(hosts), connect_timeout=10)
    async with Executor(
        workers=1,
        ssh_host_key_checking="accept-new",
        ssh_known_hosts=known_hosts,
        ssh_identity_file=key,
        ssh_multiplex=multiplex,
    ) as ex:
        t0 = time.perf_counter()
        for _ in range(COMMANDS):
            job = await (await ex.submit(t, hosts))
            assert job.status == "successful", [r.stderr for r in job.results]
        return time.perf_counter() - t0


async def ansible_check(inventory: str, playbook: str, known_hosts: str, forks: int) -> float:
    from ansible_inspec_rs import Executor, Template

    t = Template("play", playbook=playbook, inventory=inventory, forks=forks, timeout=600)
    async with Executor(workers=1, ssh_host_key_checking="accept-new", ssh_known_hosts=known_hosts) as ex:
        t0 = time.perf_counter()
        job = await (await ex.submit(t))
        elapsed = time.perf_counter() - t0
        assert job.status == "successful", [(r.host, r.message, r.stderr[-500:]) for r in job.results]
        assert all(len(r.tasks) == COMMANDS for r in job.results)
        return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hosts", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run for `make test`)")
    args = p.parse_args()
    if args.quick:
        args.hosts, args.repeat = 1, 1
    if os.geteuid() != 0:
        print("ssh benchmark skipped: the test hosts need root (ip netns, sshd)")
        return
    state = Path(tempfile.mkdtemp(prefix="airs-sshbench-", dir="/tmp"))
    # A SIGTERM still tears the hosts down (via the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        out = subprocess.run(
            [str(REPO / "tests/hosts/setup.sh"), str(state), str(args.hosts)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        info = json.loads(out.strip().splitlines()[-1])
        up = [h for h in info["hosts"] if h["reachable"]]
        uris = [f"ssh://root@{h['address']}:{h['port']}" for h in up]
        inventory = state / "hosts.ini"
        lines = [f"{h['name']} ansible_host={h['address']} ansible_port={h['port']}" for h in up]
        lines += [
            "[all:vars]",
            "ansible_user=root",
            f"ansible_ssh_private_key_file={info['key']}",
            f"ansible_python_interpreter={sys.executable}",
        ]
        inventory.write_text("\n".join(lines) + "\n")
        playbook = state / "ten.yml"
        tasks = "".join(f"    - name: command {i}\n      command: 'true'\n" for i in range(COMMANDS))
        playbook.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")

        print(f"ssh benchmark: a {COMMANDS}-command check on {len(up)} sshd hosts ({info['mode']}),")
        print(f"{args.repeat} interleaved rounds, fresh executor per round, medians\n")
        runs: dict[str, list[float]] = {"mux": [], "no-mux": []} | ({} if args.quick else {"ansible": []})
        for r in range(args.repeat):
            runs["mux"].append(asyncio.run(command_check(uris, info["key"], info["known_hosts"], True)))
            runs["no-mux"].append(asyncio.run(command_check(uris, info["key"], info["known_hosts"], False)))
            if "ansible" in runs:
                runs["ansible"].append(
                    asyncio.run(ansible_check(str(inventory), str(playbook), info["known_hosts"], len(up)))
                )
            print(
                f"  round {r + 1}: " + "  ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()),
                flush=True,
            )
        med = {k: statistics.median(v) for k, v in runs.items()}
        print(f"\n{'variant':10s}{'check s':>10s}{'per command ms':>16s}{'÷ mux':>8s}")
        for k, v in med.items():
            print(f"{k:10s}{v:10.2f}{v / COMMANDS * 1000:16.1f}{v / med['mux']:7.2f}x")
    finally:
        subprocess.run([str(REPO / "tests/hosts/teardown.sh"), str(state)], check=False)


if __name__ == "__main__":
    main()
