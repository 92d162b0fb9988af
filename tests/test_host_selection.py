"""One host selection for every face: the same template with an inventory, run through the Python
API, the REST server and the CLI, selects the same hosts and gives the same results (the core's
``inventory::select_hosts``; issue 17). The template also names ``controls`` (issue 16), so the
three faces agree on which controls run and are reported too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from ansible_inspec_rs import Executor, Template, errors
from helpers import unique, wait_job

CONTROLS = """
control 'sel-pass' do
  title 'the root is a directory'
  describe file('/') do
    it { should be_directory }
  end
end

control 'sel-fail' do
  title 'a file that is not there'
  describe file('/nonexistent-airs-selection') do
    it { should exist }
  end
end

control 'other-1' do
  title 'left out by the controls entry'
  describe file('/') do
    it { should exist }
  end
end
"""

# w1, w2, d1 in this order; every host is checked here (ansible_connection=local).
INVENTORY = "[web]\nw1\nw2\n[db]\nd1\n[all:vars]\nansible_connection=local\n"
LIMIT = "web:db:!w2"
SELECTED = ["w1", "d1"]
CONTROL_ENTRIES = ["/^sel-/"]
EXPECTED_CONTROLS = [("sel-fail", "failed"), ("sel-pass", "passed")]

# host -> (host status, sorted (control id, status))
Outcome = dict[str, tuple[str, list[tuple[str, str]]]]


@pytest.fixture
def layout(roots: Path) -> Path:
    """A profile and an inventory inside the server's allowed roots."""
    base = roots / "profiles" / unique("selection")
    (base / "profile" / "controls").mkdir(parents=True)
    (base / "profile" / "inspec.yml").write_text("name: selection\nversion: 1.0.0\n")
    (base / "profile" / "controls" / "c.rb").write_text(CONTROLS)
    (base / "hosts.ini").write_text(INVENTORY)
    return base


def outcome_of(results: list[dict[str, Any]]) -> Outcome:
    return {r["host"]: (r["status"], sorted((c["id"], c["status"]) for c in r["controls"])) for r in results}


async def through_python(layout: Path) -> tuple[list[str], Outcome]:
    template = Template(
        unique("py"),
        profile=str(layout / "profile"),
        inventory=str(layout / "hosts.ini"),
        limit=LIMIT,
        controls=CONTROL_ENTRIES,
    )
    assert template.controls == CONTROL_ENTRIES
    async with Executor() as ex:
        job = await ex.submit(template)
        await job.wait(timeout=60)
    results = [{"host": r.host, "status": r.status, "controls": r.controls} for r in job.results]
    return list(job.hosts), outcome_of(results)


