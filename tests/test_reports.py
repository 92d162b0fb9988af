"""Reports (`job.report(format=...)`): InSpec JSON valid against InSpec's own schema,
well-formed JUnit XML, self-contained escaped HTML. Also: the inspec runner without InSpec."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from ansible_inspec_rs import Executor, Template, errors
from conftest import FIXTURES

SCHEMA = json.loads((FIXTURES / "exec-json.schema.json").read_text())  # InSpec's exec-json schema


def install_fake_inspec(directory: Path) -> Path:
    """The FAKE inspec (see tests/fixtures/fake-inspec): replays a real recorded report."""
    directory.mkdir()
    shutil.copy(FIXTURES / "fake-inspec", directory / "inspec")
    shutil.copy(FIXTURES / "inspec-json-example.json", directory / "replay.json")
    return directory


async def mixed_job(ex: Executor, tmp_path: Path) -> tuple[object, object]:
    """A command job with a passing, a failing and an odd host name; an inspec job on local://."""
    cmd = Template(
        "cmd",
        connection="local",
        command=["sh", "-c", 'test "{host}" != bad || { echo "<b>&\'x\'" >&2; exit 3; }'],
    )
    command_job = await (await ex.submit(cmd, ["good", "bad", "a<script>&b"]))
    profile = Template("profile", profile=str(tmp_path), runner="inspec")
    inspec_job = await (await ex.submit(profile, ["local://"]))
    return command_job, inspec_job


async def test_inspec_json_validates_against_the_schema(tmp_path: Path) -> None:
    tools = install_fake_inspec(tmp_path / "bin")
    async with Executor(tool_path=[str(tools)]) as ex:
        command_job, inspec_job = await mixed_job(ex, tmp_path)
    assert inspec_job.status == "failed"  # type: ignore[attr-defined]
    for job in (command_job, inspec_job):
        doc = json.loads(job.report("json"))  # type: ignore[attr-defined]
        jsonschema.Draft4Validator(SCHEMA).validate(doc)
        hosts = job.hosts  # type: ignore[attr-defined]
        assert [p["platform"]["target_id"] for p in doc["profiles"]] == hosts
    doc = json.loads(inspec_job.report("json"))  # type: ignore[attr-defined]
    (profile,) = doc["profiles"]
    assert profile["name"] == "aws-s3-baseline"  # from the recorded report
    assert [c["id"] for c in profile["controls"]] == [
        "s3-buckets-no-public-access",
        "s3-objects-no-public-access",
    ]
    recorded = json.loads((FIXTURES / "inspec-json-example.json").read_text())["profiles"][0]["controls"]
    ours = profile["controls"]
    for mine, theirs in zip(ours, recorded, strict=True):
        assert [r["status"] for r in mine["results"]] == [r["status"] for r in theirs["results"]]
        assert [r["code_desc"] for r in mine["results"]] == [r["code_desc"] for r in theirs["results"]]
    doc = json.loads(command_job.report("json"))  # type: ignore[attr-defined]
    statuses = [p["controls"][0]["results"][0]["status"] for p in doc["profiles"]]
    assert statuses == ["passed", "failed", "passed"]
    assert doc["statistics"]["controls"]["failed"]["total"] == 1


async def test_junit_is_well_formed_and_escaped(tmp_path: Path) -> None:
    tools = install_fake_inspec(tmp_path / "bin")
    async with Executor(tool_path=[str(tools)]) as ex:
        command_job, inspec_job = await mixed_job(ex, tmp_path)
    root = ET.fromstring(command_job.report("junit"))  # type: ignore[attr-defined]
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["good", "bad", "a<script>&b"]
    assert root.get("name") == "cmd"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    failure = suites[1].find("testcase/failure")
    assert failure is not None and "<b>&'x'" in (failure.text or "")
    root = ET.fromstring(inspec_job.report("junit"))  # type: ignore[attr-defined]
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 2 and all(c.find("failure") is not None for c in cases)


async def test_html_summary_failures_first_and_escaped(tmp_path: Path) -> None:
    async with Executor() as ex:
        t = Template("cmd", connection="local", command=["sh", "-c", 'test "{host}" != bad'])
        job = await (await ex.submit(t, ["good", "a<script>&b", "bad"]))
    page = job.report("html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "a&lt;script&gt;&amp;b" in page
    hosts = page.split("<h2>Hosts</h2>", 1)[1]
    assert hosts.index(">bad<") < hosts.index(">good<")  # least compliant host first
    failures = page.split("<h2>Failures", 1)[1].split("<h2>", 1)[0]
    assert "failed on 1 of 3 hosts" in failures and "on bad<" in failures and "good" not in failures
    assert "src=" not in page and "href=" not in page  # self-contained
    with pytest.raises(errors.ValidationError) as info:
        job.report("pdf")
    assert info.value.field == "format"


async def test_profile_without_inspec_is_an_error_naming_the_binaries(tmp_path: Path) -> None:
    if shutil.which("inspec") or shutil.which("cinc-auditor"):
        pytest.skip("a real InSpec is installed here")
    async with Executor() as ex:
        job = await (await ex.submit(Template("p", profile=str(tmp_path), runner="inspec"), ["local://"]))
    assert job.status == "error"
    assert "inspec" in (job.error or "") and "cinc-auditor" in (job.error or "")
    assert job.results == []
