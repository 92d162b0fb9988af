"""Native evaluation benchmark (`make bench`): per-host time to run linux-baseline and
ssh-baseline with the native evaluator, against tools a user would otherwise reach for:

  native      our Executor, runner `native` (one multiplexed SSH connection per host)
  testinfra   pytest-testinfra running equivalent checks: one test per InSpec expectation,
              reading the same facts with testinfra's own modules (host.file, host.sysctl,
              host.package, host.run ...), generated from the parsed profile
  ansible     ansible-playbook running equivalent tasks: per expectation, a task reading the
              fact (stat, command, slurp) and an `assert`, generated the same way

Targets (issue 7): native >= 10x faster than testinfra and >= 20x faster than
ansible-playbook per host, on local:// and on SSH test hosts (tests/hosts/setup.sh: sshd in
network namespaces; needs root). And 100 SSH hosts' worth of work (an inventory of 100
aliases over the test hosts) stays under 200 MB RSS.

Per-host time is the wall time of a run against one host. Medians of --repeat rounds, the
variants interleaved so that machine noise hits them alike. Checks the generators cannot
translate are left out of both baselines (their counts are printed), which favours them.
`--quick`: ssh-baseline on local:// only, one round, no ansible-playbook and no SSH hosts
(benches/ssh.py covers those), for `make test` (a smoke run; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROFILES_DEFAULT = REPO.parent / "shared" / "profiles"
NAMES = ("linux-baseline", "ssh-baseline")
SSHD = "/etc/ssh/sshd_config"
SSH = "/etc/ssh/ssh_config"
RSS_TARGET_MB = 200.0
# The command linux-baseline's own `suid_check` library resource runs (its
# libraries/suid_check.rb): the baselines run the same search.
SUID_FIND = (
    "find / -type d \\( -path '/proc/*' -o -path '/var/lib/lxd/containers/*' \\) -prune -type f "
    "-o -perm -2000 -o -perm 4000 2>/dev/null | grep -v '^find:'"
)

# ---- what each expectation reads ----------------------------------------------------------


def expectations(profile: Path) -> Iterator[tuple[str, str, str | None]]:
    """(resource, argument, property) for every expectation the baselines can translate."""
    from ansible_inspec_rs import Profile

    def walk(describes: list[dict[str, Any]]) -> Iterator[tuple[str, str, str | None]]:
        for d in describes:
            s = d["subject"]
            res = s.get("resource")
            args = [a["value"] for a in s["args"] if a["literal"]]
            arg = str(args[0]) if args else None
            if res == "sshd_config":
                arg = SSHD
            elif res == "ssh_config":
                arg = SSH
            elif res == "login_defs":
                arg = "/etc/login.defs"
            elif res == "auditd_conf":
                arg = "/etc/audit/auditd.conf"
            elif res in ("passwd", "etc_group"):
                arg = "/etc/passwd" if res == "passwd" else "/etc/group"
            for e in d["expectations"]:
                prop = e["its"]["value"] if e.get("its") and e["its"].get("literal") else None
                if res in ("file", "directory", "kernel_parameter", "package", "bash", "command") and arg:
                    yield res, arg, prop
                elif res in ("sshd_config", "ssh_config", "login_defs", "auditd_conf", "passwd", "etc_group"):
                    yield "config", arg or "", str(prop) if prop else None
                elif res == "suid_check":
                    yield "command", SUID_FIND, None
            yield from walk(d["describes"])

    for control in Profile.load(profile).controls:
        yield from walk(control["describes"])


def testinfra_module(checks: list[tuple[str, str, str | None]]) -> str:
    lines = ["import re", ""]
    for i, (res, arg, prop) in enumerate(checks):
        a = json.dumps(arg)
        lines.append(f"def test_{i}(host):")
        if res in ("file", "directory"):
            lines.append(f"    f = host.file({a})")
            lines.append("    if f.exists:")
            lines.append("        assert (f.mode, f.user, f.group) is not None")
        elif res == "kernel_parameter":
            lines.append(f"    assert host.sysctl({a}) is not None")
        elif res == "package":
            lines.append(f"    assert host.package({a}).is_installed in (True, False)")
        elif res in ("bash", "command"):
            lines.append(f"    assert host.run({a}).rc is not None")
        else:  # a key of a config file
            key = json.dumps(prop or "")
            lines.append(f"    f = host.file({a})")
            lines.append("    text = f.content_string if f.exists else ''")
            lines.append(f"    assert re.search(r'^\\s*' + re.escape({key}), text, re.M | re.I) or True")
        lines.append("")
    return "\n".join(lines)


def ansible_playbook(checks: list[tuple[str, str, str | None]]) -> str:
    tasks: list[str] = []
    for i, (res, arg, _prop) in enumerate(checks):
        a = json.dumps(arg)
        if res in ("file", "directory"):
            read = f"stat:\n        path: {a}"
            cond = f"r{i}.stat is defined"
        elif res == "kernel_parameter":
            read = f"command: cat /proc/sys/{arg.replace('.', '/')}\n      failed_when: false"
            cond = f"r{i}.rc is defined"
        elif res == "package":
            read = f"command: dpkg-query -W -f=${{Status}} {arg}\n      failed_when: false"
            cond = f"r{i}.rc is defined"
        elif res in ("bash", "command"):
            read = f"shell: {json.dumps(arg)}\n      failed_when: false"
            cond = f"r{i}.rc is defined"
        else:
            read = f"slurp:\n        src: {a}\n      failed_when: false"
            cond = f"r{i} is defined"
        tasks.append(f"    - name: read {i}\n      {read}\n      register: r{i}\n")
        tasks.append(f"    - name: check {i}\n      assert:\n        that: [{json.dumps(cond)}]\n")
    return "- hosts: all\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


# ---- the three runners --------------------------------------------------------------------


async def native(profile: Path, host: str, ssh: dict[str, str] | None) -> tuple[float, float]:
    """(wall seconds, seconds spent in suid_check's filesystem-wide search)."""
    from ansible_inspec_rs import Executor, Template

    kwargs: dict[str, Any] = {}
    if ssh:
        kwargs = {
            "ssh_host_key_checking": "accept-new",
            "ssh_known_hosts": ssh["known_hosts"],
            "ssh_identity_file": ssh["key"],
        }
    async with Executor(workers=1, **kwargs) as ex:
        t0 = time.perf_counter()
        job = await (await ex.submit(Template("bench", profile=str(profile), timeout=600), [host]))
        elapsed = time.perf_counter() - t0
    (r,) = job.results
    assert r.status in ("passed", "failed", "skipped"), (r.status, r.message)
    assert r.controls, "no controls evaluated"
    suid = sum(
        x["run_time"] for c in r.controls for x in c["results"] if x["code_desc"].startswith("suid_check")
    )
    return elapsed, suid


def testinfra(module: Path, host: str, ssh_config: Path | None) -> float:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module), f"--hosts={host}"]
    if ssh_config:
        cmd.append(f"--ssh-config={ssh_config}")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=module.parent)
    elapsed = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise RuntimeError(f"testinfra failed to run: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return elapsed


def ansible(playbook: Path, inventory: Path) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1"},
    )
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed: {out.stdout[-3000:]}")
    return elapsed


