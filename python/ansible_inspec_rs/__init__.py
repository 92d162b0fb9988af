"""ansible-inspec-rs: compliance jobs executed in Rust, awaited from Python."""

from ansible_inspec_rs._core import __version__

__all__ = ["__version__"]
