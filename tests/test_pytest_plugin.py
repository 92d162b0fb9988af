"""The pytest plugin in a fresh project (pytester): no configuration, async tests, readable
failures. Each project runs in its own pytest subprocess, finding the plugin through its entry
point as an installed package is found."""

from __future__ import annotations

import sys

import pytest

pytest_plugins = ["pytester"]

FAILING_CHECK = [
    sys.executable,
    "-c",
    "import sys; sys.stderr.write('\\n'.join(f'line {i}' for i in range(30)) + '\\nsshd_config is unsafe'); "
    "sys.exit(3)",
]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # -p no:cacheprovider: nothing written beside the project; a bounded run.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args, timeout=120)


def test_async_tests_run_without_configuration(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fresh="""
        import asyncio
        import pytest
        from ansible_inspec_rs import Executor, Template

        async def test_fixture(executor, template_factory):
            t = await template_factory(command=["true"])
            job = await (await executor.submit(t.name, hosts=["a", "b"]))
            assert job.status == "successful"

        async def test_own_executor():
            async with Executor(workers=1) as ex:
                job = await ex.submit(Template("x", connection="local", command=["true"]), ["h"])
                assert (await asyncio.create_task(job.wait())).status == "successful"

        class TestGrouped:
            async def test_in_a_class(self, executor):
                assert executor.workers > 0

        @pytest.mark.anyio
        async def test_left_to_anyio():  # another framework's mark: left alone
            assert asyncio.get_running_loop()

        def test_sync_still_fine():
            assert True
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=5)


def test_the_opt_out_leaves_async_tests_unmarked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nansible_inspec_rs_mark_async = false\n")
    pytester.makepyfile(test_x="async def test_unmarked():\n    pass\n")
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


def test_a_failed_job_explains_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fails=f"""
        from ansible_inspec_rs import JobStatus
        from ansible_inspec_rs.pytest_plugin import assert_successful

        FAILING = {FAILING_CHECK!r}

        async def test_compare(executor, template_factory):
            t = await template_factory(command=FAILING)
            job = await (await executor.submit(t.name, hosts=["web1"]))
            assert job == JobStatus.SUCCESSFUL

        async def test_helper(executor, template_factory):
            t = await template_factory(command=FAILING)
            job = await (await executor.submit(t.name, hosts=["db1"]))
            assert_successful(job)
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*ended failed*",
            "*web1: failed, exit code 3*",
            "*stderr (last lines):*",
            "*sshd_config is unsafe*",
        ]
    )
    result.stdout.fnmatch_lines(["*db1: failed, exit code 3*", "*sshd_config is unsafe*"])
    assert "line 5\n" not in result.stdout.str()  # a tail, not the whole stderr


def test_a_successful_job_equals_its_status(pytester: pytest.Pytester) -> None:
    """The README's idiom ``assert job == JobStatus.SUCCESSFUL`` passes for a job that
    succeeded (it failed for every job: a Job never equalled a status)."""
    pytester.makepyfile(
        test_ok="""
        from ansible_inspec_rs import JobStatus

        async def test_equal(executor, template_factory):
            t = await template_factory(command=["true"])
            submitted = await executor.submit(t.name, hosts=["web1", "web2"])
            job = await submitted
            assert job == JobStatus.SUCCESSFUL
            assert JobStatus.SUCCESSFUL == job and job == "successful"
            assert job != JobStatus.FAILED and not (job != JobStatus.SUCCESSFUL)
            assert job == submitted and len({job, submitted}) == 1  # the same job, hashable
            assert job != 1 and job != None  # noqa: E711
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_failed_controls_are_listed(pytester: pytest.Pytester) -> None:
    profile = pytester.mkdir("profile")
    (profile / "inspec.yml").write_text("name: p\nversion: 1.0.0\n")
    (profile / "controls").mkdir()
    (profile / "controls" / "c.rb").write_text(
        "control 'ok-1' do\n  title 'passes'\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n"
        "control 'bad-1' do\n  title 'Root login is off'\n"
        "  describe 'yes' do\n    it { should eq 'no' }\n  end\nend\n"
    )
    pytester.makepyfile(
        test_profile=f"""
        from ansible_inspec_rs import JobStatus, Template

        async def test_profile(executor):
            job = await (await executor.submit(Template("p", profile={str(profile)!r}), ["local://"]))
            assert job == JobStatus.SUCCESSFUL
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*local://: failed*", "*control bad-1: Root login is off*", "*\u00d7 *no*"])
    assert "control ok-1" not in result.stdout.str()
