"""Property-based API testing: schemathesis drives every operation of /openapi.json on a real
server, with a token, and finds no server error (5xx), no undocumented status, no response off
its schema, no schema-valid request refused and no 405 without the path's methods in ``Allow``.

``negative_data_rejection`` is left out on purpose: like the released interface's models, the
server coerces what pydantic's lax mode coerces (``"5"`` -> 5, ``0`` -> false), which the check
counts as accepting invalid data.

The operations that create or replace a template are also run without
``positive_data_acceptance``: a template's local profile or playbook must exist when it is
created (a 422 naming the field), a rule about the server's disk that no schema can state.
Every other check still runs on them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers import start_server

CHECK_LIST = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]
CHECKS = ",".join(CHECK_LIST)
PATH_CHECKS = ",".join(c for c in CHECK_LIST if c != "positive_data_acceptance")
# "METHOD /path" of the operations whose body names a local profile or playbook.
TEMPLATE_WRITES = r"^(POST|PUT) /api/v1/(job-)?templates(/\{template_id\})?$"
TOKEN = "schemathesis-token-0123456789abcdef"


def test_openapi_fuzzing_finds_no_server_error(tmp_path: Path) -> None:
    # Its own server, in a scratch directory: generated templates may be launched, and the
    # commands they name run there (argv only, never a shell).
    # Commands and local checks on: the schema offers them, so the server must take them.
    live = start_server(
        tmp_path,
        cwd=tmp_path,
        api_tokens=TOKEN,
        workers="2",
        profile_roots=str(tmp_path),
        allow_commands="true",
        allow_local="true",
    )
    try:
        runs = [
            run_schemathesis(live.url, tmp_path, CHECKS, "--exclude-name-regex", TEMPLATE_WRITES),
            run_schemathesis(live.url, tmp_path, PATH_CHECKS, "--include-name-regex", TEMPLATE_WRITES),
        ]
    finally:
        live.stop()
    tested = 0
    for proc in runs:
        report = proc.stdout[-8000:] + proc.stderr[-2000:]
        assert proc.returncode == 0, report
        found = re.search(r"Tested: (\d+)", proc.stdout)
        assert found, report
        tested += int(found.group(1))
    assert tested == 23, [p.stdout[-3000:] for p in runs]
    assert "Traceback" not in live.log(), live.log()[-4000:]


def run_schemathesis(url: str, cwd: Path, checks: str, *filters: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            checks,
            *filters,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "20",
            "--request-timeout",
            "20",
            "--workers",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
