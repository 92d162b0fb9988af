"""`ansible-inspec-rs coverage` and `exec` with the native runner, as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REPO

PROFILE = FIXTURES / "native-profile"
SHARED = REPO.parent / "shared" / "profiles"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ansible_inspec_rs", *args], capture_output=True, text=True, timeout=300
    )


def test_coverage_names_the_blocking_construct() -> None:
    out = cli("coverage", str(PROFILE), "--json")
    assert out.returncode == 0, out.stderr
    cov: dict[str, Any] = json.loads(out.stdout)
    assert cov["total"] == 15  # the two controls a loop creates are one in the static model
    blocked = [c for c in cov["controls"] if not c["supported"]]
    assert [c["id"] for c in blocked] == ["unsupported-resource"]
    (blocker,) = blocked[0]["blockers"]
    assert "windows_registry_key" in blocker["construct"]
    assert blocker["at"].startswith("controls/state.rb:")
    assert cov["supported"] == 14
    table = cli("coverage", str(PROFILE))
    assert "14 of 15 controls" in table.stdout and "windows_registry_key" in table.stdout


def test_coverage_of_a_missing_profile_exits_2(tmp_path: Path) -> None:
    out = cli("coverage", str(tmp_path / "nothing"))
    assert out.returncode == 2 and "error" in out.stderr


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/profiles (real third-party profiles) is absent")
def test_coverage_of_the_real_profiles() -> None:
    names = ["linux-baseline", "ssh-baseline", "cis-dil-benchmark", "cis-docker-benchmark"]
    out = cli("coverage", *(str(SHARED / n) for n in names), "--json")
    assert out.returncode == 0, out.stderr
    covs: list[dict[str, Any]] = json.loads(out.stdout)
    assert [c["total"] for c in covs] == [59, 71, 237, 106]
    for cov in covs:
        for c in cov["controls"]:
            if not c["supported"]:
                assert c["blockers"], c["id"]
                assert all(b["construct"] and ":" in b["at"] for b in c["blockers"])
    supported = sum(c["supported"] for c in covs)
    assert supported / sum(c["total"] for c in covs) >= COVERAGE_FLOOR


# The native evaluator ran 464 of 473 controls (98.1 %) of the four real profiles when this
# test was written: a floor against regressions (the target is 90 %).
COVERAGE_FLOOR = 0.97


def test_exec_native_on_local(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    args = ["-t", "local://", "-e", f"root={tmp_path}", "--reporter", f"json:{report}"]
    out = cli("exec", str(PROFILE), *args)
    assert out.returncode == 1, out.stdout + out.stderr  # the fixture has failing controls
    doc = json.loads(report.read_text())
    (profile,) = doc["profiles"]
    assert profile["name"] == "native-fixture"
    statuses = {c["id"]: [r["status"] for r in c["results"]] for c in profile["controls"]}
    assert statuses["file-missing"] == ["passed"]
    assert statuses["file-present"][0] == "failed"  # nothing was prepared under tmp_path


def test_a_controls_file_that_raises_at_top_level_fails_the_profile(tmp_path: Path) -> None:
    """InSpec 7.1.16 (profile.rb ``collect_tests``, runner.rb ``load``): an exception out of a
    controls file's top-level code is ProfileLoadFailed. The profile is ``failed`` with
    "Failed to load source for PATH: MESSAGE", none of its controls runs (not those defined
    before the raise, nor those of its other files), the cli report shows the Failure
    Message, and the exit code is InSpec's 1 for a load failure."""
    profile = tmp_path / "raises"
    (profile / "controls").mkdir(parents=True)
    (profile / "inspec.yml").write_text("name: raises\nversion: 0.1.0\n")
    (profile / "controls" / "a.rb").write_text(
        "control 'before' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\nraise 'boom'\n"
    )
    (profile / "controls" / "b.rb").write_text(
        "control 'other-file' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n"
    )
    report = tmp_path / "r.json"
    args = ["-t", "local://", "--reporter", "cli", f"json:{report}", "--no-color"]
    out = cli("exec", str(profile), *args, "--inspec-exit-codes")
    assert out.returncode == 1, out.stdout + out.stderr
    message = "Failed to load source for controls/a.rb: boom"
    doc = json.loads(report.read_text())
    (p,) = doc["profiles"]
    assert (p["status"], p["status_message"], p["controls"]) == ("failed", message, [])
    assert f"Failure Message: {message}" in " ".join(out.stdout.split()), out.stdout
    assert cli("exec", str(profile), "-t", "local://").returncode == 2
