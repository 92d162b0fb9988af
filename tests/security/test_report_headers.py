"""A report holds what checks printed and what templates say, served from the API's origin,
where a browser holds the JWT cookie: whatever it contains, a browser runs no script from it,
loads nothing for it, and does not sniff it into another type."""

from __future__ import annotations

import httpx
import pytest
from helpers import make_template, submit, wait_job

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.mark.parametrize("format", ["html", "junit", "json", "cli"])
def test_reports_run_no_script_and_load_nothing(admin: httpx.Client, format: str) -> None:
    tpl = make_template(admin, description=MARKUP, command=["echo", MARKUP])
    job = wait_job(admin, submit(admin, tpl["name"], ["h1"]))
    r = admin.get(f"/api/v1/jobs/{job['id']}/report", params={"format": format})
    assert r.status_code == 200, r.text
    policy = {d.strip().split(" ")[0]: d.strip() for d in r.headers["content-security-policy"].split(";")}
    assert policy["default-src"] == "default-src 'none'", policy
    assert "sandbox" in policy and "script-src" not in policy, policy
    assert r.headers["x-content-type-options"] == "nosniff"
    if format == "html":
        assert MARKUP not in r.text  # escaped by the writer as well
