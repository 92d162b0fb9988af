"""Template paths must stay inside the configured roots (no traversal, no symlink escapes)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ansible_inspec_rs.server.errors import PathNotAllowed


def resolve_inside(field: str, value: str, roots: Sequence[Path]) -> Path:
    """``value`` resolved (symlinks and ``..`` followed); raises PathNotAllowed outside ``roots``."""
    if "://" in value:
        raise PathNotAllowed(field, f"{field} must be a local path, not a URL")
    try:
        resolved = Path(value).expanduser().resolve(strict=False)
    except (OSError, RuntimeError, ValueError) as exc:  # loops, NUL bytes
        raise PathNotAllowed(field, f"{field} is not a usable path: {exc}") from None
    for root in roots:
        root_resolved = root.expanduser().resolve(strict=False)
        if resolved == root_resolved or resolved.is_relative_to(root_resolved):
            return resolved
    allowed = os.pathsep.join(str(r) for r in roots) or "(none configured)"
    raise PathNotAllowed(field, f"{field} '{value}' is outside the allowed {field} roots: {allowed}")


def check_template_paths(
    fields: Mapping[str, Any], profile_roots: Sequence[Path], playbook_roots: Sequence[Path]
) -> None:
    """Checks the profile (unless it names a Supermarket profile) and playbook of a template body."""
    profile = fields.get("profile")
    if isinstance(profile, str) and not fields.get("supermarket"):
        resolve_inside("profile", profile, profile_roots)
    playbook = fields.get("playbook")
    if isinstance(playbook, str):
        resolve_inside("playbook", playbook, playbook_roots)