def through_rest(admin: httpx.Client, layout: Path) -> tuple[list[str], Outcome]:
    body = {
        "name": unique("rest"),
        "profile": str(layout / "profile"),
        "inventory": str(layout / "hosts.ini"),
        "limit": LIMIT,
        "controls": CONTROL_ENTRIES,
    }
    created = admin.post("/api/v1/templates", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["controls"] == CONTROL_ENTRIES
    r = admin.post("/api/v1/jobs", json={"template_name": body["name"]})
    assert r.status_code == 202, r.text
    job = wait_job(admin, r.json()["job_id"], timeout=60)
    return job["hosts"], outcome_of(job["results"])


def through_cli(layout: Path, tmp_path: Path) -> tuple[list[str], Outcome, int]:
    report = tmp_path / "report.json"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansible_inspec_rs",
            "exec",
            str(layout / "profile"),
            "-i",
            str(layout / "hosts.ini"),
            "-l",
            LIMIT,
            "--controls",
            *CONTROL_ENTRIES,
            "--reporter",
            f"json:{report}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(report.read_text())
    hosts: list[str] = []
    outcome: Outcome = {}
    for profile in doc["profiles"]:
        host = profile["platform"]["target_id"]
        hosts.append(host)
        controls = []
        for c in profile["controls"]:
            statuses = {r["status"] for r in c["results"]}
            status = "failed" if "failed" in statuses else "passed" if statuses == {"passed"} else "skipped"
            controls.append((c["id"], status))
        failed = any(s == "failed" for _, s in controls)
        outcome[host] = ("failed" if failed else "passed", sorted(controls))
    return hosts, outcome, out.returncode


async def test_python_rest_and_cli_select_the_same_hosts_and_agree(
    admin: httpx.Client, layout: Path, tmp_path: Path
) -> None:
    py_hosts, py = await through_python(layout)
    rest_hosts, rest = through_rest(admin, layout)
    cli_hosts, cli, code = through_cli(layout, tmp_path)
    assert py_hosts == rest_hosts == cli_hosts == SELECTED
    expected = {host: ("failed", EXPECTED_CONTROLS) for host in SELECTED}
    assert py == expected
    assert rest == expected
    assert cli == expected
    assert code == 1  # a control failed


def test_rest_selects_by_the_templates_target_pattern(admin: httpx.Client, layout: Path) -> None:
    """A template's ``target`` is an inventory pattern through REST as in the core, not a host list."""
    name = unique("pattern")
    body = {
        "name": name,
        "profile": str(layout / "profile"),
        "inventory": str(layout / "hosts.ini"),
        "target": "db",
        "controls": ["sel-pass"],
    }
    assert admin.post("/api/v1/templates", json=body).status_code == 201
    r = admin.post("/api/v1/jobs", json={"template_name": name})
    assert r.status_code == 202, r.text
    job = wait_job(admin, r.json()["job_id"], timeout=60)
    assert job["hosts"] == ["d1"]
    assert outcome_of(job["results"]) == {"d1": ("passed", [("sel-pass", "passed")])}
    # The id-keyed launch selects the same way, its `limit` override applied to the inventory.
    template_id = admin.get(f"/api/v1/templates/{name}").json()["id"]
    r = admin.post(f"/api/v1/job-templates/{template_id}/launch", json={"limit": "nothing"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "hosts"]
    assert "select no host" in r.json()["detail"][0]["msg"]
    # The original request `target` is an explicit host list and wins over the inventory.
    r = admin.post("/api/v1/jobs", json={"template_id": template_id, "target": "w2, w1"})
    assert r.status_code == 201, r.text
    assert wait_job(admin, r.json()["id"], timeout=60)["hosts"] == ["w2", "w1"]


def test_rest_refuses_an_empty_selection_naming_hosts(admin: httpx.Client) -> None:
    """No hosts and nothing to select them from: 422 naming ``hosts``, not a job on local://."""
    name = unique("empty")
    assert admin.post("/api/v1/templates", json={"name": name, "command": ["true"]}).status_code == 201
    before = admin.get("/api/v1/jobs", params={"template": name}).json()["count"]
    for request in (
        {"template_name": name},
        {"template_name": name, "hosts": []},
        {"template_id": admin.get(f"/api/v1/templates/{name}").json()["id"], "target": " , "},
    ):
        r = admin.post("/api/v1/jobs", json=request)
        assert r.status_code == 422, (request, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", "hosts"], r.text
    assert admin.get("/api/v1/jobs", params={"template": name}).json()["count"] == before


async def test_a_bad_inventory_is_a_typed_error_naming_its_field(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[web\nw1\n")
    template = Template("bad-inv", command=["true"], inventory=str(inventory))
    async with Executor() as ex:
        with pytest.raises(errors.InventoryError) as e:
            await ex.submit(template)
        assert isinstance(e.value, errors.ValidationError)
        assert e.value.field == "inventory" and "line 1" in str(e.value.rule)
        inventory.write_text("[web]\nw1\n")
        bad_limit = Template("bad-limit", command=["true"], inventory=str(inventory), limit="~w.*")
        with pytest.raises(errors.InventoryError) as e:
            await ex.submit(bad_limit)
        assert e.value.field == "limit"


def test_rest_template_controls_are_checked_by_the_core(admin: httpx.Client, layout: Path) -> None:
    profile = str(layout / "profile")
    for controls in (["/(unclosed/"], ["-x"], "sel-pass", [""]):
        r = admin.post("/api/v1/templates", json={"name": unique(), "profile": profile, "controls": controls})
        assert r.status_code == 422, (controls, r.text)
        assert "controls" in [str(part) for d in r.json()["detail"] for part in d["loc"]], r.text
    created = admin.post("/api/v1/job-templates", json={"name": unique(), "profile": profile}).json()
    assert created["controls"] == []
    r = admin.put(f"/api/v1/job-templates/{created['id']}", json={"controls": ["sel-pass", "/^other/"]})
    assert r.status_code == 200, r.text
    assert r.json()["controls"] == ["sel-pass", "/^other/"]
