"""The core's policy, the same through the Python API, the CLI and REST (issue 18, items 3, 4,
5, 7, 1 and 12; issue 17's path roots): allowed roots, bounded reads of user-named files,
Supermarket references, command/local switches, caller-set Ansible variables, name rules."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ansible_inspec_rs import Executor, Profile, Template, errors
from helpers import LiveServer, bearer, start_server, unique

SECRET = "AKIAIOSFODNN7EXAMPLE"
TOKEN = "policy-test-token"

PROFILE_YML = "name: p\nversion: 1.0.0\n"
PROFILE_RB = """control 'c1' do
  describe file('/') do
    it { should exist }
  end
end
"""


def make_profile(path: Path) -> Path:
    (path / "controls").mkdir(parents=True)
    (path / "inspec.yml").write_text(PROFILE_YML)
    (path / "controls" / "c.rb").write_text(PROFILE_RB)
    return path


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- item 3: bounded reads, no content in errors, no requeue -------------------------------


@pytest.mark.parametrize("kind", ["device", "fifo"])
async def test_inventory_device_or_fifo_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    if kind == "fifo":
        inventory = tmp_path / "inv.ini"
        os.mkfifo(inventory)  # no writer: a blocking open would hang for ever
    else:
        inventory = Path("/dev/zero")  # a read without a byte bound grows without end
    before = peak_rss_mib()
    t0 = time.monotonic()
    async with Executor(workers=1) as ex:
        template = Template(unique(), command=["true"], inventory=str(inventory))
        with pytest.raises(errors.ValidationError) as ei:
            await ex.submit(template)  # no hosts: the inventory selects them
        assert ei.value.field == "inventory"
        assert ("FIFO" if kind == "fifo" else "device") in str(ei.value)
        # Given hosts, the inventory is read when the job runs: it ends `error`, quickly.
        job = await ex.submit(template, ["h1"])
        report = await job.wait(timeout=10)
        assert report.status == "error" and "not a regular file" in (report.error or "")
    assert time.monotonic() - t0 < 10
    assert peak_rss_mib() - before < 200


async def test_a_job_failing_on_its_input_ends_error_and_stays_so_after_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'jobs.db'}"
    async with Executor(workers=1, store=store) as ex:
        template = Template(unique(), command=["true"], inventory="/dev/zero")
        job = await ex.submit(template, ["h1"])
        assert (await job.wait(timeout=10)).status == "error"
        job_id = job.id
    async with Executor(workers=1, store=store) as ex:
        again = await ex.get(job_id)
        assert again.status == "error" and "not a regular file" in (again.error or "")


async def test_inventory_errors_name_the_line_never_the_content(tmp_path: Path) -> None:
    cases = {
        "hosts.ini": f"[web]\nweb1 ansible_user=x\nweb2 {SECRET}\n",
        "vars.ini": f"[web]\nweb1\n[web:vars]\n{SECRET}\n",
        "range.ini": f"[web]\n{SECRET}[1:x]\n",
        "section.ini": f"[web:{SECRET}]\n",
    }
    async with Executor(workers=1) as ex:
        for name, text in cases.items():
            path = tmp_path / name
            path.write_text(text)
            with pytest.raises(errors.ValidationError) as ei:
                await ex.submit(Template(unique(), command=["true"], inventory=str(path)))
            message = str(ei.value)
            assert ei.value.field == "inventory" and "line " in message, message
            assert "AKIA" not in message, message


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_profile_files_are_bounded_and_regular(special: str, tmp_path: Path) -> None:
    profile = make_profile(tmp_path / "p")
    if special == "fifo":
        os.mkfifo(profile / "controls" / "z.rb")
        culprit = "controls/z.rb"
    else:
        (profile / "inspec.yml").unlink()
        (profile / "inspec.yml").symlink_to("/dev/zero")
        culprit = "inspec.yml"
    t0 = time.monotonic()
    with pytest.raises(errors.ProfileError) as ei:
        Profile.load(str(profile))
    assert culprit in str(ei.value) and "not a regular file" in str(ei.value)
    assert time.monotonic() - t0 < 5


# --- path roots: Python API, CLI, REST ------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    make_profile(root / "profiles" / "p")
    (root / "escape").symlink_to("/etc")
    (root / "hosts.ini").write_text("h1\n")
    return root


async def test_python_api_refuses_paths_outside_the_roots(root: Path, tmp_path: Path) -> None:
    outside_profile = make_profile(tmp_path / "outside")
    roots = [root]
    async with Executor(workers=1, profile_roots=roots, playbook_roots=roots, inventory_roots=roots) as ex:
        for fields in [
            {"profile": str(outside_profile)},
            {"profile": f"{root}/../outside"},
            {"profile": f"{root}/escape"},
            {"playbook": "/etc/passwd"},
            {"playbook": f"{root}/escape/passwd"},
            {"command": ["true"], "inventory": "/dev/zero"},
            {"command": ["true"], "inventory": f"{root}/escape/hosts"},
        ]:
            with pytest.raises(errors.PathNotAllowed) as ei:
                await ex.templates.create({"name": unique(), **fields})
            assert ei.value.field == next(k for k in fields if k != "command"), fields
            # An ad-hoc template is held to the same roots at submit.
            with pytest.raises(errors.PathNotAllowed):
                await ex.submit(Template(unique(), **fields), ["h1"])  # type: ignore[arg-type]
        ok = await ex.templates.create({"name": unique(), "profile": f"{root}/profiles/p"})
        job = await ex.submit(ok.name, ["local://"])
        assert (await job.wait(timeout=30)).status == "successful"
        # The inventory inside the roots selects hosts.
        inv = await ex.templates.create(
            {"name": unique(), "command": ["true"], "connection": "local", "inventory": f"{root}/hosts.ini"}
        )
        assert (await (await ex.submit(inv.name)).wait(timeout=30)).status == "successful"
    # Unrestricted by default (the Python API runs as its caller).
    async with Executor(workers=1) as ex:
        await ex.templates.create({"name": unique(), "profile": str(outside_profile)})


def test_cli_refuses_paths_outside_the_roots(root: Path, tmp_path: Path) -> None:
    outside = make_profile(tmp_path / "outside")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ansible_inspec_rs", "exec", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, COLUMNS="200"),
        )

    for args in [
        (str(outside), "-t", "local://"),
        (f"{root}/profiles/p", "-i", "/dev/zero"),
        (f"{root}/escape", "-t", "local://"),
    ]:
        out = run(*args, "--root", str(root))
        assert out.returncode == 2, out
        assert "outside the allowed" in out.stdout + out.stderr, out
    out = run(f"{root}/profiles/p", "-t", "local://", "--root", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    out = run(f"{root}/profiles/p", "-t", "local://", "--root", str(root), "--no-local")
    assert out.returncode == 2 and "allow_local" in out.stdout + out.stderr, out


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A server with a credential and the default policy: no commands, no local checks."""
    base = tmp_path_factory.mktemp("locked")
    root = base / "root"
    make_profile(root / "profiles" / "p")
    (root / "hosts.ini").write_text("h1\n")
    live = start_server(
        base, api_tokens=TOKEN, workers="1", profile_roots=str(root), playbook_roots=str(root)
    )
    yield live, root
    live.stop()


