"""Overlay profiles through the Executor, the CLI and `Profile.coverage()`: the fixture
overlay (tests/fixtures/overlay-profiles/overlay) depends on a `path:` profile, on a git
profile read only from its vendor/ directory (inspec.lock) and on a Windows-only profile,
and includes them with skip_control, overrides and require_controls. It runs on the recorded
Debian 12 state (`fixture://`): per-control outcomes, the profile each control is reported
under, and the JSON report's profiles (`parent_profile`, `depends`) validated against
InSpec's exec-json schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ansible_inspec_rs import Executor, Profile, Template
from ansible_inspec_rs.cli import main
from conftest import FIXTURES

OVERLAYS = FIXTURES / "overlay-profiles"
DEBIAN = f"fixture://{FIXTURES / 'hosts' / 'debian12'}"
SCHEMA = json.loads((FIXTURES / "exec-json.schema.json").read_text())

# id -> (status, the profile InSpec reports it under, impact)
EXPECTED: dict[str, tuple[str, str | None, float]] = {
    "overlay-1": ("passed", None, 0.3),
    "overlay-2": ("passed", None, 0.5),
    "base-input": ("passed", "base", 0.7),
    "base-impact": ("passed", "base", 0.2),
    "base-replaced": ("passed", "base", 0.9),
    "base-library": ("passed", "base", 0.5),
    "remote-1": ("passed", "remote-baseline", 0.6),
}


async def test_an_overlay_runs_through_the_executor() -> None:
    template = Template("overlay", profile=str(OVERLAYS / "overlay"))
    async with Executor() as ex:
        job = await (await ex.submit(template, [DEBIAN]))
    (result,) = job.results
    assert result.status == "passed", result.message
    got = {c["id"]: (c["status"], c.get("profile"), c["impact"]) for c in result.controls}
    assert got == EXPECTED
    depends = result.to_dict()["profile"]["depends"]
    assert [(d["name"], d["status"]) for d in depends] == [
        ("base", "loaded"),
        ("remote-baseline", "loaded"),
        ("windows-only", "skipped"),
    ]
    doc = json.loads(job.report("json"))
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    profiles: list[dict[str, Any]] = doc["profiles"]
    assert [(p["name"], p.get("parent_profile")) for p in profiles] == [
        ("overlay", None),
        ("base", "overlay"),
        ("remote-baseline", "overlay"),
    ]
    with_results = {p["name"]: [c["id"] for c in p["controls"] if c["results"]] for p in profiles}
    assert with_results == {
        "overlay": ["overlay-1", "overlay-2"],
        "base": ["base-input", "base-impact", "base-replaced", "base-library"],
        "remote-baseline": ["remote-1"],
    }


async def test_a_dependency_missing_from_vendor_is_a_job_error_naming_it(tmp_path: Path) -> None:
    copy = tmp_path / "overlay-profiles"
    shutil.copytree(OVERLAYS, copy)
    shutil.rmtree(copy / "overlay" / "vendor")
    template = Template("overlay", profile=str(copy / "overlay"))
    async with Executor() as ex:
        job = await (await ex.submit(template, [DEBIAN]))
    assert job.status == "error"
    error = job.error or ""
    assert "dependency 'remote-baseline'" in error and "vendor/" in error, error


async def test_a_path_dependency_outside_the_profile_roots_is_refused(tmp_path: Path) -> None:
    # The overlay is inside the roots; its ../base dependency is not.
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(OVERLAYS / "overlay", root / "overlay")
    (root / "overlay" / "inspec.yml").write_text(
        (OVERLAYS / "overlay" / "inspec.yml")
        .read_text()
        .replace("path: ../base", f"path: {OVERLAYS / 'base'}")
        .replace("path: ../windows-only", f"path: {OVERLAYS / 'windows-only'}")
    )
    template = Template("overlay", profile=str(root / "overlay"))
    async with Executor(profile_roots=[root]) as ex:
        job = await (await ex.submit(template, [DEBIAN]))
    assert job.status == "error"
    assert "outside the allowed profile roots" in (job.error or ""), job.error


def test_coverage_counts_included_controls(capsys: pytest.CaptureFixture[str]) -> None:
    cov = Profile.load(str(OVERLAYS / "overlay")).coverage()
    assert (cov["total"], cov["supported"]) == (8, 8)
    files = {c["id"]: c["file"] for c in cov["controls"]}
    assert files["base-impact"] == "base/controls/base.rb"
    assert "base-skipped" not in files and "remote-2" not in files
    assert main(["coverage", str(OVERLAYS / "overlay"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 8
