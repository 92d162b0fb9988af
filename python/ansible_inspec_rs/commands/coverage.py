"""`ansible-inspec-rs coverage PROFILE [--json]`: static native-evaluation coverage."""

from __future__ import annotations

import argparse
import json
import sys

from ansible_inspec_rs.commands.parse import _load
from ansible_inspec_rs.errors import ProfileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profile", help="profile directory (with inspec.yml and controls/) or one controls .rb file"
    )
    parser.add_argument("--json", action="store_true", help="print the full coverage report as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        profile = _load(args.profile)
    except (ProfileError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cov = profile.coverage()
    if args.json:
        print(json.dumps(cov, indent=2))
        return 0
    print(
        f"{cov['profile']}: {cov['supported']}/{cov['total']} controls evaluated natively"
        f" ({cov['percent']:.1f} %)"
    )
    if cov["blockers"]:
        print("\nblocking constructs (controls, example):")
        for b in cov["blockers"]:
            print(f"  {b['controls']:>4}  {b['construct']}  ({b['example']})")
        print("\nblocked controls:")
        for c in cov["controls"]:
            if not c["supported"]:
                first = c["blockers"][0]
                print(f"  {c['id']}  {c['file']}:{c['line']}  {first['construct']} at {first['at']}")
    return 0