@pytest.fixture
def locked(locked_server: tuple[LiveServer, Path]) -> Iterator[tuple[httpx.Client, Path]]:
    live, root = locked_server
    with httpx.Client(base_url=live.url, headers=bearer(TOKEN), timeout=15) as client:
        yield client, root


def body_field(r: httpx.Response) -> Any:
    return r.json()["detail"][0]["loc"][-1]


def test_rest_roots_commands_and_local(locked: tuple[httpx.Client, Path]) -> None:
    client, root = locked
    profile = f"{root}/profiles/p"
    for fields, field in [
        ({"profile": profile, "inventory": "/dev/zero"}, "inventory"),
        ({"profile": profile, "inventory": "/etc/hosts"}, "inventory"),
        ({"profile": "/etc"}, "profile"),
    ]:
        r = client.post("/api/v1/templates", json={"name": unique(), **fields})
        assert r.status_code == 400 and body_field(r) == field, r.text
    # A server with credentials refuses what runs as its own user unless enabled.
    for fields, field in [
        ({"command": ["id"]}, "command"),
        ({"profile": profile, "connection": "local"}, "connection"),
        ({"profile": profile, "target": "local://"}, "target"),
    ]:
        r = client.post("/api/v1/job-templates", json={"name": unique(), **fields})
        assert r.status_code == 422 and body_field(r) == field, r.text
    name = unique()
    r = client.post(
        "/api/v1/templates", json={"name": name, "profile": profile, "inventory": f"{root}/hosts.ini"}
    )
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/jobs", json={"template_name": name, "hosts": ["local://"]})
    assert r.status_code == 422 and "allow_local" in r.text, r.text
    for bad in [".", "..", "-rf"]:
        r = client.post("/api/v1/templates", json={"name": bad, "profile": profile})
        assert r.status_code == 422 and body_field(r) == "name", r.text
    # Supermarket on, then off: the local path is held to the roots again.
    r = client.post(
        "/api/v1/job-templates", json={"name": unique(), "profile": "dev-sec/ssh", "supermarket": True}
    )
    assert r.status_code == 201, r.text
    r = client.put(f"/api/v1/job-templates/{r.json()['id']}", json={"supermarket": False})
    assert r.status_code == 400 and body_field(r) == "profile", r.text


