"""The demo job (`make run`): the same as `ansible-inspec-rs demo`."""

import sys

from ansible_inspec_rs.cli import main

sys.exit(main(["demo", *sys.argv[1:]]))
