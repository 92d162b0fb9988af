"""End-to-end: every REST route of the real server (subprocess, loopback) and its status codes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from helpers import (
    REPO,
    LiveServer,
    make_template,
    submit,
    unique,
    wait_job,
    wait_status,
)


def field_of(response: httpx.Response) -> list[str]:
    """The field names a 4xx body points at (FastAPI's shape: detail[].loc)."""
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [str(part) for d in detail for part in d["loc"]]


# --- service routes -------------------------------------------------------------------------


def test_health_needs_no_credential(anon: httpx.Client) -> None:
    r = anon.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["storage_backend"] == "sqlite"  # the server's default store
    assert body["workers"] == 4
    assert set(body["queue"]) == {"pending", "running"}
    assert isinstance(body["version"], str) and body["version"]


def test_root_redirects_to_docs_and_docs_are_served(anon: httpx.Client) -> None:
    r = anon.get("/", follow_redirects=False)
    assert r.status_code in (302, 307)
    assert r.headers["location"] == "/docs"
    assert "swagger" in anon.get("/docs").text.lower()
    assert "redoc" in anon.get("/redoc").text.lower()
    spec = anon.get("/openapi.json").json()
    for path in (
        "/api/v1/templates",
        "/api/v1/templates/{name}",
        "/api/v1/job-templates",
        "/api/v1/job-templates/{template_id}",
        "/api/v1/job-templates/{template_id}/launch",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/cancel",
        "/api/v1/jobs/{job_id}/stdout",
        "/api/v1/jobs/{job_id}/logs",
        "/api/v1/jobs/{job_id}/events",
        "/api/v1/jobs/{job_id}/report",
        "/api/v1/statistics",
        "/health",
        "/metrics",
    ):
        assert path in spec["paths"], path


def test_api_index(admin: httpx.Client) -> None:
    body = admin.get("/api/v1").json()
    assert body["name"] == "ansible-inspec-rs"
    assert body["endpoints"]["jobs"] == "/api/v1/jobs"
    assert body["endpoints"]["websocket"] == "/api/v1/jobs/{id}/ws"


# --- name-keyed templates -------------------------------------------------------------------


def test_template_lifecycle(admin: httpx.Client) -> None:
    name = unique("tpl")
    r = admin.post("/api/v1/templates", json={"name": name, "command": ["true"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["id"] and created["name"] == name
    datetime.fromisoformat(created["created_at"])
    assert (created["timeout"], created["supermarket"]) == (300, False)

    dup = admin.post("/api/v1/templates", json={"name": name, "command": ["true"]})
    assert dup.status_code == 409
    assert dup.json() == {"detail": f"Template '{name}' already exists"}

    assert name in [t["name"] for t in admin.get("/api/v1/templates").json()]
    assert admin.get(f"/api/v1/templates/{name}").json()["id"] == created["id"]

    assert admin.delete(f"/api/v1/templates/{name}").status_code == 204
    assert admin.get(f"/api/v1/templates/{name}").status_code == 404
    assert admin.delete(f"/api/v1/templates/{name}").status_code == 404


def test_template_missing_is_404_with_detail(admin: httpx.Client) -> None:
    r = admin.get("/api/v1/templates/no-such-template")
    assert r.status_code == 404
    assert "no-such-template" in r.json()["detail"]


def test_seeded_example_templates(admin: httpx.Client) -> None:
    uptime = admin.get("/api/v1/templates/uptime").json()
    assert uptime["command"] == ["uptime"]
    profile = admin.get("/api/v1/templates/linux-baseline").json()
    # "profiles/linux-baseline" in examples/templates.json: relative to the file, not the cwd.
    assert profile["profile"] == str(REPO / "examples" / "profiles" / "linux-baseline")


def test_seed_paths_are_relative_to_the_seed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ansible_inspec_rs.server.lifespan import load_seed

    folder = tmp_path / "conf"
    folder.mkdir()
    seed = folder / "seed.json"
    seed.write_text(
        '[{"name": "a", "profile": "profiles/p", "inventory": "hosts.ini"},'
        ' {"name": "b", "profile": "dev-sec/linux-baseline", "supermarket": true},'
        ' {"name": "c", "playbook": "/abs/site.yml"}]'
    )
    monkeypatch.chdir(tmp_path)  # somewhere else than the file's folder
    a, b, c = load_seed(Path("conf/seed.json"))
    folder = folder.resolve()
    assert a["profile"] == str(folder / "profiles" / "p") and a["inventory"] == str(folder / "hosts.ini")
    assert b["profile"] == "dev-sec/linux-baseline" and c["playbook"] == "/abs/site.yml"


def test_template_validation_names_the_field(admin: httpx.Client) -> None:
    cases = [
        ({"name": unique(), "command": ["true"], "timeout": 0}, "timeout"),
        ({"name": unique(), "command": ["true"], "timeout": 86401}, "timeout"),
        ({"command": ["true"]}, "name"),
        ({"name": "has space", "command": ["true"]}, "name"),  # rule of the native core
        ({"name": unique(), "command": []}, "command"),
        ({"name": unique(), "command": ["true"], "forks": 0}, "forks"),
        ({"name": unique(), "command": ["true"], "profile": "examples/profiles/linux-baseline"}, "profile"),
        ({"name": unique()}, "profile"),  # no action at all
        ({"name": unique(), "command": ["true"], "extra_vars": {"x": 2**70}}, "extra_vars"),
    ]
    for body, field in cases:
        r = admin.post("/api/v1/templates", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in field_of(r), (body, r.text)


def test_template_path_roots(admin: httpx.Client, roots: Path) -> None:
    outside = [
        {"profile": "/etc"},
        {"profile": "examples/profiles/../../../../etc"},
        {"profile": "/no/such/dir/outside"},  # refused as outside, not as missing
        {"profile": "examples/profiles/" + "../" * 40 + "etc"},  # deeper than any clone
        {"profile": "examples/profiles/../../python"},
        {"profile": "https://example.invalid/profile.tar.gz"},
        {"playbook": "/etc/passwd"},
    ]
    link = roots / "profiles" / "escape"
    link.symlink_to("/etc")
    outside.append({"profile": str(link)})
    outside.append({"profile": str(roots / "profiles" / "escape" / "ssh")})
    for fields in outside:
        r = admin.post("/api/v1/templates", json={"name": unique(), **fields})
        assert r.status_code == 400, (fields, r.text)
        assert next(iter(fields)) in field_of(r), r.text

    (roots / "profiles" / "new-profile").mkdir(exist_ok=True)  # local paths must exist
    (roots / "playbooks" / "site.yml").write_text("- hosts: all\n  tasks: []\n")
    inside = [
        {"profile": "examples/profiles/linux-baseline"},
        {"profile": str(roots / "profiles" / "new-profile")},
        {"playbook": str(roots / "playbooks" / "site.yml")},
        {"profile": "dev-sec/linux-baseline", "supermarket": True},  # not a path
    ]
    for fields in inside:
        r = admin.post("/api/v1/templates", json={"name": unique(), **fields})
        assert r.status_code == 201, (fields, r.text)


# --- id-keyed job templates -----------------------------------------------------------------


def test_job_template_lifecycle(admin: httpx.Client) -> None:
    name = unique("jt")
    r = admin.post(
        "/api/v1/job-templates",
        json={"name": name, "command": ["echo", "hi"], "description": "first", "forks": 2},
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]

    page = admin.get("/api/v1/job-templates").json()
    assert page["count"] == len(page["results"]) >= 1
    assert tid in [t["id"] for t in page["results"]]
    assert admin.get(f"/api/v1/job-templates/{tid}").json()["name"] == name

    r = admin.put(f"/api/v1/job-templates/{tid}", json={"description": "second", "forks": 3})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert (updated["id"], updated["description"], updated["forks"]) == (tid, "second", 3)
    assert updated["command"] == ["echo", "hi"]
    assert updated["modified_at"] >= updated["created_at"]

    assert admin.put(f"/api/v1/job-templates/{tid}", json={"forks": 0}).status_code == 422
    bad_path = admin.put(f"/api/v1/job-templates/{tid}", json={"profile": "/etc"})
    assert bad_path.status_code == 400 and "profile" in field_of(bad_path)
    assert admin.put("/api/v1/job-templates/nope", json={"forks": 2}).status_code == 404

    assert admin.delete(f"/api/v1/job-templates/{tid}").status_code == 204
    assert admin.get(f"/api/v1/job-templates/{tid}").status_code == 404
    assert admin.delete(f"/api/v1/job-templates/{tid}").status_code == 404


def test_launch_job_template(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["echo", "launched"], target="local://")
    r = admin.post(f"/api/v1/job-templates/{tpl['id']}/launch")
    assert r.status_code == 201, r.text
    launched = r.json()
    assert set(launched) == {"id", "template_id", "status", "created_at"}
    assert launched["template_id"] == tpl["id"] and launched["status"] == "pending"
    job = wait_job(admin, launched["id"])
    assert job["status"] == "successful"
    assert job["hosts"] == ["local://"]
    assert "launched" in job["results"][0]["stdout"]

    r = admin.post(
        f"/api/v1/job-templates/{tpl['id']}/launch",
        json={"hosts": ["h1", "h2"], "extra_vars": {"env": "prod"}, "verbosity": 2, "limit": "h1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["template_id"] == tpl["id"]
    job = wait_job(admin, r.json()["id"])
    assert job["status"] == "successful"
    assert sorted(job["hosts"]) == ["h1", "h2"]
    assert job["extra_vars"] == {"env": "prod"}
    # The core merges the overrides for this job only: it stays the template's job (its id, and
    # listed under it), and the stored template is unchanged.
    assert (job["template_name"], job["template_id"]) == (tpl["name"], tpl["id"])
    listed = admin.get("/api/v1/jobs", params={"template": tpl["id"], "limit": 10}).json()
    assert r.json()["id"] in {j["id"] for j in listed["results"]}
    assert admin.get(f"/api/v1/job-templates/{tpl['id']}").json()["verbosity"] == tpl["verbosity"]

    assert admin.post("/api/v1/job-templates/nope/launch").status_code == 404
    r = admin.post(f"/api/v1/job-templates/{tpl['id']}/launch", json={"verbosity": 9})
    assert r.status_code == 422 and "verbosity" in field_of(r)


# --- jobs -------------------------------------------------------------------------------------


def test_submit_by_name_and_by_id(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["echo", "x"])
    r = admin.post("/api/v1/jobs", json={"template_name": tpl["name"], "hosts": ["a", "b"]})
    assert r.status_code == 202
    assert set(r.json()) == {"job_id", "status"} and r.json()["status"] == "pending"
    job = wait_job(admin, r.json()["job_id"])
    assert job["status"] == "successful"
    assert sorted(h["host"] for h in job["results"]) == ["a", "b"]
    for host in job["results"]:
        assert host["status"] == "passed" and host["exit_code"] == 0 and host["stdout"] == "x\n"
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]

    r = admin.post("/api/v1/jobs", json={"template_id": tpl["id"], "target": "c, d", "extra_vars": {"k": 1}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["template_id"] == tpl["id"] and body["status"] == "pending"
    job = wait_job(admin, body["id"])
    assert sorted(job["hosts"]) == ["c", "d"] and job["extra_vars"] == {"k": 1}


def test_submit_errors(admin: httpx.Client) -> None:
    tpl = make_template(admin)
    both = admin.post("/api/v1/jobs", json={"template_name": tpl["name"], "template_id": tpl["id"]})
    assert both.status_code == 422
    assert admin.post("/api/v1/jobs", json={"hosts": ["a"]}).status_code == 422
    missing = admin.post("/api/v1/jobs", json={"template_name": "no-such", "hosts": ["a"]})
    assert missing.status_code == 404
    assert admin.post("/api/v1/jobs", json={"template_id": "no-such"}).status_code == 404
    bad_host = admin.post("/api/v1/jobs", json={"template_name": tpl["name"], "hosts": ["-oProxyCommand=x"]})
    assert bad_host.status_code == 422 and "hosts" in field_of(bad_host)
    assert admin.get("/api/v1/jobs/not-a-job").status_code in (404, 422)
    assert admin.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000").status_code == 404


def test_failed_job_reports_host_failure(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["false"])
    job = wait_job(admin, submit(admin, tpl["name"], ["h"]))
    assert job["status"] == "failed"
    assert job["results"][0]["status"] == "failed"
    assert job["results"][0]["exit_code"] == 1


def test_list_jobs_pagination_and_filters(admin: httpx.Client) -> None:
    tpl = make_template(admin)
    ids = [submit(admin, tpl["name"], [f"h{i}"]) for i in range(5)]
    for job_id in ids:
        wait_job(admin, job_id)
    seen: list[str] = []
    for offset in (0, 2, 4):
        params = {"template": tpl["name"], "limit": 2, "offset": offset}
        page = admin.get("/api/v1/jobs", params=params).json()
        assert page["count"] == 5
        assert len(page["results"]) == (2 if offset < 4 else 1)
        seen += [j["id"] for j in page["results"]]
    assert seen == ids[::-1], "newest first by default"
    oldest = admin.get("/api/v1/jobs", params={"template": tpl["name"], "order": "asc"}).json()
    assert [j["id"] for j in oldest["results"]] == ids
    newest = admin.get("/api/v1/jobs", params={"template": tpl["name"], "order": "desc", "limit": 1}).json()
    assert [j["id"] for j in newest["results"]] == ids[-1:]
    bad_order = admin.get("/api/v1/jobs", params={"order": "sideways"})
    assert bad_order.status_code == 422 and bad_order.json()["detail"][0]["loc"][-1] == "order"
    ok = admin.get("/api/v1/jobs", params={"template": tpl["name"], "status": "successful"}).json()
    assert ok["count"] == 5
    none = admin.get("/api/v1/jobs", params={"template": tpl["name"], "status": "failed"}).json()
    assert none == {"count": 0, "results": []}
    assert admin.get("/api/v1/jobs", params={"status": "bogus"}).status_code == 422
    everything = admin.get("/api/v1/jobs", params={"status": "", "template": "", "limit": 1}).json()
    assert everything["count"] >= 5  # empty filters, as the original's clients send them
    assert admin.get("/api/v1/jobs", params={"limit": 0}).status_code == 422
    assert admin.get("/api/v1/jobs", params={"offset": -1}).status_code == 422


def test_stdout_and_logs(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["printf", "one\\ntwo\\nthree\\n"])
    job_id = submit(admin, tpl["name"], ["web1"])
    wait_job(admin, job_id)
    out = admin.get(f"/api/v1/jobs/{job_id}/stdout").json()
    assert out["id"] == job_id
    assert "=== web1 (passed) ===" in out["stdout"] and "one\ntwo\nthree" in out["stdout"]
    logs = admin.get(f"/api/v1/jobs/{job_id}/logs", params={"lines": 2}).json()
    assert logs["lines"] == ["[web1] two", "[web1] three"]
    assert admin.get(f"/api/v1/jobs/{job_id}/logs", params={"lines": 0}).status_code == 422
    assert admin.get("/api/v1/jobs/nope/stdout").status_code in (404, 422)


def test_delete_job_only_when_finished(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["sleep", "5"])
    job_id = submit(admin, tpl["name"], ["h"])
    wait_status(admin, job_id, "running")
    r = admin.delete(f"/api/v1/jobs/{job_id}")
    assert r.status_code == 409, r.text
    assert admin.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    wait_job(admin, job_id)
    assert admin.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert admin.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert admin.delete(f"/api/v1/jobs/{job_id}").status_code == 404


def test_report_formats(admin: httpx.Client) -> None:
    """Each format from the core's writers (the same text as Job.report), with its content type."""
    import json
    import xml.etree.ElementTree as ET

    tpl = make_template(admin, command=["sh", "-c", "echo out; echo why >&2; exit 3"])
    job_id = submit(admin, tpl["name"], ["h1", "h2"])
    wait_job(admin, job_id)
    url = f"/api/v1/jobs/{job_id}/report"

    r = admin.get(url)  # json by default: InSpec's JSON reporter format, not the job object
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert [p["platform"]["target_id"] for p in doc["profiles"]] == ["h1", "h2"]
    assert doc["statistics"]["controls"]["failed"]["total"] == 2 and doc["job"]["id"] == job_id
    assert json.loads(admin.get(url, params={"format": "json"}).text) == doc

    r = admin.get(url, params={"format": "junit"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/xml"
    suites = ET.fromstring(r.text)
    assert suites.tag == "testsuites" and suites.get("failures") == "2"
    assert [s.get("name") for s in suites.iter("testsuite")] == ["h1", "h2"]

    r = admin.get(url, params={"format": "html"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text.startswith("<!DOCTYPE html>") and "h2" in r.text and "exit code 3" in r.text

    r = admin.get(url, params={"format": "cli"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "Test Summary: 0 successful, 2 failures, 0 skipped" in r.text

    bad = admin.get(url, params={"format": "pdf"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "format"]
    assert admin.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000/report").status_code == 404


def test_report_of_a_running_job_is_a_conflict(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["sleep", "5"])
    job_id = submit(admin, tpl["name"], ["h"])
    wait_status(admin, job_id, "running")
    r = admin.get(f"/api/v1/jobs/{job_id}/report", params={"format": "html"})
    assert r.status_code == 409 and "not finished" in r.json()["detail"], r.text
    admin.post(f"/api/v1/jobs/{job_id}/cancel")


def test_report_formats_are_the_cores() -> None:
    """The REST enum is the core's list of writers, no more, no less."""
    from ansible_inspec_rs import _core
    from ansible_inspec_rs.server.app import create_app

    doc = create_app().openapi()
    params = doc["paths"]["/api/v1/jobs/{job_id}/report"]["get"]["parameters"]
    fmt = next(p for p in params if p["name"] == "format")["schema"]
    assert fmt["enum"] == _core.Job.REPORT_FORMATS


def test_statistics_match_the_job_list(admin: httpx.Client) -> None:
    tpl_ok, tpl_bad = make_template(admin), make_template(admin, command=["false"])
    for job_id in [submit(admin, tpl_ok["name"], ["a"]), submit(admin, tpl_bad["name"], ["b"])]:
        wait_job(admin, job_id)
    stats = admin.get("/api/v1/statistics").json()

    def count(**params: str) -> int:
        n: int = admin.get("/api/v1/jobs", params={"limit": 1, **params}).json()["count"]
        return n

    assert stats["total_jobs"] == count()
    assert stats["successful_jobs"] == count(status="successful") >= 1
    assert stats["failed_jobs"] == count(status="failed") >= 1
    assert stats["running_jobs"] == count(status="running")
    assert stats["job_templates"] == len(admin.get("/api/v1/templates").json())
    finished = sum(count(status=s) for s in ("successful", "failed", "error", "timeout", "canceled"))
    assert abs(stats["success_rate"] - 100 * stats["successful_jobs"] / finished) < 0.01


def test_metrics(admin: httpx.Client) -> None:
    tpl = make_template(admin, command=["false"])
    wait_job(admin, submit(admin, tpl["name"], ["m1", "m2"]))
    r = admin.get("/metrics")  # closed by default on a server with credentials
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text

    def value(line_start: str) -> float:
        for line in text.splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"{line_start} not in metrics")

    assert value('ansible_inspec_jobs{status="failed"}') >= 1
    assert value("ansible_inspec_queue_pending") >= 0
    assert value('ansible_inspec_host_checks_total{status="failed"}') >= 2
    assert value("ansible_inspec_job_duration_seconds_count") >= 1
    assert value('ansible_inspec_http_requests_total{method="POST",route="/api/v1/jobs",status="202"}') >= 1
    route = 'method="GET",route="/api/v1/jobs/{job_id}"'
    assert f'ansible_inspec_http_request_duration_seconds_bucket{{le="0.005",{route}}}' in text


def test_server_log_never_contains_secrets(server: LiveServer, admin: httpx.Client) -> None:
    from helpers import ADMIN_TOKEN, JWT_SECRET

    admin.get("/api/v1/templates")
    log = server.log()
    assert "serving on" in log
    assert ADMIN_TOKEN not in log and JWT_SECRET not in log


def test_job_body_has_every_documented_field(admin: httpx.Client) -> None:
    """GET /jobs/{id} sends the native to_dict(); it must carry every field JobOut documents."""
    from ansible_inspec_rs.server.models import HostResultOut, JobOut

    tpl = make_template(admin, command=["echo", "x"])
    job = wait_job(admin, submit(admin, tpl["name"], ["a"]))
    assert set(JobOut.model_fields) <= set(job)
    assert set(HostResultOut.model_fields) <= set(job["results"][0])
    report = admin.get(f"/api/v1/jobs/{job['id']}/report").json()
    assert report["job"]["id"] == job["id"] and len(report["profiles"]) == len(job["results"])
