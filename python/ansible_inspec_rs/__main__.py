from ansible_inspec_rs.cli import entry

entry()
