"""Static native-evaluation coverage from Python: `Profile.coverage()` and the `coverage` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_inspec_rs import Profile
from ansible_inspec_rs.cli import main

SNIPPET = """
control 'plain' do
  describe 'x' do
    it { should eq 'x' }
  end
end

control 'backticks' do
  describe `id` do
    it { should match /root/ }
  end
end
"""


def test_coverage_names_blocking_constructs_with_file_and_line() -> None:
    cov = Profile.from_source(SNIPPET, filename="controls/snippet.rb").coverage()
    assert (cov["total"], cov["supported"]) == (2, 1)
    assert cov["percent"] == 50.0
    plain, blocked = cov["controls"]
    assert plain == {
        "id": "plain",
        "file": "controls/snippet.rb",
        "line": 2,
        "supported": True,
        "blockers": [],
    }
    assert blocked["supported"] is False
    assert blocked["blockers"] == [{"construct": "backtick command", "at": "controls/snippet.rb:9"}]
    assert cov["blockers"] == [
        {"construct": "backtick command", "controls": 1, "example": "controls/snippet.rb:9"}
    ]


def test_coverage_cli_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "snippet.rb"
    path.write_text(SNIPPET)
    assert main(["coverage", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 controls evaluated natively (50.0 %)" in out
    assert "backtick command" in out
    assert main(["coverage", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["supported"] == 1
    assert main(["coverage", str(tmp_path / "missing")]) == 2
