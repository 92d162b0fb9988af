"""The HTML report as its readers see it: rendered by headless Chromium, for one host and for
a fleet of 50 (plus one host that cannot be reached). Jobs are real: the fleet-profile
fixture evaluated natively on this machine."""

from __future__ import annotations

from pathlib import Path

from ansible_inspec_rs import Executor, Job, Template
from chromium import colour_counts, dump_dom, screenshot
from conftest import FIXTURES

PROFILE = FIXTURES / "fleet-profile"
# The report's status colours (src/report/html.rs `colour`).
FAILED_RED, PASSED_GREEN, SKIPPED_GREY, NOT_CHECKED_ORANGE = "#cf222e", "#2da44e", "#8c959f", "#e16f24"


async def run_fleet(ex: Executor, tmp_path: Path, hosts: list[str], down: bool = False) -> Job:
    """`hosts` checked on this machine (ansible_connection=local); `down`: one more host whose
    SSH port refuses connections."""
    inventory = tmp_path / "hosts.ini"
    lines = [f"{h} ansible_connection=local" for h in hosts]
    if down:
        lines.append("down ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody")
    inventory.write_text("[fleet]\n" + "\n".join(lines) + "\n")
    template = Template("fleet", profile=str(PROFILE), inventory=str(inventory), forks=10, connect_timeout=5)
    await ex.templates.create(template)
    job = await (await ex.submit("fleet"))
    assert job.status == "failed", job.results[0]
    return job


def page(tmp_path: Path, job: Job, name: str) -> tuple[str, str]:
    """The report's text and its file:// address."""
    html = job.report("html")
    path = tmp_path / f"{name}.html"
    path.write_text(html)
    return html, path.as_uri()


async def test_one_host(ex: Executor, tmp_path: Path) -> None:
    job = await run_fleet(ex, tmp_path, ["web01"])
    _, url = page(tmp_path, job, "one")
    dom = dump_dom(url)
    # The profile, not the template, heads the page; the score: 2 passed of 4 counted
    # (fb-01, fb-05 passed; fb-02, fb-03 failed; fb-04 skipped is not counted).
    assert "<h1>Fleet Baseline</h1>" in dom and "version <strong>1.2.3</strong>" in dom
    assert '<div class="score" style="color:#cf222e">50%</div>' in dom
    # Failures first, worst impact first, with title, code_desc, expected and actual.
    failures = dom[dom.index("<h2>Failures") : dom.index("<h2>Skipped")]
    assert failures.index("fb-02") < failures.index("fb-03")
    assert "The compliance marker file exists" in failures
    assert "File /nonexistent/compliance-marker is expected to exist" in failures
    assert '<td>expected</td><td><pre>"goodbye\\n"</pre>' in failures, failures
    assert '<td>actual</td><td><pre>"hello\\n"</pre>' in failures
    skipped = dom[dom.index("<h2>Skipped") : dom.index("<h2>Hosts")]
    assert "fb-04" in skipped and "this control only applies to Windows hosts" in skipped
    assert dom.count("<details") >= 3 and "<svg" in dom

    png = screenshot(url, tmp_path / "one.png", height=1400)
    # The charts are drawn: red (failures), green (passes) and grey (skips) areas.
    red, green, grey = colour_counts(png, FAILED_RED, PASSED_GREEN, SKIPPED_GREY)
    assert red > 2000 and green > 2000 and grey > 200, (red, green, grey)


async def test_fifty_hosts_and_an_unreachable_one(ex: Executor, tmp_path: Path) -> None:
    hosts = [f"web{i:02}" for i in range(1, 51)]
    job = await run_fleet(ex, tmp_path, hosts, down=True)
    html, url = page(tmp_path, job, "fifty")
    assert len(html) < 200_000, "hosts failing the same way are grouped, not repeated"
    dom = dump_dom(url)
    assert "51 hosts" in dom and "Hosts not checked" in dom
    assert dom.index("Hosts not checked") < dom.index("<h2>Failures")
    assert "failed on 50 of 51 hosts" not in dom  # the unreachable host did not run fb-02
    assert "failed on 50 of 50 hosts" in dom and "and 38 more" in dom
    png = screenshot(url, tmp_path / "fifty.png", height=1400)
    red, green, orange = colour_counts(png, FAILED_RED, PASSED_GREEN, NOT_CHECKED_ORANGE)
    assert red > 2000 and green > 2000, (red, green)
    assert orange > 50, orange  # the host that was not checked, in the status chart
