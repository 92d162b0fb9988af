"""Static API tokens are compared in constant time: every comparison is between values of one
length, whatever the length of the token presented (``hmac.compare_digest`` returns at once
for values of different lengths, which would tell a prober the configured token's length)."""

from __future__ import annotations

import hmac

import pytest
from ansible_inspec_rs.server.auth import Authenticator, AuthError
from ansible_inspec_rs.server.settings import Settings
from starlette.requests import Request

TOKENS = ["short-token", "a-much-longer-static-token-" * 3]


def request_with(token: str) -> Request:
    header = ("Bearer " + token).encode("utf-8")
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"authorization", header)]})


def test_every_token_comparison_is_between_values_of_one_length(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = Authenticator(Settings(_env_file=None, api_tokens=TOKENS))  # type: ignore[arg-type]
    lengths: set[int] = set()
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        lengths.update((len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for wrong in ["x", TOKENS[0][:-1], TOKENS[0] + "x", "y" * 10_000, "é€ünïcödé"]:
        with pytest.raises(AuthError):
            auth.authenticate(request_with(wrong))
    for right in TOKENS:
        assert auth.authenticate(request_with(right)).kind == "token"
    assert len(lengths) == 1, f"compared values of lengths {sorted(lengths)}"
