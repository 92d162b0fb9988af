"""The REST server: ``create_app(settings)`` and its ``Settings``. Needs the ``server`` extra."""

from ansible_inspec_rs.server.app import create_app
from ansible_inspec_rs.server.settings import Settings

__all__ = ["Settings", "create_app"]
