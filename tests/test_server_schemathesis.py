"""Property-based API testing: schemathesis drives every operation of /openapi.json on a real
server, with a token, and finds no server error (5xx), no undocumented status, no response off
its schema, no schema-valid request refused and no 405 without the path's methods in ``Allow``.

``negative_data_rejection`` is left out on purpose: like the released interface's models, the
server coerces what pydantic's lax mode coerces (``"5"`` -> 5, ``0`` -> false), which the check
counts as accepting invalid data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import start_server

CHECKS = ",".join(
    [
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
)
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
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{live.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                CHECKS,
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
            cwd=tmp_path,
        )
    finally:
        live.stop()
    report = proc.stdout[-8000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, report
    assert "23 selected / 23 total" in proc.stdout or "Tested: 23" in proc.stdout, report
    assert "Traceback" not in live.log(), live.log()[-4000:]