# ---- memory: 100 hosts' worth ---------------------------------------------------------------


def rss_child(profile: str, inventory: str, known_hosts: str, hosts: int) -> None:
    """Runs in its own process: one job over `hosts` inventory aliases; prints peak RSS."""
    from ansible_inspec_rs import Executor, Template

    async def go() -> tuple[float, int]:
        async with Executor(workers=1, ssh_host_key_checking="accept-new", ssh_known_hosts=known_hosts) as ex:
            t = Template("rss", profile=profile, inventory=inventory, forks=20, timeout=1800)
            t0 = time.perf_counter()
            job = await (await ex.submit(t))
            elapsed = time.perf_counter() - t0
            done = sum(1 for r in job.results if r.controls)
            return elapsed, done

    elapsed, done = asyncio.run(go())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "hosts_evaluated": done, "hosts": hosts, "peak_rss_mb": peak_mb}))


# ---- main -----------------------------------------------------------------------------------


def setup_hosts(state: Path, count: int) -> dict[str, Any]:
    out = subprocess.run(
        [str(REPO / "tests/hosts/setup.sh"), str(state), str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return info


def write_inventory(path: Path, hosts: list[dict[str, Any]], key: str, aliases: int) -> None:
    lines = [
        f"a{i} ansible_host={hosts[i % len(hosts)]['address']} ansible_port={hosts[i % len(hosts)]['port']}"
        for i in range(aliases)
    ]
    lines += [
        "[all:vars]",
        "ansible_user=root",
        f"ansible_ssh_private_key_file={key}",
        f"ansible_python_interpreter={sys.executable}",
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--ansible-repeat",
        type=int,
        default=1,
        help="ansible-playbook rounds (default 1: a round takes minutes, far beyond the noise; 0 skips it)",
    )
    p.add_argument("--rss-hosts", type=int, default=100)
    p.add_argument("--rss-child", nargs=4, metavar=("PROFILE", "INVENTORY", "KNOWN_HOSTS", "HOSTS"))
    p.add_argument("--profiles", type=Path, default=PROFILES_DEFAULT, help="the real profiles")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run for `make test`)")
    args = p.parse_args()
    names = NAMES
    if args.quick:
        args.repeat, args.ansible_repeat, names = 1, 0, ("ssh-baseline",)
    if args.rss_child:
        profile, inventory, known_hosts, hosts = args.rss_child
        rss_child(profile, inventory, known_hosts, int(hosts))
        return
    if not args.profiles.is_dir():
        print(f"native benchmark skipped: {args.profiles} (the shared real profiles) is absent")
        return
    work = Path(tempfile.mkdtemp(prefix="airs-nativebench-", dir="/tmp"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info: dict[str, Any] | None = None
    try:
        targets: list[tuple[str, str, dict[str, str] | None]] = [("local", "local://", None)]
        if args.quick:
            print("(quick: SSH test hosts left out; local:// only)")
        elif os.geteuid() == 0:
            info = setup_hosts(work / "hosts", 3)
            up = [h for h in info["hosts"] if h["reachable"]]
            h = up[0]
            ssh = {"key": info["key"], "known_hosts": info["known_hosts"]}
            targets.append(("ssh", f"ssh://root@{h['address']}:{h['port']}", ssh))
            ssh_config = work / "ssh_config"
            ssh_config.write_text(
                f"Host *\n  User root\n  IdentityFile {info['key']}\n  StrictHostKeyChecking accept-new\n"
                f"  UserKnownHostsFile {info['known_hosts']}\n"
                "  ControlMaster auto\n  ControlPath /tmp/airs-nb-%C\n  ControlPersist 30\n"
            )
            inventory = work / "one.ini"
            write_inventory(inventory, [h], info["key"], 1)
        else:
            print("(not root: SSH test hosts skipped; local:// only)")
        local_inventory = work / "local.ini"
        local_inventory.write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        )

        rows = []
        for name in names:
            profile = args.profiles / name
            checks = list(expectations(profile))
            module = work / f"test_{name.replace('-', '_')}.py"
            module.write_text(testinfra_module(checks))
            without_suid = [c for c in checks if c[1] != SUID_FIND]
            module_ns = work / f"test_{name.replace('-', '_')}_nosuid.py"
            module_ns.write_text(testinfra_module(without_suid))
            playbook = work / f"{name}.yml"
            playbook.write_text(ansible_playbook(checks))
            for label, host, ssh in targets:
                kinds = ("native", "testinfra") + (("ansible",) if args.ansible_repeat else ())
                runs: dict[str, list[float]] = {k: [] for k in kinds}
                if len(without_suid) < len(checks):
                    runs |= {"native w/o suid": [], "testinfra w/o suid": []}
                ssh_cfg = ssh_config if ssh else None
                for i in range(args.repeat):
                    elapsed, suid = asyncio.run(native(profile, host, ssh))
                    runs["native"].append(elapsed)
                    runs["testinfra"].append(testinfra(module, host, ssh_cfg))
                    if "native w/o suid" in runs:
                        runs["native w/o suid"].append(elapsed - suid)
                        runs["testinfra w/o suid"].append(testinfra(module_ns, host, ssh_cfg))
                    if i < args.ansible_repeat:
                        runs["ansible"].append(ansible(playbook, inventory if ssh else local_inventory))
                med = {k: statistics.median(v) for k, v in runs.items()}
                rows.append((name, label, len(checks), med))
                print(
                    f"{name} on {label}: "
                    + "  ".join(f"{k} {v:.3f} s" for k, v in med.items())
                    + f"  ({len(checks)} equivalent checks in each baseline)",
                    flush=True,
                )

        header = ("profile", "target", "native s", "testinfra s", "÷", "ansible s", "÷")
        widths = (16, 7, 10, 13, 7, 11, 7)
        cells = zip(header, widths, strict=True)
        print("\n" + "".join(f"{h:>{w}s}" if i else f"{h:{w}s}" for i, (h, w) in enumerate(cells)))
        for name, label, _, med in rows:
            ti = med["testinfra"] / med["native"]
            an = med.get("ansible", float("nan")) / med["native"]
            print(
                f"{name:16s}{label:>7s}{med['native']:10.3f}{med['testinfra']:13.3f}{ti:6.1f}x"
                f"{med.get('ansible', float('nan')):11.3f}{an:6.1f}x  "
                f"(targets 10x / 20x: {'met' if ti >= 10 else 'MISSED'} / "
                f"{'not run' if 'ansible' not in med else 'met' if an >= 20 else 'MISSED'})"
            )
            if "native w/o suid" in med:
                ns = med["testinfra w/o suid"] / med["native w/o suid"]
                print(
                    f"{'':23s}{med['native w/o suid']:10.3f}{med['testinfra w/o suid']:13.3f}{ns:6.1f}x"
                    "  without os-06's `find /` (the same filesystem-wide search in every tool)"
                )

        if info is not None:
            up = [h for h in info["hosts"] if h["reachable"]]
            inv = work / "many.ini"
            write_inventory(inv, up, info["key"], args.rss_hosts)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--rss-child",
                    str(args.profiles / "linux-baseline"),
                    str(inv),
                    info["known_hosts"],
                    str(args.rss_hosts),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            m = json.loads(out.stdout.strip().splitlines()[-1])
            verdict = "met" if m["peak_rss_mb"] <= RSS_TARGET_MB else "MISSED"
            print(
                f"\n{m['hosts']} SSH hosts' worth of linux-baseline "
                f"(aliases over {len(up)} sshd hosts, forks 20): "
                f"{m['hosts_evaluated']} evaluated in {m['seconds']:.1f} s, "
                f"peak RSS {m['peak_rss_mb']:.0f} MB "
                f"(target <= {RSS_TARGET_MB:.0f} MB: {verdict})"
            )
    finally:
        if info is not None:
            subprocess.run([str(REPO / "tests/hosts/teardown.sh"), str(work / "hosts")], check=False)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
