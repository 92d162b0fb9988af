"""Integration surface: the pytest plugin's fixtures and ansible_inspec_rs.fastapi in a host app."""

from __future__ import annotations

import itertools
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from ansible_inspec_rs import Executor, Template
from helpers import REPO, bearer, free_port, server_env

TemplateFactory = Callable[..., Awaitable[Template]]


async def test_plugin_fixtures_share_one_executor(
    executor: Executor, template_factory: TemplateFactory, api_client: httpx.AsyncClient
) -> None:
    template = await template_factory(command=["echo", "from-the-factory"])
    r = await api_client.get(f"/api/v1/templates/{template.name}")
    assert r.status_code == 200 and r.json()["id"] == template.id

    r = await api_client.post("/api/v1/jobs", json={"template_name": template.name, "hosts": ["p1"]})
    assert r.status_code == 202
    job = await (await executor.get(r.json()["job_id"])).wait(timeout=30)
    assert job.status == "successful" and job.results[0].stdout == "from-the-factory\n"

    body = (await api_client.get(f"/api/v1/jobs/{job.id}")).json()
    assert body["status"] == "successful" and body["results"][0]["host"] == "p1"
    assert (await api_client.get("/health")).json()["workers"] == executor.workers


async def test_template_factory_names_are_unique(template_factory: TemplateFactory) -> None:
    a, b = await template_factory(), await template_factory(forks=7)
    assert a.name != b.name and b.forks == 7 and a.command == ["true"]


async def test_events_through_the_in_process_client(
    template_factory: TemplateFactory, api_client: httpx.AsyncClient
) -> None:
    template = await template_factory(command=["echo", "e"])
    r = await api_client.post("/api/v1/jobs", json={"template_name": template.name, "hosts": ["x"]})
    job_id = r.json()["job_id"]
    types = []
    async with api_client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                types.append(line.removeprefix("event: "))
    assert types[0] == "queued" and types[-1] == "finished" and "host_output" in types


def documented_run(example: Path) -> tuple[dict[str, str], list[str]]:
    """The environment and uvicorn arguments of the example's ``Run it:`` line, verbatim."""
    text = example.read_text()
    start = text.index("Run it:") + len("Run it:")
    words = shlex.split(text[start : text.index("\nThen:")].replace("\\\n", " "))
    env = dict(w.split("=", 1) for w in itertools.takewhile(lambda w: "=" in w, words))
    command = words[len(env) :]
    assert command[0].endswith("uvicorn"), words
    return env, command[1:]


def test_example_fastapi_app(tmp_path: Path) -> None:
    """examples/fastapi_app.py, run by uvicorn exactly as its docstring says (its variables
    and arguments, on a free port): the documented line once left out the opt-in its seeded
    command template needs, and the app refused to start."""
    settings, args = documented_run(REPO / "examples" / "fastapi_app.py")
    token = settings["ANSIBLE_INSPEC_RS_API_TOKENS"]
    port = free_port()
    args[args.index("--port") + 1] = str(port)
    log = tmp_path / "example.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *args],
            cwd=REPO,
            env={**server_env(), **settings},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10, headers=bearer(token)) as c:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if c.get("/my/overview").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)

            overview = c.get("/my/overview").json()
            assert overview["greeting"] == "hello from the host app"
            assert overview["templates"] == ["hello"]

            assert c.get("/compliance/templates/hello").json()["command"] == ["echo", "hello"]
            assert c.get("/compliance/templates/nope").status_code == 404  # the router maps errors
            r = c.post("/compliance/jobs", json={"template_name": "hello", "hosts": ["local://"]})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            deadline = time.monotonic() + 30
            while (job := c.get(f"/compliance/jobs/{job_id}").json())["status"] in ("pending", "running"):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert job["status"] == "successful" and job["results"][0]["stdout"] == "hello\n"
            assert c.get("/my/overview").json()["jobs_by_status"]["successful"] == 1
            assert c.get("/api/v1/templates").status_code == 404  # only under the app's prefix
            for path in ("/my/overview", "/compliance/templates"):  # the router's credentials
                assert httpx.get(url + path, timeout=10).status_code == 401
    finally:
        proc.terminate()
        proc.wait(15)


async def test_job_read_sends_the_cores_json(
    executor: Executor, template_factory: TemplateFactory, api_client: httpx.AsyncClient
) -> None:
    """GET /api/v1/jobs/{id} sends ``Job.to_json()`` as it is, through the documented FastAPI
    route of the served app and of an app built from the public router alike; those bytes hold
    what the Python API's ``to_dict()`` holds, and a missing job is the same 404 in both apps."""
    from ansible_inspec_rs.fastapi import install_settings, router
    from ansible_inspec_rs.server.settings import Settings
    from fastapi import FastAPI

    plain = FastAPI()
    plain.include_router(router, prefix="/api/v1")
    install_settings(plain, Settings(_env_file=None, api_tokens=[], jwt_secret=None))
    plain.state.ansible_inspec_executor = executor
    transport = httpx.ASGITransport(app=plain)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as plain_client:
        template = await template_factory(command=["echo", "same"])
        job = await executor.submit(template.name, ["a", "b"], {"k": [1, 2], "f": 0.1})
        await job.wait(timeout=30)
        stored = await executor.get(job.id)
        assert json.loads(stored.to_json()) == json.loads(json.dumps(stored.to_dict()))
        for client in (api_client, plain_client):
            r = await client.get(f"/api/v1/jobs/{job.id}")
            assert r.status_code == 200 and r.headers["content-type"] == "application/json"
            assert r.content == stored.to_json()
            body = r.json()
            assert body["extra_vars"] == {"k": [1, 2], "f": 0.1}
            assert sorted(res["stdout"] for res in body["results"]) == ["same\n", "same\n"]
            missing = await client.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000")
            assert missing.status_code == 404 and "detail" in missing.json()


async def test_request_metrics_bound_the_method_label(api_client: httpx.AsyncClient) -> None:
    """The client names the method: methods outside HTTP's usual set share the label "other",
    so requests cannot grow the metrics (or the middleware's series cache) without bound."""
    for method in ("BREW", "WHEN", "GET"):
        await api_client.request(method, "/api/v1/nowhere")
    text = (await api_client.get("/metrics")).text
    assert 'method="other",route="unmatched",status="404"} 2.0' in text
    assert 'method="GET",route="unmatched",status="404"} 1.0' in text
    assert "BREW" not in text and "WHEN" not in text
