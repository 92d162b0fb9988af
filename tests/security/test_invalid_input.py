"""Issue 18, item 6: numbers JSON cannot carry (NaN, Infinity, 1e999) and lone surrogates get a
4xx whose body is JSON and names the field, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers import ADMIN_TOKEN, LiveServer, bearer, start_server, unique

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]
SURROGATES = ['"\\ud800"', '"x\\udc00y"']


@pytest.fixture(scope="module")
def admin_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    live: LiveServer = start_server(
        tmp_path_factory.mktemp("invalid-input"),
        api_tokens=ADMIN_TOKEN,
        allow_commands="true",
        allow_local="true",
    )
    with httpx.Client(base_url=live.url, headers=bearer(ADMIN_TOKEN), timeout=10) as client:
        yield client
    live.stop()
    assert "Traceback" not in live.log(), live.log()[-4000:]


def strict_json(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in an error body")

    return json.loads(text, parse_constant=refuse)


def assert_refused(r: httpx.Response, field: str) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    detail = strict_json(r.content.decode("utf-8"))["detail"]  # valid UTF-8, valid JSON
    assert isinstance(detail, list), detail
    assert any(field in problem["loc"] for problem in detail), (field, detail)


def send(client: httpx.Client, method: str, path: str, raw: str) -> httpx.Response:
    return client.request(method, path, content=raw.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_numbers(admin_client: httpx.Client, number: str) -> None:
    name = unique()
    cases = [
        ("extra_vars", f'{{"name": "{name}", "command": ["true"], "extra_vars": {{"x": {number}}}}}'),
        (
            "extra_vars",
            f'{{"name": "{name}", "command": ["true"], "extra_vars": {{"a": [1, {{"b": {number}}}]}}}}',
        ),
        ("retry_backoff", f'{{"name": "{name}", "command": ["true"], "retry_backoff": {number}}}'),
        ("forks", f'{{"name": "{name}", "command": ["true"], "forks": {number}}}'),
    ]
    for field, raw in cases:
        assert_refused(send(admin_client, "POST", "/api/v1/templates", raw), field)
        assert_refused(send(admin_client, "POST", "/api/v1/job-templates", raw), field)
    assert admin_client.get(f"/api/v1/templates/{name}").status_code == 404

    template = admin_client.post("/api/v1/job-templates", json={"name": name, "command": ["true"]}).json()
    raw_job = f'{{"template_name": "{name}", "hosts": ["a"], "extra_vars": {{"n": {number}}}}}'
    assert_refused(send(admin_client, "POST", "/api/v1/jobs", raw_job), "extra_vars")
    raw_launch = f'{{"extra_vars": {{"n": {number}}}}}'
    assert_refused(
        send(admin_client, "POST", f"/api/v1/job-templates/{template['id']}/launch", raw_launch), "extra_vars"
    )
    assert_refused(
        send(admin_client, "PUT", f"/api/v1/job-templates/{template['id']}", f'{{"forks": {number}}}'),
        "forks",
    )


@pytest.mark.parametrize("text", SURROGATES)
def test_lone_surrogates(admin_client: httpx.Client, text: str) -> None:
    name = unique()
    cases = [
        ("name", f'{{"name": {text}, "command": ["true"]}}'),
        ("command", f'{{"name": "{name}", "command": [{text}]}}'),
        ("target", f'{{"name": "{name}", "command": ["true"], "target": {text}}}'),
        ("description", f'{{"name": "{name}", "command": ["true"], "description": {text}}}'),
        ("extra_vars", f'{{"name": "{name}", "command": ["true"], "extra_vars": {{"k": {text}}}}}'),
        ("extra_vars", f'{{"name": "{name}", "command": ["true"], "extra_vars": {{{text}: 1}}}}'),
    ]
    for field, raw in cases:
        assert_refused(send(admin_client, "POST", "/api/v1/templates", raw), field)
    admin_client.post("/api/v1/templates", json={"name": name, "command": ["true"]}).raise_for_status()
    for field, raw in [
        ("hosts", f'{{"template_name": "{name}", "hosts": [{text}]}}'),
        ("template_name", f'{{"template_name": {text}, "hosts": ["a"]}}'),
        ("extra_vars", f'{{"template_name": "{name}", "hosts": ["a"], "extra_vars": {{"v": [{text}]}}}}'),
        ("target", f'{{"template_id": "{name}", "target": {text}}}'),
    ]:
        assert_refused(send(admin_client, "POST", "/api/v1/jobs", raw), field)
    assert admin_client.get("/api/v1/jobs").json()["count"] == 0


def test_malformed_json_names_the_position(admin_client: httpx.Client) -> None:
    r = send(admin_client, "POST", "/api/v1/templates", '{"name": "x", "command": [')
    assert r.status_code == 422
    problem = strict_json(r.text)["detail"][0]
    assert problem["type"] == "json_invalid" and problem["loc"][0] == "body"
    r = admin_client.post(
        "/api/v1/templates", content=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and strict_json(r.text)["detail"][0]["type"] == "json_invalid"


# Deeper than Python's JSON decoder follows: small bodies are decoded on the event loop, large
# ones (above body.THREAD_DECODE_BYTES) in a worker thread; both paths are covered.
DEEP_BODIES = {
    "array-small": b"[" * 20_000 + b"]" * 20_000,
    "array-large": b"[" * 200_000 + b"]" * 200_000,
    "object": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "in-extra_vars": b'{"name": "deep", "command": ["true"], "extra_vars": {"a": '
    + b"[" * 5_000
    + b"]" * 5_000
    + b"}}",
}


@pytest.mark.parametrize("kind", DEEP_BODIES)
def test_deeply_nested_json_is_a_422_naming_the_body(admin_client: httpx.Client, kind: str) -> None:
    raw = DEEP_BODIES[kind]
    for method, path in [("POST", "/api/v1/templates"), ("POST", "/api/v1/jobs")]:
        r = admin_client.request(method, path, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (r.status_code, r.text[:300])
        problem = strict_json(r.text)["detail"][0]
        assert problem["loc"] == ["body"] and problem["type"] == "json_invalid", problem
        assert "nested too deeply" in problem["msg"], problem
    # The server keeps answering on the same connection.
    assert admin_client.get("/api/v1/templates/deep").status_code == 404


def test_error_locations_name_fields_not_validator_internals(admin_client: httpx.Client) -> None:
    """``loc`` is the path a client can follow (FastAPI's shape), without pydantic's names for
    union branches and validators (``function-after[check(), str]``)."""
    cases = [
        (admin_client.get("/api/v1/jobs?status=bogus"), ["query", "status"]),
        (
            admin_client.post("/api/v1/templates", json={"name": unique(), "command": ["true"], "tags": [1]}),
            None,
        ),
    ]
    for r, expected in cases:
        assert r.status_code == 422, r.text
        locs = [problem["loc"] for problem in strict_json(r.text)["detail"]]
        assert all("[" not in str(part) and "(" not in str(part) for loc in locs for part in loc), locs
        if expected is not None:
            assert expected in locs, locs
    assert ["body", "tags", 0] in locs and ["body", "tags"] in locs, locs


def test_a_key_given_twice_is_a_422_naming_it(admin_client: httpx.Client) -> None:
    # Python keeps the last value, other parsers (a proxy, an audit log) the first: refused, so
    # nothing that checked the body can have seen another request than the one run.
    name = unique()
    cases = [
        ("name", f'{{"name": "{name}", "command": ["true"], "name": "other-{name}"}}', "/api/v1/templates"),
        (
            "timeout",
            f'{{"name": "{name}", "command": ["true"], "timeout": 5, "timeout": 9}}',
            "/api/v1/templates",
        ),
        (
            "k",
            f'{{"name": "{name}", "command": ["true"], "extra_vars": {{"a": [{{"k": 1, "k": 2}}]}}}}',
            "/api/v1/templates",
        ),
        ("hosts", '{"template_name": "x", "hosts": ["a"], "hosts": ["b"]}', "/api/v1/jobs"),
    ]
    for field, raw, path in cases:
        r = send(admin_client, "POST", path, raw)
        assert r.status_code == 422, (raw, r.text)
        assert_refused(r, field)
        assert r.json()["detail"][0]["type"] == "duplicate_key", r.text
    assert admin_client.get(f"/api/v1/templates/{name}").status_code == 404
    assert admin_client.get(f"/api/v1/templates/other-{name}").status_code == 404
    loc = send(admin_client, "POST", "/api/v1/templates", cases[2][1]).json()["detail"][0]["loc"]
    assert loc == ["body", "extra_vars", "a", 0, "k"], loc


@pytest.mark.parametrize("value", ["true", "false"])
def test_a_boolean_is_no_number(admin_client: httpx.Client, value: str) -> None:
    # pydantic's lax mode would read true as 1: "timeout": true a 1 s timeout, "retries": true one retry.
    name = unique()
    for field in ("timeout", "forks", "retries", "verbosity", "retry_backoff", "connect_timeout"):
        r = send(
            admin_client,
            "POST",
            "/api/v1/templates",
            f'{{"name": "{name}", "command": ["true"], "{field}": {value}}}',
        )
        assert r.status_code == 422, (field, r.text)
        assert_refused(r, field)
    r = send(
        admin_client, "POST", "/api/v1/templates", f'{{"name": "{name}", "command": ["true"], "timeout": 7}}'
    )
    assert r.status_code == 201, r.text
    r = send(admin_client, "PUT", f"/api/v1/job-templates/{name}", f'{{"retries": {value}}}')
    assert r.status_code == 422, r.text
    assert_refused(r, "retries")
    r = send(
        admin_client,
        "POST",
        f"/api/v1/job-templates/{name}/launch",
        f'{{"verbosity": {value}, "hosts": ["h"]}}',
    )
    assert r.status_code == 422, r.text
    assert_refused(r, "verbosity")
    assert admin_client.get(f"/api/v1/templates/{name}").json()["timeout"] == 7


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_json_is_utf8(admin_client: httpx.Client, encoding: str) -> None:
    # Python's json guesses UTF-16 and UTF-32 too; what reads the body as UTF-8 (a proxy, an
    # audit log) would not see the request we run.
    name = unique()
    raw = json.dumps({"name": name, "command": ["true"]})
    r = admin_client.post(
        "/api/v1/templates", content=raw.encode(encoding), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert_refused(r, "body")
    assert admin_client.get(f"/api/v1/templates/{name}").status_code == 404
    # A UTF-8 byte order mark is tolerated.
    r = admin_client.post(
        "/api/v1/templates", content=raw.encode("utf-8-sig"), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text
