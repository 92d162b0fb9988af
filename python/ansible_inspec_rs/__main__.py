import sys

from ansible_inspec_rs.cli import main

sys.exit(main())