# --- item 4: Supermarket references are never local paths -----------------------------------


async def test_supermarket_toggle_cannot_read_local_paths(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A local directory spelled like a Supermarket reference, outside the roots.
    monkeypatch.chdir(tmp_path)
    make_profile(tmp_path / "dev-sec" / "linux-baseline")
    roots = [root]
    async with Executor(workers=1, profile_roots=roots) as ex:
        with pytest.raises(errors.ValidationError) as ei:
            await ex.templates.create({"name": unique(), "profile": "/etc", "supermarket": True})
        assert ei.value.field == "profile"
        t = await ex.templates.create(
            {"name": unique(), "profile": "dev-sec/linux-baseline", "supermarket": True}
        )
        job = await ex.submit(t.name, ["local://"])
        report = await job.wait(timeout=30)
        assert report.status == "error" and "Supermarket" in (report.error or ""), report.error
        assert all(not r.controls for r in report.results)
        # Switched to a local path, the roots apply again.
        with pytest.raises(errors.PathNotAllowed):
            await ex.templates.update(t.name, {"supermarket": False})
        with pytest.raises(errors.PathNotAllowed):
            await ex.templates.update(t.name, {"profile": str(tmp_path / "dev-sec"), "supermarket": False})


# --- item 5: command templates and local connections ----------------------------------------


async def test_command_templates_and_local_checks_refused_under_the_policy(root: Path) -> None:
    async with Executor(workers=1, allow_commands=False, allow_local=False) as ex:
        with pytest.raises(errors.ValidationError) as ei:
            await ex.templates.create({"name": unique(), "command": ["id"]})
        assert ei.value.field == "command"
        with pytest.raises(errors.ValidationError) as ei:
            await ex.submit(Template(unique(), command=["id"]), ["h1"])
        assert ei.value.field == "command"
        profile = f"{root}/profiles/p"
        with pytest.raises(errors.ValidationError) as ei:
            await ex.templates.create({"name": unique(), "profile": profile, "connection": "local"})
        assert ei.value.field == "connection"
        t = await ex.templates.create({"name": unique(), "profile": profile})
        with pytest.raises(errors.ValidationError) as ei:
            await ex.submit(t.name, ["local://"])
        assert ei.value.field == "hosts"
        with pytest.raises(errors.ValidationError) as ei:
            await ex.templates.update(t.name, {"extra_vars": {"ansible_connection": "local"}})
        assert ei.value.field == "extra_vars"
        # An inventory that makes a host local: the host is refused when the job runs.
        inv = root / "local.ini"
        inv.write_text("h1 ansible_connection=local\n")
        t = await ex.templates.create({"name": unique(), "profile": profile, "inventory": str(inv)})
        report = await (await ex.submit(t.name)).wait(timeout=30)
        assert report.results[0].status == "error" and "allow_local" in (report.results[0].message or "")


# --- item 7: caller-set Ansible variables, with a real ansible-playbook ---------------------

PLAYBOOK = """- hosts: all
  gather_facts: false
  tasks:
    - name: write
      ansible.builtin.copy:
        content: "{{ greeting }}"
        dest: "{{ out }}"
"""


async def test_ansible_vars_from_callers_never_reach_ansible(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "out.txt"
    plain = {"greeting": "hello", "out": str(out)}
    hostile = {**plain, "ansible_python_interpreter": "/nonexistent/python"}
    async with Executor(workers=1) as ex:
        t = await ex.templates.create({"name": unique(), "playbook": str(playbook)})
        report = await (await ex.submit(t.name, ["local://"], plain)).wait(timeout=120)
        assert report.status == "successful", report.results[0].to_dict()
        assert out.read_text() == "hello"
        out.unlink()
        jobs_before = await ex.count()
        for key in ["ansible_python_interpreter", "ansible_ssh_common_args", "ansible_become_exe"]:
            with pytest.raises(errors.ValidationError) as ei:
                await ex.submit(t.name, ["local://"], {**plain, key: "x"})
            assert ei.value.field == "extra_vars" and key in str(ei.value)
        assert await ex.count() == jobs_before  # refused: no job, ansible never ran
        assert not out.exists()
        # The same key, allowed by the template, does reach ansible (and breaks the run):
        # what the refusal protects against.
        allowing = await ex.templates.create(
            {
                "name": unique(),
                "playbook": str(playbook),
                "allow_ansible_vars": ["ansible_python_interpreter"],
            }
        )
        report = await (await ex.submit(allowing.name, ["local://"], hostile)).wait(timeout=120)
        assert report.status != "successful" and not out.exists()
        assert "/nonexistent/python" in json.dumps(report.results[0].to_dict())


# --- items 1 and 12: extra_vars bounds, names -----------------------------------------------


async def test_extra_vars_are_bounded_and_names_safe() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    async with Executor(workers=1) as ex:
        t = await ex.templates.create({"name": unique(), "command": ["true"], "connection": "local"})
        for vars_ in [{"k": deep}, {"k": "x" * 300_000}]:
            with pytest.raises(errors.ValidationError) as ei:
                await ex.submit(t.name, ["h1"], vars_)
            assert ei.value.field == "extra_vars"
        for name in [".", "..", "-rf", "_x", ".hidden"]:
            with pytest.raises(errors.ValidationError) as ei:
                Template(name, command=["true"])
            assert ei.value.field == "name"


# --- fixture:// hosts: a recorded state is a directory of this machine ---------------------


def make_state(path: Path) -> str:
    """A minimal recorded host state (tests/fixtures/hosts shows full ones); its host string."""
    (path / "root" / "etc").mkdir(parents=True)
    (path / "root" / "etc" / "hostname").write_text("recorded\n")
    (path / "host.yml").write_text("description: a test state\n")
    return f"fixture://{path}"


def test_fixture_hosts_are_held_to_the_roots(locked: tuple[httpx.Client, Path], tmp_path: Path) -> None:
    client, root = locked
    name = unique()
    r = client.post("/api/v1/templates", json={"name": name, "profile": f"{root}/profiles/p"})
    assert r.status_code == 201, r.text
    # /proc/self/root is this machine's whole file system; / holds /root; a valid state
    # outside the roots is still outside.
    outside = make_state(tmp_path / "state")
    for host in ["fixture:///proc/self", "fixture:///", "fixture://../../..", outside]:
        r = client.post("/api/v1/jobs", json={"template_name": name, "hosts": [host]})
        assert r.status_code == 400 and body_field(r) == "hosts", (host, r.text)
        assert "outside the allowed" in r.text, r.text
    inside = make_state(root / "states" / unique())
    r = client.post("/api/v1/jobs", json={"template_name": name, "hosts": [inside]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 30
    while (job := client.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "successful", job
    assert [c["id"] for c in job["results"][0]["controls"]] == ["c1"]


async def test_fixture_hosts_through_the_python_api(root: Path, tmp_path: Path) -> None:
    outside = make_state(tmp_path / "state")
    async with Executor(workers=1, inventory_roots=[root]) as ex:
        template = Template(unique(), profile=str(make_profile(tmp_path / "p")))
        with pytest.raises(errors.PathNotAllowed) as ei:
            await ex.submit(template, [outside])
        assert ei.value.field == "hosts"
    async with Executor(workers=1) as ex:  # no roots: any path, as for profiles
        report = await (await ex.submit(template, [outside]))
        assert report.status == "successful", report.error
